import assert from "node:assert/strict";
import { ConfigError, parseConfig, rawConfig } from "../components/config/load";
import { defaultImages } from "../components/config/images";
import { dockerFootprint, footprintConfigOf, footprintTotals } from "../components/config/footprint";
import { EngineFacts } from "../components/machine";
import { cpusRoundTrips, nearestRoundTripCpus } from "../components/platform/docker/provider-forms";
import { problems, rejects } from "./helpers/config-problems";

/** What a kubernetes stack must say besides its services: the cluster, the domain, the load balancer's ports. */
const kubernetesEssentials = { kubernetes: { context: "prod" }, proxy: { httpsPort: 443, httpPort: 80 }, tls: { hostnames: ["llm.example.com"] } };

/** The problems a config produces on this Docker engine, or [] when it fits. */
function problemsOn(raw: Record<string, unknown>, dockerEngine: EngineFacts, stack?: string): string[] {
    try {
        parseConfig(raw, { dockerEngine, stack });
        return [];
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
        return (e as ConfigError).problems;
    }
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

    it("takes timescale.engine cloudnativepg on Kubernetes with the aws object's bucket only, listing the engines", () => {
        rejects({ timescale: { engine: "cloudnativepg" } }, "timescale.engine", "cloudnativepg", "platform is docker", "statefulset");
        rejects({ ...kubernetesEssentials, platform: "kubernetes", backup: { enabled: false }, timescale: { engine: "cloudnativepg" } }, "timescale.engine", "aws object");
        rejects({ timescale: { engine: "patroni" } }, "timescale.engine", '"statefulset"', '"cloudnativepg"');
        rejects({ ...kubernetesEssentials, platform: "kubernetes", kubernetes: { context: "prod", cloudnativePg: { namespace: "llm-platform" } }, timescale: { engine: "cloudnativepg" } }, "kubernetes.cloudnativePg.namespace", "must differ");
        // cert-manager, installed with the operator, in a namespace of its own; not checked when the program installs neither.
        rejects({ ...kubernetesEssentials, platform: "kubernetes", kubernetes: { context: "prod", certManager: { namespace: "cnpg-system" } }, timescale: { engine: "cloudnativepg" } }, "kubernetes.certManager.namespace", "must differ", "cnpg-system");
        rejects({ ...kubernetesEssentials, platform: "kubernetes", kubernetes: { context: "prod", certManager: { instal: false } }, timescale: { engine: "cloudnativepg" } }, "kubernetes.certManager", "instal");
        const present = problems({ ...kubernetesEssentials, platform: "kubernetes", kubernetes: { context: "prod", cloudnativePg: { install: false }, certManager: { namespace: "cnpg-system" } }, timescale: { engine: "cloudnativepg" } });
        assert.deepEqual(present.filter((p) => p.includes("certManager")), []);
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

    it("rejects a CPU limit set above the Docker engine's CPU count, naming the key and the command that changes it", () => {
        const engine = { cpus: 2, memoryMb: 64000, swapLimit: true, nvidiaRuntime: false, serverVersion: "27.3.1" };
        assert.deepEqual(problems({ ollama: { cpu: 4 } }), [], "without an engine nothing is compared");
        const found = problemsOn({ ollama: { cpu: 4 } }, engine);
        assert.deepEqual(found, [
            "llm-platform:ollama.cpu = 4: the Docker engine has 2 CPUs and refuses more; set it to at most 2 (npm run pulumi -- config set --path ollama.cpu 2) or give Docker more CPUs",
        ]);
    });

    describe("sizing against the Docker engine: the whole stack, not each service alone", () => {
        const engine = (cpus: number, memoryMb: number) => ({ cpus, memoryMb, swapLimit: true, nvidiaRuntime: false, serverVersion: "29.1.2" });
        // What dockerFootprint asks at once for each preset (services, 5 backup schedulers, 10 steps); tests/docs.test.ts holds the docs to them.
        const atOnce = (preset: "default" | "small") => {
            const c = parseConfig({ size: preset });
            return footprintTotals(dockerFootprint(footprintConfigOf(c))).atOnce;
        };

        it("sums every container that runs at once: services, backup schedulers and one-shot steps", () => {
            const t = footprintTotals(dockerFootprint(footprintConfigOf(parseConfig({ size: "small" }))));
            assert.equal(t.atOnce.memoryMb, t.services.memoryMb + t.backups.memoryMb + t.steps.memoryMb);
            assert.deepEqual([t.services.containers, t.backups.containers, t.steps.containers], [21, 5, 10]);
            assert.ok(t.atOnce.memoryReservationMb < t.atOnce.memoryMb, "reservations are at most the limits");
        });

        it("auto takes the largest preset whose whole stack fits, and says so once", () => {
            const big = atOnce("default").memoryMb;
            const small = atOnce("small").memoryMb;
            assert.equal(parseConfig({}, { dockerEngine: engine(16, big) }).size, "default", "exactly the default's demand fits");
            assert.equal(parseConfig({}, { dockerEngine: engine(16, big - 1) }).size, "small", "one MB less does not");
            assert.equal(parseConfig({ size: "auto" }, { dockerEngine: engine(4, small) }).size, "small");
            // The engine: 4 CPUs and 12 GB passed silently when each service was compared alone.
            const stopped = problemsOn({}, engine(4, 12 * 1024));
            assert.equal(stopped.length, 1, stopped.join("\n"));
            assert.match(stopped[0], new RegExp(`^llm-platform:size = auto: no size preset fits: the Docker engine has 4 CPUs and 12288 MB; default asks for ${big} MB .*; small asks for ${small} MB`));
            // Small without logs asks 12432 MB since SQL Server's migrations run on Liquibase's JVM: both halves off fit.
            assert.match(stopped[0], /or run less: size small with observability\.logs and \.metrics false asks \d+ MB .*npm run pulumi -- config set --path observability\.logs false; npm run pulumi -- config set --path observability\.metrics false/);
        });

        it("auto without an engine (tests, policy:check, a preview in CI) and on Kubernetes is default, deterministically", () => {
            assert.equal(parseConfig({}).size, "default");
            assert.equal(parseConfig({}).sqlserver.memoryMb, 4096);
            const k8s = parseConfig({ platform: "kubernetes", ...kubernetesEssentials, ollama: { gpu: true }, backup: { enabled: false } }, { dockerEngine: engine(1, 1024) });
            assert.equal(k8s.size, "default", "a cluster is not the local engine");
        });

        it("an explicit size that does not fit stops with the numbers and the preset that fits", () => {
            const found = problemsOn({ size: "default" }, engine(8, 16000));
            assert.equal(found.length, 1, found.join("\n"));
            assert.match(found[0], new RegExp(`^llm-platform:size = default: the dev stack does not fit: the Docker engine has 8 CPUs and 16000 MB, and it asks for ${atOnce("default").memoryMb} MB \\(\\d+\\.\\d GB\\) of memory limits at once \\(services \\d+, backup schedulers 1280, one-shot steps 3072\\)`));
            assert.match(found[0], new RegExp(`Size small fits, asking ${atOnce("small").memoryMb} MB .*: npm run pulumi -- config set size small, or remove size so that auto picks .*npm run pulumi -- config rm size`));
            assert.doesNotMatch(found[0], /(^|[^-] )pulumi config/, "never a bare pulumi command");
            assert.doesNotThrow(() => parseConfig({ size: "small" }, { dockerEngine: engine(8, 16000) }));
        });

        it("names the stack in the command whenever it is known (the first argument of npm run pulumi)", () => {
            assert.match(problemsOn({ size: "default" }, engine(8, 16000), "staging")[0], /npm run pulumi -- staging config set size small/);
            assert.match(problemsOn({ size: "default" }, engine(8, 16000), "dev")[0], /npm run pulumi -- dev config set size small/);
        });

        it("counts explicit sizes and what observability and backups turn off", () => {
            const base = atOnce("small").memoryMb;
            const c = parseConfig({ size: "small", ollama: { memoryMb: 3072 + 1000 }, backup: { enabled: false }, observability: { logs: false } });
            const t = footprintTotals(dockerFootprint(footprintConfigOf(c))).atOnce;
            assert.ok(t.memoryMb < base + 1000, `${t.memoryMb}: schedulers and the log stack are gone, the extra 1000 MB of Ollama counted`);
            // What stays of the schedulers: one per store for its maintenance (sqlserver, timescale, qdrant).
            assert.equal(footprintTotals(dockerFootprint(footprintConfigOf(c))).backups.containers, 3);
        });
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
        rejects({ size: "tiny" }, "size", '"tiny"', 'must be one of "auto", "default", "small"');
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

    it("hints at the fraction's type only where a fraction is allowed, with the project's own pulumi command", () => {
        rejects({ redis: { cpu: "0.5" } }, "redis.cpu", 'redis.cpu = "0.5": must be a number (a fraction on the command line needs its type: npm run pulumi -- config set --path redis.cpu 0.5 --type float)');
        rejects({ observability: { proxyErrorRatePercent: "0.5" } }, "observability.proxyErrorRatePercent", "config set --path observability.proxyErrorRatePercent 0.5 --type float");
        for (const [raw, key] of [
            [{ redis: { memoryMb: "4096" } }, "redis.memoryMb"],
            [{ qdrant: { hnswM: "16" } }, "qdrant.hnswM"],
            [{ aws: { owner: "x", database: { allocatedStorageGb: "100" } } }, "aws.database.allocatedStorageGb"],
        ] as const) {
            const found = problems({ platform: "kubernetes", ...kubernetesEssentials, ...raw }).find((p) => p.startsWith(`llm-platform:${key} =`));
            assert.ok(found, `a problem for ${key}`);
            assert.match(found, /: must be a whole number$/, "a whole number has no fraction to hint at");
        }
        assert.ok(problems({ redis: { cpu: "x" }, qdrant: { memoryMb: "y" } }).every((p) => !/(^|[^-] )pulumi config set/.test(p)), "never a bare pulumi config set (it would target Pulumi Cloud)");
    });

    it("suggests the right spelling of a top-level key, as of a nested one", () => {
        const typo = (key: string) => {
            try {
                rawConfig({ [`llm-platform:${key}`]: "{}" });
                return "";
            } catch (e) {
                return (e as ConfigError).problems.join("\n");
            }
        };
        assert.match(typo("sqlsever"), /^llm-platform:sqlsever: unknown key \(did you mean sqlserver\?\); allowed keys: platform, size/);
        assert.match(typo("Observability"), /did you mean observability\?/);
        assert.match(typo("nodeexporter"), /did you mean nodeExporter\?/);
        assert.match(typo("tsl"), /did you mean tls\?/);
        assert.doesNotMatch(typo("database"), /did you mean/, "nothing close: no guess");
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

    it("puts Valkey on ElastiCache only where AWS is, with windows ElastiCache accepts", () => {
        rejects({ redis: { engine: "elasticache" } }, "redis.engine", '"elasticache"', "aws object", '"statefulset"');
        rejects({ redis: { engine: "memorystore" } }, "redis.engine", "statefulset", "elasticache");
        const onAws = (cache: Record<string, unknown>) => ({
            platform: "kubernetes",
            ...kubernetesEssentials,
            ollama: { gpu: false },
            redis: { engine: "elasticache" },
            aws: { owner: "ops", region: "eu-west-1", network: { eksClusterName: "c" }, loadBalancer: { route53ZoneId: "Z0123456789ABCDEFGHIJ" }, cache },
        });
        assert.deepEqual(problems(onAws({})).filter((p) => p.includes("redis") || p.includes("cache")), []);
        // ElastiCache refuses a snapshot window that overlaps the maintenance window, also across midnight and the week's end.
        rejects(onAws({ snapshotWindow: "05:30-06:30" }), "aws.cache.snapshotWindow", "sun:05:00-sun:06:00", "overlap");
        rejects(onAws({ snapshotWindow: "23:30-00:30", maintenanceWindow: "mon:00:00-mon:01:00" }), "aws.cache.snapshotWindow", "overlap");
        rejects(onAws({ snapshotWindow: "00:30-01:30", maintenanceWindow: "sat:23:00-sun:01:00" }), "aws.cache.snapshotWindow", "overlap");
        assert.deepEqual(problems(onAws({ snapshotWindow: "04:00-05:00" })).filter((p) => p.includes("cache")), [], "back to back is no overlap");
        rejects(onAws({ nodes: 1 }), "aws.cache.nodes");
        rejects(onAws({ maintenanceWindow: "Sun:05:00-Sun:06:00" }), "aws.cache.maintenanceWindow", "lower case");
        // An app's Redis user is an ElastiCache user there, whose id may not contain "--".
        const app = { name: "courses-api", upstream: { service: "courses.apps:8001" }, routes: [{ pathPrefix: "/courses" }], databases: { redis: {} } };
        assert.deepEqual(problems({ ...onAws({}), apps: [app] }).filter((p) => p.includes("apps")), []);
        rejects({ ...onAws({}), apps: [{ ...app, name: "courses--api" }] }, "apps.0.name", '"courses--api"', "ElastiCache", "--");
        assert.deepEqual(problems({ ...onAws({}), redis: { engine: "statefulset" }, apps: [{ ...app, name: "courses--api" }] }).filter((p) => p.includes("apps")), []);
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
