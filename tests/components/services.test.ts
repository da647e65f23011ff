import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { parseConfig, PlatformConfig } from "../../components/config/load";
import { Ollama } from "../../components/ollama/ollama";
import { ServiceSpec } from "../../components/platform/types";
import { TlsProxy } from "../../components/proxy/proxy";
import { Qdrant } from "../../components/qdrant/qdrant";
import { Redis } from "../../components/redis/redis";
import { SqlServer } from "../../components/sqlserver/sqlserver";
import { Timescale } from "../../components/timescale/timescale";
import { Certificates } from "../../components/tls/certificates";
import { RecordingPlatform } from "../helpers/recording-platform";
import { Registered, settle, useMocks } from "../helpers/mocks";

const file = async (spec: ServiceSpec | { files?: ServiceSpec["files"] }, path: string) => {
    const f = spec.files?.find((x) => x.path === path);
    assert.ok(f, `no file ${path}`);
    return settle(f.content);
};

/** A store's certificate as the stack issues it (certificates.ts serverTls); its content is not what these tests look at. */
const storeTls = { caCertPem: "-----CA-----\n", certPem: "-----CERT-----\n", keyPem: "-----KEY-----\n" };

describe("service components", () => {
    let registered: Registered[];
    let platform: RecordingPlatform;
    let config: PlatformConfig;

    beforeEach(async () => {
        registered = await useMocks();
        platform = new RecordingPlatform();
        config = parseConfig({ sqlserver: { memoryMb: 5000, hostPort: 14330 }, ollama: { embeddingModel: "all-minilm", gpu: true } });
    });

    describe("SqlServer", () => {
        it("derives its memory cap, generates the sa password and trusts the CA", async () => {
            const sql = new SqlServer("sqlserver", {
                config: config.sqlserver,
                backup: config.backup,
                maintenance: config.maintenance,
                embeddingModel: "all-minilm",
                embeddingDimensions: 384,
                embedUrl: "https://proxy/api/embed",
                caCertPem: "CA PEM",
                apiKey: "K".repeat(48),
                platform,
            });
            const spec = platform.only();
            assert.equal(spec.env!.MSSQL_MEMORY_LIMIT_MB, "4000");
            assert.equal(spec.resources.memoryMb, 5000);
            assert.equal(await file(spec, "/var/opt/mssql/security/ca-certificates/llm-platform-ca.crt"), "CA PEM");
            assert.deepEqual(spec.ports[0].publish, { hostPort: 14330, hostIp: "127.0.0.1" });
            assert.equal(await settle(spec.secretEnv!.MSSQL_SA_PASSWORD), await settle(sql.saPassword));
            const password = registered.find((r) => r.type === "random:index/randomPassword:RandomPassword")!;
            assert.ok(password.inputs.minUpper >= 1 && password.inputs.minLower >= 1 && password.inputs.minNumeric >= 1 && password.inputs.minSpecial >= 1);
            assert.equal(await pulumi.isSecret(sql.connectionString("localhost,14330")), true);

            const [settings, migrate] = spec.initSteps!;
            assert.equal(settings.name, "settings");
            assert.deepEqual(settings.entrypoint, ["/opt/mssql-tools18/bin/sqlcmd"]);
            assert.ok(settings.command.includes("-b"), "sqlcmd stops and fails on the first error");
            assert.match(await file(settings, "/tmp/llm-platform-settings.sql"), /vector_dimensions <> 384/);
            // The schema: Liquibase's changelog, the dimension as its parameter, sa's password as a secret.
            assert.equal(migrate.name, "migrate");
            assert.deepEqual([migrate.image, migrate.entrypoint, migrate.command], ["liquibase/liquibase:4.28.0", ["/bin/sh", "/opt/llm-platform/migrate.sh"], ["deploy"]]);
            assert.match(await file(migrate, "/opt/llm-platform/migrations/liquibase.properties"), /^url: jdbc:sqlserver:\/\/sqlserver:1433;databaseName=llm;encrypt=true;trustServerCertificate=true\nusername: sa\nparameter\.embedding_dimensions: 384$/m);
            assert.equal(await settle(migrate.secretEnv!.LIQUIBASE_COMMAND_PASSWORD), await settle(sql.saPassword));
            assert.deepEqual(migrate.migration, { backupFirst: "full" });
        });
    });

    describe("Ollama", () => {
        it("asks for the GPU, keeps models on a volume and pulls both models with retries", () => {
            new Ollama("ollama", { config: config.ollama, platform });
            const spec = platform.only();
            assert.equal(spec.gpu, true);
            assert.deepEqual(spec.volumes, [{ name: "models", mountPath: "/var/lib/ollama", sizeGb: 100, sizedBy: "ollama.storageGb" }]);
            assert.equal(spec.env!.OLLAMA_KEEP_ALIVE, "30m");
            assert.equal(spec.env!.OLLAMA_NUM_PARALLEL, "2");
            assert.deepEqual(spec.healthCheck.command, ["ollama", "list"]);
            assert.deepEqual(
                spec.initSteps!.map((s) => [s.name, s.env!.MODEL]),
                [
                    ["pull-embedding-model", "all-minilm"],
                    ["pull-chat-model", "llama3.2:3b"],
                ],
            );
            assert.equal(spec.initSteps![0].env!.OLLAMA_HOST, "http://ollama:11434");
        });
    });

    describe("TlsProxy", () => {
        it("publishes HTTPS and HTTP on the host and mounts the config, certificate and key", async () => {
            new TlsProxy("proxy", { config: config.proxy, platform, certPem: "CERT", keyPem: pulumi.secret("KEY"), ollamaTarget: "ollama:11434" });
            const spec = platform.only();
            assert.deepEqual(
                spec.ports.map((p) => [p.port, p.publish]),
                [
                    [443, { hostPort: 8443, hostIp: "0.0.0.0" }],
                    [80, { hostPort: 8080, hostIp: "0.0.0.0" }],
                ],
            );
            assert.match(await file(spec, "/etc/nginx/nginx.conf"), /location ~ \^\/api\/\(embed\|/);
            const key = spec.files!.find((f) => f.path === "/etc/nginx/tls/tls.key")!;
            assert.equal(key.secret, true);
            assert.equal(key.mode, "0600");
        });
    });

    describe("Timescale", () => {
        it("derives PostgreSQL memory from its limit and migrates the schema, then applies the policies, in a one-shot step", async () => {
            new Timescale("timescale", { config: config.timescale, backup: config.backup, maintenance: config.maintenance, platform, tls: storeTls });
            const spec = platform.only();
            assert.ok(spec.command!.includes("shared_buffers=1024MB"));
            assert.ok(spec.command!.includes("effective_cache_size=3072MB"));
            assert.equal(spec.env!.NO_TS_TUNE, "true");
            const [step] = spec.initSteps!;
            assert.deepEqual([step.name, step.image, step.command], ["migrate", "sqitch/sqitch:v1.6.1.2", ["deploy"]]);
            assert.deepEqual(
                [step.env!.PGHOST, step.env!.PGPORT, step.env!.PGDATABASE, step.env!.PGUSER, step.env!.MIGRATE_ADOPT_TO, step.env!.MIGRATE_ADOPT_EVIDENCE],
                ["timescale", "5432", "llm_observatory", "postgres", "@init-steps", "llm_traces"],
            );
            assert.match(await file(step, "/opt/llm-platform/migrations/deploy/llm_traces_hypertable.sql"), /create_hypertable\('llm_traces'/);
            assert.match(await file(step, "/opt/llm-platform/after-deploy.sql"), /add_retention_policy\('llm_traces', drop_after => INTERVAL '90 days'\)/);
        });

        it("serves TLS only over TCP, and every client it declares verifies the server's name with the CA", async () => {
            const timescale = new Timescale("timescale", { config: config.timescale, backup: config.backup, maintenance: config.maintenance, platform, tls: storeTls });
            const spec = platform.only();
            for (const flag of ["ssl=on", "ssl_min_protocol_version=TLSv1.2", "hba_file=/etc/postgresql/pg_hba.conf", "ssl_key_file=/var/run/postgresql/server.key"]) assert.ok(spec.command!.includes(flag), flag);
            assert.match(await file(spec, "/etc/postgresql/pg_hba.conf"), /^hostnossl\s+all\s+all\s+all\s+reject$/m);
            assert.equal(await file(spec, "/etc/postgresql/tls/server.crt"), storeTls.certPem);
            assert.equal(spec.files!.find((f) => f.path === "/etc/postgresql/tls/server.key")!.secret, true);
            assert.match(spec.entrypoint!.join(" "), /cp "\/etc\/postgresql\/tls\/server.key" "\/var\/run\/postgresql\/server.key" && chmod 0600 .* exec docker-entrypoint.sh/);
            const clients = [...spec.initSteps!, ...spec.backups!, ...spec.scheduledTasks!];
            assert.ok(clients.length >= 3);
            for (const c of clients) {
                assert.equal(c.env!.PGSSLMODE, "verify-full", c.name);
                assert.equal(c.env!.PGSSLROOTCERT, "/etc/llm-platform/tls/store-ca.crt", c.name);
                assert.equal(await file(c, "/etc/llm-platform/tls/store-ca.crt"), storeTls.caCertPem, c.name);
            }
            assert.match(await settle(timescale.connectionString("timescale:5432")), /\?sslmode=verify-full&sslrootcert=%2Fetc%2Fllm-platform%2Ftls%2Fstore-ca.crt$/);
        });
    });

    describe("Redis", () => {
        it("writes its config as a secret file and health-checks with the password from the environment", async () => {
            const redis = new Redis("redis", { config: config.redis, backup: config.backup, platform, tls: storeTls });
            const spec = platform.only();
            const conf = spec.files![0];
            assert.equal(conf.secret, true);
            assert.match(await settle(conf.content), new RegExp(`requirepass ${await settle(redis.password)}`));
            assert.deepEqual(spec.command, ["valkey-server", "/usr/local/etc/valkey/valkey.conf"]);
            assert.equal(await settle(spec.secretEnv!.REDISCLI_AUTH), await settle(redis.password));
            assert.doesNotMatch(spec.healthCheck.command.join(" "), /-a /, "no password on the command line");
        });

        it("serves TLS only, and its health check, backups and exporter verify it with the CA", async () => {
            const redis = new Redis("redis", { config: config.redis, backup: config.backup, platform, tls: storeTls });
            const spec = platform.only();
            const conf = await settle(spec.files![0].content);
            assert.match(conf, /^port 0$/m);
            assert.match(conf, /^tls-port 6379$/m);
            assert.match(conf, /^tls-auth-clients no$/m);
            assert.equal(await file(spec, "/etc/valkey-tls/server.crt"), storeTls.certPem);
            assert.equal(await file(spec, "/etc/llm-platform/tls/store-ca.crt"), storeTls.caCertPem);
            assert.match(spec.healthCheck.command.join(" "), /valkey-cli --tls --cacert \/etc\/llm-platform\/tls\/store-ca.crt ping/);
            for (const b of spec.backups!) {
                assert.equal(b.env!.REDIS_CACERT, "/etc/llm-platform/tls/store-ca.crt");
                assert.equal(await file(b, "/etc/llm-platform/tls/store-ca.crt"), storeTls.caCertPem);
            }
            const exporter = spec.observe!.exporter!;
            assert.equal(exporter.target, "rediss://redis:6379");
            assert.equal(exporter.caCertPem, storeTls.caCertPem);
            assert.match(await settle(redis.connectionString("redis:6379")), /^rediss:\/\//);
        });
    });

    describe("Qdrant", () => {
        it("keeps storage and snapshots on volumes and creates the collection with the model's dimension", async () => {
            new Qdrant("qdrant", { config: config.qdrant, backup: config.backup, maintenance: config.maintenance, dimensions: 384, platform, tls: { caCertPem: "CA", certPem: "CERT", keyPem: "KEY" } });
            const spec = platform.only();
            assert.deepEqual(spec.volumes!.map((v) => v.mountPath), ["/qdrant/storage", "/qdrant/snapshots"]);
            assert.ok(spec.secretEnv!.QDRANT__SERVICE__API_KEY);
            assert.deepEqual(spec.healthCheck.httpGet, { path: "/readyz", port: 6333, scheme: "HTTPS" });
            assert.match(await file(spec.initSteps![0], "/tmp/llm-platform-collection.sh"), /"size":384/);
        });
    });

    describe("Certificates", () => {
        it("signs the server certificate with the CA, with config validity and early renewal", async () => {
            const certs = new Certificates("tls", {
                organization: "llm-platform test",
                dnsNames: ["proxy", "localhost"],
                ipAddresses: ["127.0.0.1"],
                validityDays: 60,
                renewBeforeDays: 20,
                caValidityDays: 3650,
            });
            await settle(certs.certPem);
            const ca = registered.find((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert")!;
            const leaf = registered.find((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert")!;
            assert.equal(ca.inputs.isCaCertificate, true);
            assert.equal(ca.inputs.validityPeriodHours, 3650 * 24);
            assert.equal(leaf.inputs.validityPeriodHours, 60 * 24);
            assert.equal(leaf.inputs.earlyRenewalHours, 20 * 24);
            assert.deepEqual(leaf.inputs.allowedUses, ["digital_signature", "key_encipherment", "server_auth"]);
            const keys = registered.filter((r) => r.type === "tls:index/privateKey:PrivateKey");
            assert.ok(keys.every((k) => k.inputs.algorithm === "RSA" && k.inputs.rsaBits >= 2048));
            assert.equal(await pulumi.isSecret(certs.keyPem), true);
        });
    });
});
