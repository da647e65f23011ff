import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../components/config/load";
import { defaultImages } from "../components/config/images";
import { cpusRoundTrips, nearestRoundTripCpus } from "../components/platform/docker/provider-forms";

/** What a kubernetes stack must say besides its services: the cluster, the domain, the load balancer's ports. */
const kubernetesEssentials = { kubernetes: { context: "prod" }, proxy: { httpsPort: 443, httpPort: 80 }, tls: { hostnames: ["llm.example.com"] } };

/** The problems a config produces, or [] when it is valid. */
function problems(raw: Record<string, unknown>): string[] {
    try {
        parseConfig(raw);
        return [];
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
        return (e as ConfigError).problems.flatMap((p) => p.split("\n  - "));
    }
}

function rejects(raw: Record<string, unknown>, key: string, ...fragments: string[]) {
    const found = problems(raw);
    const match = found.find((p) => p.startsWith(`llm-platform:${key}`));
    assert.ok(match, `expected a problem with llm-platform:${key}; got:\n${found.join("\n")}`);
    for (const f of fragments) assert.ok(match.includes(f), `"${match}" should mention "${f}"`);
}

describe("config validation", () => {
    it("fills every default from an empty config", () => {
        const c = parseConfig({});
        assert.equal(c.platform, "docker");
        assert.equal(c.sqlserver.memoryMb, 4096);
        assert.equal(c.sqlserver.memoryReservationMb, 2048, "reservation defaults to half the limit");
        assert.equal(c.ollama.embeddingDimensions, 768, "dimension follows nomic-embed-text");
        assert.equal(c.redis.image, defaultImages.redis);
        assert.equal(c.tls.validityDays, 365);
        assert.ok(Object.isFrozen(c) && Object.isFrozen(c.sqlserver), "config is frozen");
    });

    it("rejects an unknown platform with the allowed values", () => {
        rejects({ platform: "nomad" }, "platform", '"nomad"', '"docker"', '"kubernetes"');
    });

    it("rejects an ollama.gpu that is neither auto nor a boolean, listing the allowed values", () => {
        rejects({ ollama: { gpu: "yes" } }, "ollama.gpu", '"yes"', 'must be one of "auto", true or false');
        rejects({ ollama: { gpu: 1 } }, "ollama.gpu", "1", '"auto"');
    });

    it("resolves ollama.gpu auto from the Docker engine, never from the stack file", () => {
        const engine = { cpus: 8, memoryMb: 32000, swapLimit: true, nvidiaRuntime: true, serverVersion: "29.0.0" };
        assert.equal(parseConfig({}).ollama.gpu, false, "no engine: CPU");
        assert.equal(parseConfig({}, { dockerEngine: engine }).ollama.gpu, true);
        assert.equal(parseConfig({}, { dockerEngine: { ...engine, nvidiaRuntime: false } }).ollama.gpu, false);
        assert.equal(parseConfig({ ollama: { gpu: false } }, { dockerEngine: engine }).ollama.gpu, false, "explicit wins");
        rejects({ platform: "kubernetes", ollama: { gpu: "auto" } }, "ollama.gpu", "must be true or false on kubernetes");
    });

    it("rejects limits the Docker engine cannot give, naming the key to change", () => {
        const engine = { cpus: 2, memoryMb: 7000, swapLimit: true, nvidiaRuntime: false, serverVersion: "27.3.1" };
        assert.deepEqual(problems({}), [], "without an engine nothing is compared");
        assert.throws(() => parseConfig({}, { dockerEngine: engine }), /llm-platform:ollama\.cpu = 4: the Docker engine has 2 CPUs.*\n.*ollama\.memoryMb = 8192: the Docker engine has 7000 MB/s);
        assert.doesNotThrow(() => parseConfig({ size: "small" }, { dockerEngine: { ...engine, cpus: 2 } }));
    });

    it("rejects CPU counts Docker's provider would read back as another value", () => {
        rejects({ redis: { cpu: 0.05 } }, "redis.cpu", "0.05", "stored by Docker's provider as 0.1");
        rejects({ redis: { cpu: 0.05 } }, "redis.cpu", "such as 0.1");
        for (const odd of [0.05, 0.005, 0.07, 10.05]) assert.ok(cpusRoundTrips(nearestRoundTripCpus(odd)), `the suggestion for ${odd} round-trips`);
        assert.deepEqual(problems({ redis: { cpu: 0.25 }, qdrant: { cpu: 1.5 } }), []);
        assert.deepEqual(
            problems({ platform: "kubernetes", ...kubernetesEssentials, backup: { enabled: false }, ollama: { gpu: true }, redis: { cpu: 0.05 } }),
            [],
            "a Kubernetes quantity has no such round trip",
        );
    });

    it("rejects SQL Server values the engine refuses: vector index below 100 rows, vectors over 1998 dimensions", () => {
        rejects({ sqlserver: { vectorIndexMinRows: 50 } }, "sqlserver.vectorIndexMinRows", "50", "at least 100");
        rejects({ ollama: { embeddingModel: "my-embedder", embeddingDimensions: 3072 } }, "ollama.embeddingDimensions", "3072", "at most 1998");
        assert.deepEqual(problems({ ollama: { embeddingModel: "my-embedder", embeddingDimensions: 1998 } }), []);
    });

    it("picks every size from one preset; explicit keys override it and reservations follow the limits", () => {
        const small = parseConfig({ size: "small" });
        assert.equal(small.sqlserver.memoryMb, 2048);
        assert.equal(small.ollama.chatModel, "llama3.2:1b", "a chat model that fits the small Ollama");
        const limits = (["sqlserver", "ollama", "proxy", "timescale", "redis", "qdrant"] as const).reduce((sum, n) => sum + small[n].memoryMb, 0);
        assert.ok(limits <= 12 * 1024, `small preset limits ${limits} MB fit 12 GB`);
        const halved = parseConfig({ size: "small", qdrant: { memoryMb: 512 } });
        assert.equal(halved.qdrant.memoryMb, 512);
        assert.equal(halved.qdrant.memoryReservationMb, 256, "reservation follows the limit");
        rejects({ size: "tiny" }, "size", '"tiny"', '"default", "small"');
    });

    it("takes the runbooks' alert thresholds by default and wants each warning below its critical one", () => {
        const o = parseConfig({}).observability;
        assert.deepEqual(
            [o.cpuWarningPercent, o.cpuCriticalPercent, o.memoryWarningPercent, o.memoryCriticalPercent, o.diskWarningPercent, o.diskCriticalPercent],
            [70, 85, 75, 90, 80, 95],
        );
        assert.deepEqual([o.proxyErrorRatePercent, o.proxyLatencyP95Seconds, o.connectionsPercent, o.vectorSearchP95Seconds], [1, 0.5, 80, 0.1]);
        rejects({ observability: { cpuWarningPercent: 90 } }, "observability.cpuWarningPercent", "must be below observability.cpuCriticalPercent (85)");
        rejects({ observability: { diskCriticalPercent: 120 } }, "observability.diskCriticalPercent", "120", "at most 100");
        assert.deepEqual(problems({ observability: { memoryWarningPercent: 60, memoryCriticalPercent: 70 } }), []);
    });

    it("says what a value must be in words, not types or regular expressions", () => {
        rejects({ redis: { hostPort: 6379.5 } }, "redis.hostPort", "must be a whole number");
        rejects({ redis: { cpu: "0.5" } }, "redis.cpu", "must be a number", "--type float");
        rejects({ ollama: { chatModel: "Llama 3" } }, "ollama.chatModel", "must be an Ollama model name");
        rejects({ qdrant: { collection: "my docs" } }, "qdrant.collection", "letters, digits, _ and -");
    });

    it("rejects SQL Server memory below the 2 GB minimum", () => {
        rejects({ sqlserver: { memoryMb: 1024 } }, "sqlserver.memoryMb", "1024", "at least 2048");
        assert.deepEqual(problems({ sqlserver: { memoryMb: 2048 } }), []);
    });

    it("rejects zero and negative sizes", () => {
        rejects({ redis: { cpu: 0 } }, "redis.cpu", "0", "greater than 0");
        rejects({ qdrant: { memoryMb: -512 } }, "qdrant.memoryMb", "-512", "greater than 0");
        rejects({ proxy: { cpuReservation: -1 } }, "proxy.cpuReservation", "-1");
    });

    it("rejects reservations above limits", () => {
        rejects({ redis: { memoryMb: 1024, memoryReservationMb: 2048 } }, "redis.memoryReservationMb", "2048", "must not exceed redis.memoryMb (1024)");
        rejects({ qdrant: { cpu: 1, cpuReservation: 2 } }, "qdrant.cpuReservation", "must not exceed qdrant.cpu (1)");
    });

    it("rejects certificate validity under 30 days or within the renewal window", () => {
        rejects({ tls: { validityDays: 20, renewBeforeDays: 5 } }, "tls.validityDays", "20", "at least 30");
        rejects({ tls: { validityDays: 45, renewBeforeDays: 60 } }, "tls.validityDays", "45", "renewBeforeDays (60)");
        assert.deepEqual(problems({ tls: { validityDays: 30, renewBeforeDays: 7 } }), []);
    });

    it("rejects a vector dimension that does not match the embedding model", () => {
        rejects({ ollama: { embeddingModel: "nomic-embed-text", embeddingDimensions: 384 } }, "ollama.embeddingDimensions", "384", "must be 768");
        assert.equal(parseConfig({ ollama: { embeddingModel: "all-minilm:33m" } }).ollama.embeddingDimensions, 384);
        assert.equal(parseConfig({ ollama: { embeddingModel: "mxbai-embed-large", embeddingDimensions: 1024 } }).ollama.embeddingDimensions, 1024);
    });

    it("needs an explicit dimension for an embedding model it does not know", () => {
        rejects({ ollama: { embeddingModel: "my-embedder" } }, "ollama.embeddingModel", "embeddingDimensions");
        assert.equal(parseConfig({ ollama: { embeddingModel: "my-embedder", embeddingDimensions: 512 } }).ollama.embeddingDimensions, 512);
    });

    it("rejects unknown keys inside service objects, suggesting the right spelling", () => {
        rejects({ sqlserver: { memoryMB: 4096 } }, "sqlserver.memoryMB", "unknown key", "did you mean memoryMb?", "allowed keys: cpu, memoryMb");
        rejects({ tls: { hostname: ["a.example.com"] } }, "tls.hostname", "unknown key", "hostnames");
    });

    it("rejects unpinned images", () => {
        rejects({ qdrant: { image: "qdrant/qdrant" } }, "qdrant.image", "no tag");
        rejects({ redis: { image: "valkey/valkey:latest" } }, "redis.image", "floating tag 'latest'");
        rejects({ sqlserver: { image: "mcr.microsoft.com/mssql/server:2025-latest" } }, "sqlserver.image", "2025-latest");
        assert.deepEqual(problems({ redis: { image: `redis@sha256:${"a".repeat(64)}` } }), []);
        assert.deepEqual(problems({ redis: { image: "localhost:5000/redis:7.2.16" } }), []);
    });

    it("rejects two services on the same host port", () => {
        rejects({ redis: { hostPort: 8443 } }, "redis.hostPort", "already used by proxy.httpsPort");
    });

    it("rejects compression that starts after data is already dropped", () => {
        rejects({ timescale: { logsRetentionDays: 5, compressAfterDays: 7 } }, "timescale.compressAfterDays", "shortest retention period (5 days)");
    });

    it("on Kubernetes, wants the aws object's bucket for backups, and backup periods a CronJob can keep", () => {
        rejects({ platform: "kubernetes", ...kubernetesEssentials }, "backup.enabled", "upload to the S3 bucket of the aws object", "backup.enabled to false");
        rejects({ platform: "kubernetes", ...kubernetesEssentials, backup: { qdrantEveryMinutes: 45 } }, "backup.qdrantEveryMinutes", "45", "must divide an hour", "720, 1440");
        rejects({ platform: "kubernetes", ...kubernetesEssentials, backup: { sqlserverLogEveryMinutes: 90 } }, "backup.sqlserverLogEveryMinutes", "90");
        assert.deepEqual(problems({ platform: "kubernetes", ...kubernetesEssentials, ollama: { gpu: false }, backup: { enabled: false } }), []);
        assert.deepEqual(problems({ backup: { qdrantEveryMinutes: 45 } }), [], "the Docker scheduler keeps any period");
    });

    it("names the Kubernetes scratch class of the backup jobs, a valid object name", () => {
        assert.equal(parseConfig({}).kubernetes.scratchStorageClassName, "llm-platform-gp3-scratch");
        rejects({ platform: "kubernetes", ...kubernetesEssentials, kubernetes: { context: "prod", scratchStorageClassName: "Scratch_1" } }, "kubernetes.scratchStorageClassName", "Scratch_1");
    });

    it("reports every independent problem at once", () => {
        const found = problems({ platform: "nomad", ollama: { gpu: "yes" }, redis: { cpu: 0 } });
        assert.equal(found.length, 3, found.join("\n"));
    });
});
