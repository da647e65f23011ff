/**
 * TimescaleDB and Valkey serve TLS only (issue #18 item 5), tried with Debian's real servers and
 * clients: the program's own pg_hba.conf, TLS settings and redis.conf, a CA and a server certificate
 * made with openssl for exactly the names the program asks its CA to sign (the mocked CertRequest).
 */
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dockerModel } from "../harness/lifecycle/docker-model";
import { kubernetesModel } from "../harness/lifecycle/kubernetes-model";
import { Lifecycle } from "../harness/lifecycle/model";
import { runStack } from "../harness/run-stack";
import { REDIS_BACKUP_SCRIPT } from "../components/redis/backup-script";
import { postgresTlsEntrypoint, postgresTlsSettings, renderPgHba } from "../components/timescale/postgres-tls";
import { redisMaxMemoryMb } from "../components/tuning";
import { freePort } from "./helpers/ports";
import { asServerUser, initDataDirectory, requirePostgres } from "./helpers/postgres";
import { loopbackRedisConf, startRedis, TestRedis } from "./helpers/redis-server";
import { requireTool } from "./helpers/tools";

const CERT_REQUEST = "tls:index/certRequest:CertRequest";
const PASSWORD = "Tls-Test_Password1";

/** The names the program requests for a store's certificate on the dev stack. */
async function requestedNames(store: string): Promise<{ dnsNames: string[]; ipAddresses: string[] }> {
    const run = await runStack("dev");
    const request = run.ofType(CERT_REQUEST).find((r) => r.name === `${store}-tls-csr`);
    assert.ok(request, `the program requests a certificate for ${store}`);
    return { dnsNames: request.inputs.dnsNames, ipAddresses: request.inputs.ipAddresses ?? [] };
}

function openssl(args: string[], cwd: string): void {
    const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
}

/** A CA and a leaf for `names`, in `dir`: ca.pem, server.pem (the leaf, then the CA, as certificates.ts chains it), server.key. */
function issue(dir: string, names: { dnsNames: string[]; ipAddresses: string[] }, prefix = ""): { ca: string; cert: string; key: string } {
    const f = (n: string) => path.join(dir, `${prefix}${n}`);
    openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=test internal CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
    openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", `/CN=${names.dnsNames[0]}`], dir);
    const san = [...names.dnsNames.map((n) => `DNS:${n}`), ...names.ipAddresses.map((ip) => `IP:${ip}`)].join(",");
    fs.writeFileSync(f("ext.cnf"), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
    openssl(["x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("leaf.pem"), "-days", "1", "-extfile", f("ext.cnf")], dir);
    fs.writeFileSync(f("server.pem"), fs.readFileSync(f("leaf.pem"), "utf8") + fs.readFileSync(f("ca.pem"), "utf8"));
    return { ca: f("ca.pem"), cert: f("server.pem"), key: f("server.key") };
}

describe("TimescaleDB over TLS only: the program's pg_hba.conf and TLS settings in Debian's PostgreSQL, psql as the client", function () {
    this.timeout(120000);
    let dir: string;
    let port: number;
    let ca: string;
    let names: { dnsNames: string[]; ipAddresses: string[] };
    let stop: () => void = () => undefined;

    before(async function () {
        const bin = requirePostgres(this, "psql");
        requireTool(this, "openssl", "openssl");
        names = await requestedNames("timescale");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-pg-tls-"));
        fs.chmodSync(dir, 0o777);
        const files = issue(dir, names);
        ca = files.ca;
        const asRoot = process.getuid?.() === 0;
        const data = path.join(dir, "data");
        const run = path.join(dir, "run");
        fs.mkdirSync(run);
        if (asRoot) spawnSync("chown", ["postgres", run]);
        // As the container does (postgresTlsEntrypoint): the mounted key copied to the server's own file with mode 0600.
        const paths = { certFile: files.cert, mountedKeyFile: files.key, keyFile: path.join(run, "server.key"), hbaFile: path.join(dir, "pg_hba.conf") };
        fs.chmodSync(files.key, 0o644);
        // The program's own entrypoint, the image's docker-entrypoint.sh standing in as a script that runs its arguments.
        const bin2 = path.join(dir, "bin");
        fs.mkdirSync(bin2);
        fs.writeFileSync(path.join(bin2, "docker-entrypoint.sh"), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
        const [shell, ...entrypoint] = postgresTlsEntrypoint(paths);
        const copy = asServerUser(["env", `PATH=${bin2}:${process.env.PATH}`, shell, ...entrypoint, "true"]);
        assert.equal(copy.status, 0, copy.stderr);
        assert.equal(fs.statSync(paths.keyFile).mode & 0o777, 0o600, "the server's own key file, as PostgreSQL demands");
        fs.writeFileSync(paths.hbaFile, renderPgHba());
        initDataDirectory(bin, data);
        port = await freePort();
        const settings = Object.entries(postgresTlsSettings(paths)).map(([k, v]) => `-c ${k}=${v}`);
        const start = asServerUser([path.join(bin, "pg_ctl"), "-D", data, "-l", path.join(dir, "log"), "-w", "-o", [`-k ${run} -p ${port} -c listen_addresses=127.0.0.1`, ...settings].join(" "), "start"]);
        assert.equal(start.status, 0, `${start.stderr} ${fs.existsSync(path.join(dir, "log")) ? fs.readFileSync(path.join(dir, "log"), "utf8") : ""}`);
        stop = () => asServerUser([path.join(bin, "pg_ctl"), "-D", data, "-m", "fast", "stop"]);
        // The password the TCP logins need, set over the socket (trust there, as in the image).
        const socket = spawnSync("psql", ["-h", run, "-p", String(port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", `ALTER USER postgres PASSWORD '${PASSWORD}'`], { encoding: "utf8" });
        assert.equal(socket.status, 0, socket.stderr);
    });

    after(() => {
        stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    /** psql over TCP to 127.0.0.1 under the name `host` (libpq: host names the certificate, hostaddr the address). */
    function psql(host: string, sslmode: string, extra: Record<string, string> = {}) {
        const conninfo = [`host=${host}`, "hostaddr=127.0.0.1", `port=${port}`, "user=postgres", "dbname=postgres", `sslmode=${sslmode}`, `sslrootcert=${ca}`, "connect_timeout=5"].join(" ");
        return spawnSync("psql", ["-X", "-tA", "-d", conninfo, "-c", "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"], {
            encoding: "utf8",
            env: { ...process.env, PGPASSWORD: PASSWORD, ...extra },
        });
    }

    it("the certificate names the service, its container and loopback: what the dev clients use", () => {
        assert.ok(names.dnsNames.includes("timescale"), names.dnsNames.join(" "));
        assert.ok(names.dnsNames.includes("localhost"));
        assert.ok(names.dnsNames.includes("llm-platform-dev-timescale"));
        assert.deepEqual(names.ipAddresses, ["127.0.0.1"]);
    });

    it("psql with sslmode=verify-full by the service name connects, over TLS 1.2 or later", () => {
        const r = psql("timescale", "verify-full");
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout.trim(), /^t\|TLSv1\.[23]$/);
        for (const host of ["localhost", "llm-platform-dev-timescale"]) assert.equal(psql(host, "verify-full").status, 0, host);
    });

    it("the published port on the host verifies by its address too (host=127.0.0.1)", () => {
        const r = spawnSync("psql", ["-X", "-tA", "-d", `host=127.0.0.1 port=${port} user=postgres dbname=postgres sslmode=verify-full sslrootcert=${ca}`, "-c", "SELECT 1"], {
            encoding: "utf8",
            env: { ...process.env, PGPASSWORD: PASSWORD },
        });
        assert.equal(r.status, 0, r.stderr);
    });

    it("refuses a connection without TLS (sslmode=disable) by pg_hba, before any password", () => {
        const r = psql("timescale", "disable");
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /pg_hba\.conf rejects connection|no encryption/);
    });

    it("fails verify-full under a name the certificate does not carry", () => {
        const r = psql("wrong.example.org", "verify-full");
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /does not match host name "wrong\.example\.org"/);
    });

    it("refuses TLS older than ssl_min_protocol_version, and says so in the handshake", () => {
        // SECLEVEL=0 lets this client offer TLS 1.1 at all: the refusal is then the server's (its alert).
        const handshake = (version: string) =>
            spawnSync("openssl", ["s_client", "-starttls", "postgres", "-connect", `127.0.0.1:${port}`, version, "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", ca, "-verify_return_error"], { encoding: "utf8", input: "", timeout: 10000 });
        const tls12 = handshake("-tls1_2");
        assert.equal(tls12.status, 0, tls12.stderr);
        assert.match(tls12.stdout, /Protocol\s*:\s*TLSv1\.2/);
        const tls11 = handshake("-tls1_1");
        assert.notEqual(tls11.status, 0);
        assert.match(tls11.stderr, /alert protocol version/i);
    });

    it("fails verify-full against another CA", () => {
        const other = issue(dir, names, "other-");
        const r = spawnSync("psql", ["-X", "-tA", "-d", `host=timescale hostaddr=127.0.0.1 port=${port} user=postgres dbname=postgres sslmode=verify-full sslrootcert=${other.ca}`, "-c", "SELECT 1"], {
            encoding: "utf8",
            env: { ...process.env, PGPASSWORD: PASSWORD },
        });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /certificate verify failed/);
    });
});

describe("Valkey over TLS only: the program's redis.conf in Debian's redis-server, redis-cli as the client", function () {
    this.timeout(120000);
    let dir: string;
    let files: { ca: string; cert: string; key: string };
    let server: TestRedis | undefined;
    let cli: string;

    before(async function () {
        cli = requireTool(this, "redis-cli", "redis-tools");
        requireTool(this, "redis-server", "redis-server");
        requireTool(this, "openssl", "openssl");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-redis-tls-"));
        files = issue(dir, await requestedNames("redis"));
        server = await startRedis(
            this,
            (port, dataDir) =>
                loopbackRedisConf(port, dataDir, {
                    password: PASSWORD,
                    maxMemoryMb: redisMaxMemoryMb(512),
                    tls: { certFile: files.cert, keyFile: files.key, caFile: files.ca },
                }),
            PASSWORD,
            ["--tls", "--cacert", files.ca],
        );
    });

    after(async () => {
        await server?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const plain = (args: string[]) => spawnSync(cli, ["-h", "127.0.0.1", "-p", String(server!.port), "--no-auth-warning", ...args], { encoding: "utf8", env: { ...process.env, REDISCLI_AUTH: PASSWORD }, timeout: 10000 });

    it("redis-cli --tls --cacert with the password works", () => {
        assert.equal(server!.cli(["set", "k", "v"], PASSWORD).stdout.trim(), "OK");
        assert.equal(server!.cli(["get", "k"], PASSWORD).stdout.trim(), "v");
        assert.equal(server!.cli(["config", "get", "tls-protocols"], PASSWORD).stdout.trim().split("\n")[1], "TLSv1.2 TLSv1.3");
    });

    it("has no plain port: redis-cli without TLS gets no answer", () => {
        const r = plain(["ping"]);
        assert.notEqual(r.stdout.trim(), "PONG");
    });

    it("a client that trusts another CA is refused the handshake", () => {
        const other = issue(dir, { dnsNames: ["redis"], ipAddresses: [] }, "other-");
        const r = plain(["--tls", "--cacert", other.ca, "ping"]);
        assert.notEqual(r.stdout.trim(), "PONG");
        assert.match(r.stderr + r.stdout, /certificate verify failed|SSL/i);
    });

    it("still wants the password over TLS (tls-auth-clients no: the password or ACL user proves the client)", () => {
        const r = spawnSync(cli, ["-h", "127.0.0.1", "-p", String(server!.port), "--tls", "--cacert", files.ca, "ping"], { encoding: "utf8", env: { ...process.env, REDISCLI_AUTH: "" } });
        assert.match(r.stdout + r.stderr, /NOAUTH/);
    });

    it("the backup script streams its RDB over TLS with REDIS_CACERT", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "llm-redis-tls-backup-"));
        try {
            const script = path.join(root, "backup.sh");
            fs.writeFileSync(script, REDIS_BACKUP_SCRIPT, { mode: 0o755 });
            const env = {
                ...process.env,
                BACKUP_ROOT: path.join(root, "backups"),
                STORE: "redis",
                REDIS_CLI: cli,
                REDIS_CHECK_RDB: "redis-check-rdb",
                REDIS_HOST: "127.0.0.1",
                REDIS_PORT: String(server!.port),
                REDIS_CACERT: files.ca,
                REDISCLI_AUTH: PASSWORD,
                RETENTION_DAYS: "7",
                KEEP_LATEST: "3",
            };
            const backup = spawnSync("sh", [script, "backup"], { encoding: "utf8", env });
            assert.equal(backup.status, 0, backup.stderr);
            const without = spawnSync("sh", [script, "backup"], { encoding: "utf8", env: { ...env, REDIS_CACERT: "" } });
            assert.notEqual(without.status, 0, "a plain connection has no server to talk to");
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});

/**
 * Day two: a certificate renewed (tls.renewBeforeDays before its end, `pulumi up --refresh`) is a new
 * LocallySignedCert with new content. Under mocks a new `tls.validityDays` stands in for it: the
 * provider replaces the certificate for that too (validity_period_hours is ForceNew).
 */
describe("a renewed store certificate rolls the servers that serve it (mocks + the providers' behaviour)", function () {
    this.timeout(300000);

    it("Docker: the new certificate is a new upload, and uploads replace the container: TimescaleDB and Valkey restart with it", async () => {
        const engine = { cpus: 16, memoryMb: 64000, swapLimit: true, nvidiaRuntime: true, serverVersion: "29.1.2" };
        const life = new Lifecycle([dockerModel(engine)]);
        const first = await runStack("dev", { dockerEngine: engine });
        life.up(first);
        assert.deepEqual(life.up(await runStack("dev", { dockerEngine: engine })).summary, [], "a second up changes nothing");
        const renewed = await runStack("dev", { dockerEngine: engine, overrides: { "llm-platform:tls": { validityDays: first.config.tls.validityDays + 1 } } });
        const plan = life.up(renewed);
        const replaced = plan.names("replace", "docker:index/container:Container");
        for (const server of ["timescale", "redis"]) assert.ok(replaced.includes(server), `${server} restarts with the new certificate: ${replaced}`);
        const upload = (run: typeof first, container: string, file: string) =>
            run.named("docker:index/container:Container", container).inputs.uploads.find((u: any) => u.file === file).content;
        assert.notEqual(upload(renewed, "timescale", "/etc/postgresql/tls/server.crt"), upload(first, "timescale", "/etc/postgresql/tls/server.crt"));
        assert.notEqual(upload(renewed, "redis", "/etc/valkey-tls/server.crt"), upload(first, "redis", "/etc/valkey-tls/server.crt"));
    });

    it("Kubernetes: the pod template's content hash changes (a rolling restart); on CloudNativePG the server Secret changes, which the operator watches", async () => {
        const inCluster = { "llm-platform:timescale": { engine: "statefulset" }, "llm-platform:redis": { engine: "statefulset" } };
        for (const overrides of [inCluster, {}]) {
            const life = new Lifecycle([kubernetesModel]);
            const run = (extra: object = {}) =>
                runStack("prod", { exampleUserValues: true, overrides: { ...overrides, ...extra } as Record<string, unknown>, liveClaims: kubernetesModel.liveClaims(life.world, "llm-platform") });
            const first = await run();
            life.up(first);
            assert.deepEqual(life.up(await run()).summary, [], "a second up changes nothing");
            const plan = life.up(await run({ "llm-platform:tls": { validityDays: first.config.tls.validityDays + 1 } }));
            if (overrides === inCluster) {
                const updated = plan.names("update", "kubernetes:apps/v1:StatefulSet");
                for (const server of ["timescale", "redis"]) assert.ok(updated.includes(server), `${server}'s pods roll: ${plan.summary.join("\n")}`);
            } else {
                assert.ok(plan.names("update", "kubernetes:core/v1:Secret").includes("timescale-server-tls"), plan.summary.join("\n"));
            }
        }
    });
});

describe("every client of TimescaleDB and Valkey verifies the server with the stack's CA, on both stacks (mocks)", function () {
    this.timeout(300000);
    const CA_PATH = "/etc/llm-platform/tls/store-ca.crt";

    it("dev (Docker): steps, schedulers and exporters carry verify-full or --cacert, and the CA as an upload", async () => {
        const run = await runStack("dev");
        const containers = run.ofType("docker:index/container:Container");
        const envOf = (c: (typeof containers)[number]) => Object.fromEntries((c.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
        const caOf = (c: (typeof containers)[number]) => (c.inputs.uploads ?? []).find((u: any) => u.file === CA_PATH)?.content;
        const pgClients = containers.filter((c) => /^timescale-/.test(c.name) && c.name !== "timescale-exporter");
        assert.ok(pgClients.length >= 3, pgClients.map((c) => c.name).join(" "));
        for (const c of pgClients) {
            assert.deepEqual([envOf(c).PGSSLMODE, envOf(c).PGSSLROOTCERT], ["verify-full", CA_PATH], c.name);
            assert.equal(caOf(c), run.outputs.caCertificatePem, c.name);
        }
        const redisClients = containers.filter((c) => /^redis-/.test(c.name) && c.name !== "redis-exporter");
        assert.ok(redisClients.length >= 1);
        for (const c of redisClients) {
            assert.equal(envOf(c).REDIS_CACERT, CA_PATH, c.name);
            assert.equal(caOf(c), run.outputs.caCertificatePem, c.name);
        }
        assert.match(run.outputs.connectionStrings.timescale, /\?sslmode=verify-full&sslrootcert=llm-platform-ca.pem$/);
        assert.match(run.outputs.connectionStrings.redis, /^rediss:\/\//);
    });

    it("prod with the in-cluster stores (Kubernetes): every Job and CronJob that reaches them carries the same, and mounts the CA", async () => {
        const run = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:timescale": { engine: "statefulset" }, "llm-platform:redis": { engine: "statefulset" } } });
        const podOf = (r: { type: string; inputs: any }) => (r.type === "kubernetes:batch/v1:CronJob" ? r.inputs.spec.jobTemplate.spec.template.spec : r.inputs.spec.template.spec);
        const jobs = [...run.ofType("kubernetes:batch/v1:Job"), ...run.ofType("kubernetes:batch/v1:CronJob")].filter((j) => /^(timescale|redis)-/.test(j.name));
        assert.ok(jobs.length >= 6, jobs.map((j) => j.name).join(" "));
        for (const job of jobs) {
            const pod = podOf(job);
            // The containers that log in to the store: the AWS CLI beside them (upload, download) reaches S3, not the store.
            const clients = [...(pod.initContainers ?? []), ...pod.containers].filter((c: any) => (c.env ?? []).some((e: any) => ["PGPASSWORD", "REDISCLI_AUTH"].includes(e.name)));
            assert.ok(clients.length > 0, job.name);
            for (const c of clients) {
                const env = Object.fromEntries((c.env ?? []).filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
                if (job.name.startsWith("timescale-")) assert.deepEqual([env.PGSSLMODE, env.PGSSLROOTCERT], ["verify-full", CA_PATH], `${job.name}/${c.name}`);
                else assert.equal(env.REDIS_CACERT, CA_PATH, `${job.name}/${c.name}`);
                assert.ok(c.volumeMounts.some((m: any) => m.mountPath === CA_PATH), `${job.name}/${c.name} mounts the CA`);
            }
        }
        const redisSet = run.named("kubernetes:apps/v1:StatefulSet", "redis").inputs.spec.template.spec.containers[0];
        assert.match(redisSet.readinessProbe.exec.command.join(" "), /--tls --cacert \/etc\/llm-platform\/tls\/store-ca.crt ping/);
    });
});
