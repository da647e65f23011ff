import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { unpinnedReason } from "../components/config/images";
import { RegisteredResource, runStack, StackRun } from "../harness/run-stack";
import { isSecretValue } from "../policies/rules/support/values";

const CONTAINER = "docker:index/container:Container";
const IMAGE = "docker:index/remoteImage:RemoteImage";
const VOLUME = "docker:index/volume:Volume";
const NETWORK = "docker:index/network:Network";

const label = (r: RegisteredResource, key: string) => r.inputs.labels?.find((l: any) => l.label === key)?.value;
const env = (r: RegisteredResource) => Object.fromEntries((r.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
const upload = (r: RegisteredResource, file: string) => {
    const u = r.inputs.uploads?.find((x: any) => x.file === file);
    assert.ok(u, `${r.name} has no upload ${file}`);
    return u.content as string;
};
const services = (run: StackRun) => run.ofType(CONTAINER).filter((c) => ["service", "node-agent"].includes(label(c, "llm-platform.role")));
const steps = (run: StackRun) => run.ofType(CONTAINER).filter((c) => label(c, "llm-platform.role") === "init");

describe("dev stack (Pulumi.dev.yaml under mocks)", function () {
    let run: StackRun;
    before(async () => {
        run = await runStack("dev");
    });

    it("runs every service as a container, observability included", () => {
        assert.deepEqual(services(run).map((c) => c.name).sort(), [
            "alertmanager",
            "blackbox-exporter",
            "cadvisor",
            "elasticsearch",
            "elasticsearch-exporter",
            "fluent-bit",
            "grafana",
            "kibana",
            "logstash",
            "node-exporter",
            "ollama",
            "prometheus",
            "proxy",
            "proxy-exporter",
            "qdrant",
            "redis",
            "redis-exporter",
            "sqlserver",
            "sqlserver-exporter",
            "timescale",
            "timescale-exporter",
        ]);
    });

    it("puts every container on one dedicated network with the configured subnet", () => {
        const [network] = run.ofType(NETWORK);
        assert.equal(run.ofType(NETWORK).length, 1);
        assert.equal(network.inputs.name, "llm-platform-dev");
        assert.deepEqual(network.inputs.ipamConfigs, [{ subnet: "172.28.53.0/24", gateway: "172.28.53.1" }]);
        assert.equal(network.options.deleteBeforeReplace, true, "a fixed name: the old network must go before its replacement");
        for (const c of run.ofType(CONTAINER)) {
            assert.deepEqual(c.inputs.networksAdvanced.map((n: any) => n.name), ["llm-platform-dev"], c.name);
        }
    });

    it("gives every container limits, reservations, log rotation, labels and a pinned image", () => {
        const images = new Map(run.ofType(IMAGE).map((i) => [i.state.imageId, i.inputs.name as string]));
        for (const c of run.ofType(CONTAINER)) {
            assert.ok(c.inputs.memory > 0 && Number(c.inputs.cpus) > 0, `${c.name} limits`);
            assert.equal(c.inputs.memorySwap, c.inputs.memory, `${c.name} has no swap beyond its limit`);
            assert.ok(c.inputs.memoryReservation > 0 && c.inputs.memoryReservation <= c.inputs.memory, `${c.name} memory reservation`);
            assert.ok(c.inputs.cpuShares >= 2, `${c.name} cpu shares`);
            assert.equal(c.inputs.logDriver, "json-file");
            assert.deepEqual(c.inputs.logOpts, { "max-size": "100m", "max-file": "5" });
            assert.equal(label(c, "llm-platform.stack"), "llm-platform-dev");
            const ref = images.get(c.inputs.image);
            assert.ok(ref, `${c.name} runs an image pulled as docker.RemoteImage`);
            assert.equal(unpinnedReason(ref), undefined, `${c.name} image ${ref} is pinned`);
        }
    });

    it("gives every service a health check, a restart policy and waits for healthy", () => {
        for (const c of services(run)) {
            assert.equal(c.inputs.healthcheck.tests[0], "CMD", c.name);
            assert.ok(c.inputs.healthcheck.tests.length > 1, c.name);
            assert.equal(c.inputs.restart, "unless-stopped", c.name);
            assert.equal(c.inputs.wait, true, c.name);
            assert.ok(c.inputs.waitTimeout >= 60, c.name);
        }
    });

    it("sizes containers from Pulumi.dev.yaml", () => {
        const sql = run.named(CONTAINER, "sqlserver");
        assert.equal(sql.inputs.memory, 4096);
        assert.equal(sql.inputs.memoryReservation, 2048);
        assert.equal(sql.inputs.cpus, "2.0");
        assert.equal(sql.inputs.cpuShares, 1024);
    });

    it("gives every service a stop timeout Docker uses, a minute for the databases", () => {
        for (const c of services(run)) {
            assert.ok(c.inputs.stopTimeout >= 10, `${c.name} stopTimeout`);
            assert.equal(c.inputs.destroyGraceSeconds, c.inputs.stopTimeout, c.name);
        }
        for (const db of ["sqlserver", "timescale"]) assert.ok(run.named(CONTAINER, db).inputs.stopTimeout >= 60, db);
    });

    it("gives image pulls, model downloads and waits for healthy time beyond the provider's 20 minutes", () => {
        const minutes = (t: string | undefined) => Number(/^(\d+)m$/.exec(t ?? "")?.[1] ?? NaN);
        for (const image of run.ofType(IMAGE)) assert.ok(minutes(image.options.customTimeouts?.create) >= 60, image.name);
        for (const pull of ["ollama-pull-chat-model", "ollama-pull-embedding-model"]) {
            assert.ok(minutes(run.named(CONTAINER, pull).options.customTimeouts?.create) >= 60, pull);
        }
        for (const c of services(run)) {
            assert.ok(minutes(c.options.customTimeouts?.create) * 60 > c.inputs.waitTimeout, `${c.name} create outlasts its wait`);
        }
    });

    it("publishes only the proxy on public interfaces; database ports on 127.0.0.1", () => {
        for (const c of services(run)) {
            for (const p of c.inputs.ports ?? []) {
                if (c.name === "proxy") assert.equal(p.ip, "0.0.0.0", "proxy.bindAddress defaults to every interface");
                else assert.equal(p.ip, "127.0.0.1", `${c.name}:${p.internal} must bind to loopback`);
            }
        }
        const proxyPorts = run.named(CONTAINER, "proxy").inputs.ports.map((p: any) => [p.internal, p.external]);
        assert.deepEqual(proxyPorts, [[80, 8080], [443, 8443]], "sorted by internal port, as the provider reads them back");
        assert.deepEqual(run.named(CONTAINER, "sqlserver").inputs.ports, [{ internal: 1433, external: 1433, ip: "127.0.0.1", protocol: "tcp" }]);
    });

    it("keeps data volumes on delete, with fixed names that survive renames", () => {
        const volumes = run.ofType(VOLUME);
        assert.deepEqual(volumes.map((v) => v.inputs.name).sort(), [
            "llm-platform-dev-alertmanager-data",
            "llm-platform-dev-backups",
            "llm-platform-dev-elasticsearch-data",
            "llm-platform-dev-fluent-bit-state",
            "llm-platform-dev-grafana-data",
            "llm-platform-dev-ollama-models",
            "llm-platform-dev-prometheus-data",
            "llm-platform-dev-qdrant-snapshots",
            "llm-platform-dev-qdrant-storage",
            "llm-platform-dev-redis-data",
            "llm-platform-dev-sqlserver-data",
            "llm-platform-dev-timescale-data",
        ]);
        for (const v of volumes) assert.equal(v.options.retainOnDelete, true, `${v.name} is retained`);
        const sqlMounts = run.named(CONTAINER, "sqlserver").inputs.volumes;
        assert.deepEqual(sqlMounts, [
            { volumeName: "llm-platform-dev-sqlserver-data", containerPath: "/var/opt/mssql" },
            { volumeName: "llm-platform-dev-backups", containerPath: "/backups" },
        ]);
    });

    it("keeps the database passwords through a destroy, as their data volumes are kept", () => {
        const passwords = run.ofType("random:index/randomPassword:RandomPassword");
        const protectedOnes = passwords.filter((p) => p.options.protect).map((p) => p.name).sort();
        // Grafana keeps its admin password in its data volume after the first start.
        // Kibana's encryption keys must outlive destroy as Elasticsearch's data (which they encrypt) does.
        assert.deepEqual(protectedOnes, [
            "grafana-admin-password",
            "logs-elastic-password",
            "logs-kibana-reporting-key",
            "logs-kibana-saved-objects-key",
            "logs-kibana-security-key",
            "sqlserver-master-key-password",
            "sqlserver-sa-password",
            "timescale-password",
        ]);
    });

    it("runs each one-shot step after its service, once, and to completion", () => {
        assert.deepEqual(steps(run).map((s) => s.name).sort(), [
            "elasticsearch-setup",
            "kibana-data-view",
            "ollama-pull-chat-model",
            "ollama-pull-embedding-model",
            "qdrant-collection",
            "sqlserver-migrate",
            "sqlserver-monitor-login",
            "sqlserver-settings",
            "timescale-migrate",
            "timescale-monitor-role",
        ]);
        // A step starts once its service is healthy; SQL Server's migrations once its settings step made the database.
        // The others side by side: the two model pulls download at the same time.
        const afterStep: Record<string, string> = { "sqlserver-migrate": "sqlserver-settings" };
        for (const s of steps(run)) {
            const waitsFor = afterStep[s.name] ?? label(s, "llm-platform.service");
            assert.deepEqual(
                s.options.dependsOn.filter((d: string) => d.startsWith(CONTAINER)),
                [`${CONTAINER}::${waitsFor}`],
                `${s.name} waits for ${waitsFor}: ${s.options.dependsOn}`,
            );
            assert.equal(s.inputs.mustRun, false);
            assert.equal(s.inputs.attach, true);
            assert.equal(s.inputs.restart, "no");
        }
        assert.deepEqual(run.outputs.initialization, Object.fromEntries(steps(run).map((s) => [s.name, "completed"])));
    });

    it("configures SQL Server: derived memory cap, generated sa password, trusted CA, vector schema over HTTPS", () => {
        const sql = run.named(CONTAINER, "sqlserver");
        const e = env(sql);
        assert.equal(e.MSSQL_MEMORY_LIMIT_MB, String(Math.floor(4096 * 0.8)));
        assert.equal(e.MSSQL_PID, "Developer");
        assert.equal(e.ACCEPT_EULA, "Y");
        assert.equal(e.MSSQL_SA_PASSWORD, run.outputs.credentials.sqlserverSaPassword);
        assert.match(e.MSSQL_SA_PASSWORD, /^(?=.*[A-Z])(?=.*[a-z])(?=.*\d)(?=.*[^A-Za-z0-9]).{12,}$/);
        assert.ok(isSecretValue(sql.rawInputs.envs), "the engine receives the environment as a secret");
        assert.equal(upload(sql, "/var/opt/mssql/security/ca-certificates/llm-platform-ca.crt"), run.outputs.caCertificatePem);
        assert.deepEqual(sql.inputs.healthcheck.tests.slice(0, 2), ["CMD", "/opt/mssql-tools18/bin/sqlcmd"]);

        const settings = upload(run.named(CONTAINER, "sqlserver-settings"), "/tmp/llm-platform-settings.sql");
        assert.match(settings, /LOCATION = 'https:\/\/proxy\/api\/embed'/);
        assert.match(settings, /MODEL = 'nomic-embed-text'/);
        assert.match(settings, /vector_dimensions <> 768\n/);
        const migrate = run.named(CONTAINER, "sqlserver-migrate");
        assert.match(upload(migrate, "/opt/llm-platform/migrations/liquibase.properties"), /^parameter\.embedding_dimensions: 768$/m);
        assert.match(upload(migrate, "/opt/llm-platform/migrations/deploy/documents.sql"), /embedding VECTOR\(\$\{embedding_dimensions\}\) NULL/);
        assert.match(
            upload(migrate, "/opt/llm-platform/migrations/deploy/document-vector-index.sql"),
            /CREATE VECTOR INDEX ix_documents_embedding ON dbo\.documents \(embedding\)\s+WITH \(METRIC = 'cosine', TYPE = 'DiskANN'\)/,
        );
    });

    it("issues the proxy certificate from the internal CA, with the SANs clients use", () => {
        const csr = run.named("tls:index/certRequest:CertRequest", "tls-server-csr");
        assert.deepEqual(csr.inputs.dnsNames, ["proxy", "llm-platform-dev-proxy", "localhost"]);
        assert.deepEqual(csr.inputs.ipAddresses, ["127.0.0.1"]);
        const leaf = run.named("tls:index/locallySignedCert:LocallySignedCert", "tls-server");
        assert.equal(leaf.inputs.validityPeriodHours, 90 * 24);
        assert.equal(leaf.inputs.earlyRenewalHours, 30 * 24);
        assert.ok(leaf.inputs.allowedUses.includes("server_auth"));
        const ca = run.ofType("tls:index/selfSignedCert:SelfSignedCert")[0];
        assert.equal(ca.inputs.isCaCertificate, true);
        const proxy = run.named(CONTAINER, "proxy");
        assert.match(upload(proxy, "/etc/nginx/tls/tls.crt"), /BEGIN CERTIFICATE/);
        assert.match(upload(proxy, "/etc/nginx/nginx.conf"), /ssl_protocols TLSv1\.2 TLSv1\.3;/);
    });

    it("sizes Redis and PostgreSQL memory from their limits", () => {
        assert.match(upload(run.named(CONTAINER, "redis"), "/usr/local/etc/valkey/valkey.conf"), /^maxmemory 768mb$/m);
        const pg = run.named(CONTAINER, "timescale").inputs.command.join(" ");
        assert.match(pg, /shared_buffers=1024MB/);
        assert.match(pg, /effective_cache_size=3072MB/);
        assert.equal(run.named(CONTAINER, "timescale").inputs.shmSize, 512, "/dev/shm beyond Docker's 64 MB default");
    });

    it("creates the Qdrant collection with the embedding dimension", () => {
        const script = upload(run.named(CONTAINER, "qdrant-collection"), "/tmp/llm-platform-collection.sh");
        assert.match(script, /"vectors":\{"size":768,"distance":"Cosine"\}/);
        assert.match(script, /"hnsw_config":\{"m":16,"ef_construct":128\}/);
        assert.ok(env(run.named(CONTAINER, "qdrant")).QDRANT__SERVICE__API_KEY);
    });

    it("exports endpoints, the CA and secret credentials", async () => {
        assert.equal(run.outputs.proxyUrl, "https://localhost:8443");
        assert.deepEqual(run.outputs.endpoints, {
            sqlserver: "sqlserver:1433",
            ollama: "http://ollama:11434",
            proxy: "https://proxy:443",
            timescale: "timescale:5432",
            redis: "redis:6379",
            qdrant: "https://qdrant:6333",
        });
        assert.match(run.outputs.caCertificatePem, /BEGIN CERTIFICATE/);
        assert.equal(await pulumi.isSecret(run.rawOutputs.credentials), true, "credentials are secret");
        for (const [name, value] of Object.entries(run.rawOutputs.connectionStrings)) {
            assert.equal(await pulumi.isSecret(value as pulumi.Output<string>), true, `${name} connection string is secret`);
        }
        assert.match(run.outputs.connectionStrings.timescale, /^postgresql:\/\/postgres:.+@timescale:5432\/llm_observatory/);
    });

    it("gives every proxy client and SQL Server their own API key, as secrets", async () => {
        assert.equal(await pulumi.isSecret(run.rawOutputs.apiKeys), true, "API keys are secret");
        assert.deepEqual(Object.keys(run.outputs.apiKeys), ["default"], "one per proxy.clients; SQL Server's stays inside");
        const proxy = run.named(CONTAINER, "proxy");
        assert.ok(isSecretValue(proxy.rawInputs.uploads), "the uploads, keys file included, travel as a secret");
        const map = upload(proxy, "/etc/nginx/auth/api-keys.map");
        assert.match(map, new RegExp(`^"Bearer ${run.outputs.apiKeys.default}" default;\n"Bearer [A-Za-z0-9]{48}" sqlserver;\n$`));
        const sqlKey = /"Bearer ([A-Za-z0-9]+)" sqlserver;/.exec(map)![1];
        const init = upload(run.named(CONTAINER, "sqlserver-settings"), "/tmp/llm-platform-settings.sql");
        assert.ok(init.includes(`"Authorization":"Bearer ${sqlKey}"`), "SQL Server sends the key the proxy knows");
        assert.match(upload(proxy, "/etc/nginx/nginx.conf"), /include \/etc\/nginx\/auth\/api-keys\.map;/);
    });
});

describe("dev stack with and without a GPU", () => {
    it("runs Ollama on the CPU when ollama.gpu is false", async () => {
        const run = await runStack("dev", { overrides: { "llm-platform:ollama": { gpu: false } } });
        const ollama = run.named(CONTAINER, "ollama");
        assert.equal(ollama.inputs.gpus, undefined);
        assert.equal(env(ollama).OLLAMA_FLASH_ATTENTION, undefined);
        assert.equal(label(ollama, "llm-platform.gpu"), undefined);
    });

    it("asks Docker for every GPU when ollama.gpu is true", async () => {
        const run = await runStack("dev", { overrides: { "llm-platform:ollama": { gpu: true } } });
        const ollama = run.named(CONTAINER, "ollama");
        assert.equal(ollama.inputs.gpus, "all");
        assert.equal(env(ollama).OLLAMA_FLASH_ATTENTION, "1");
        assert.equal(env(ollama).NVIDIA_VISIBLE_DEVICES, "all");
        assert.equal(label(ollama, "llm-platform.gpu"), "required", "the policy pack checks GPU requests by this label");
        for (const c of run.ofType(CONTAINER).filter((c) => c.name !== "ollama")) assert.equal(c.inputs.gpus, undefined, c.name);
    });
});

describe("a failed one-shot step", () => {
    it("fails the deployment with the step's name, its last output lines and how to run it again", async () => {
        await assert.rejects(
            runStack("dev", { stepExitCode: 1 }),
            /one-shot step .+ exited with code 1; its last lines:\n    step .+ output\nsee `docker logs llm-platform-dev-.+`, fix the cause, then run it again with `npm run pulumi -- dev up --replace 'urn:pulumi:dev::llm-platform::.*docker:index\/container:Container::/,
        );
    });

    it("counts a step without an exit code (a create that timed out) as failed, not done", async () => {
        await assert.rejects(
            runStack("dev", { stepExitCode: null }),
            /one-shot step .+ did not report an exit code: its run did not finish .*docker\.pullTimeoutMinutes.*npm run pulumi -- dev up --replace/s,
        );
    });
});
