/**
 * Credential rotation, per kind of secret: an API key under the real nginx (old and new
 * accepted during the overlap, the old refused once revoked); a database password under
 * Debian's PostgreSQL (the rotation step logs in with the old one and sets the new one, after
 * which only the new one logs in); every consumer of a rotated secret taking the new value in
 * the same `pulumi up` (the stacks under mocks); SQL Server's and Grafana's rotation steps
 * against stand-ins. `npm run rotate` itself: tests/up-script.test.ts.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { rotatableSecrets } from "../components/config/rotation";
import { GRAFANA_ROTATE_ADMIN_SCRIPT } from "../components/observability/grafana-rotation";
import { ollamaRoutes } from "../components/proxy/proxy";
import { SQLSERVER_ROTATE_CREDENTIALS_SCRIPT } from "../components/sqlserver/rotate-credentials-script";
import { TIMESCALE_ROTATE_PASSWORD_SCRIPT } from "../components/timescale/rotate-password-script";
import { EngineFacts } from "../components/machine";
import { dockerModel } from "../harness/lifecycle/docker-model";
import { Lifecycle } from "../harness/lifecycle/model";
import { PROJECT_DIR, RegisteredResource, runStack, StackRun } from "../harness/run-stack";
import { ProxyUnderTest, request, startProxy } from "./helpers/nginx-proxy";
import { requirePostgres, startPostgres, TestPostgres } from "./helpers/postgres";
import { requireTool } from "./helpers/tools";

const CONTAINER = "docker:index/container:Container";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const PRIVATE_KEY = "tls:index/privateKey:PrivateKey";
const upload = (c: RegisteredResource, file: string): string => c.inputs.uploads.find((u: any) => u.file === file)?.content;
const env = (c: RegisteredResource) => Object.fromEntries((c.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
const rotated = (rotation: object) => runStack("dev", { overrides: { "llm-platform:rotation": rotation } });

function sh(script: string, vars: Record<string, string>): { status: number | null; err: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-rotate-"));
    fs.writeFileSync(path.join(dir, "step.sh"), script);
    const r = spawnSync("sh", [path.join(dir, "step.sh")], { encoding: "utf8", env: { PATH: process.env.PATH!, ...vars } });
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: r.status, err: r.stderr };
}

describe("rotation: which secrets, and how each rotates", function () {
    this.timeout(120000);
    let dev: StackRun;
    let prod: StackRun;
    before(async () => {
        dev = await runStack("dev");
        prod = await runStack("prod", { exampleUserValues: true });
    });

    it("npm run rotate knows every secret the stacks generate; those with generations are the ones the config accepts", () => {
        const kindOf = (name: string) => spawnSync("bash", [path.join(PROJECT_DIR, "scripts", "rotate.sh"), "--kind", name], { encoding: "utf8" }).stdout.trim();
        for (const run of [dev, prod]) {
            const generated = run.resources.filter((r) => r.type === PASSWORD || r.type === PRIVATE_KEY).map((r) => r.name);
            const listed = new Map(rotatableSecrets(run.config).map((s) => [s.name, s.kind]));
            for (const name of generated) {
                const kind = kindOf(name);
                if (kind === "replaced") assert.ok(!listed.has(name), `${name} is replaced, not given generations`);
                else assert.equal(listed.get(name), kind, `${run.stack}: ${name}`);
            }
            assert.deepEqual([...listed.keys()].filter((n) => !generated.includes(n)), run.stack === "prod" ? ["rds-master-password"] : [], "no secret listed the stack does not generate");
        }
        assert.equal(kindOf("rds-master-password"), "managed");
        assert.ok(prod.outputs.aws.database.masterUserSecretArn !== undefined, "npm run rotate reads RDS's secret from this output");
    });

    it("refuses rotation state for a secret the stack does not generate, and previousAccepted beyond API keys", async () => {
        await assert.rejects(rotated({ "timescale-pasword": { generation: 1 } }), /rotation\.timescale-pasword[\s\S]*is not a secret this stack generates; those that rotate: proxy-api-key-default/);
        await assert.rejects(rotated({ "timescale-password": { generation: 1, previousAccepted: true } }), /previousAccepted[\s\S]*is for API keys only/);
    });

    it("a rotated database password reaches the database (a step) and every consumer in one update; the others wait for the step", async () => {
        const old = dev.outputs.credentials.timescalePassword;
        const run = await rotated({ "timescale-password": { generation: 1 } });
        const fresh = run.outputs.credentials.timescalePassword;
        assert.notEqual(fresh, old);
        assert.deepEqual(
            run.ofType(PASSWORD).filter((r) => r.name.startsWith("timescale-password")).map((r) => [r.name, r.options.protect]),
            [["timescale-password-r1", true], ["timescale-password", true]],
            "each generation its own protected resource: the one before stays for the step's login",
        );
        const step = run.named(CONTAINER, "timescale-rotate-password");
        assert.deepEqual([env(step).PGPASSWORD, env(step).PGPASSWORD_PREVIOUS], [fresh, old]);
        for (const name of ["timescale-migrate", "timescale-monitor-role"]) {
            const c = run.named(CONTAINER, name);
            assert.equal(env(c).PGPASSWORD, fresh, name);
            assert.ok(c.options.dependsOn.includes(`${CONTAINER}::timescale-rotate-password`), `${name} waits for the rotation`);
        }
        assert.equal(env(run.named(CONTAINER, "timescale")).POSTGRES_PASSWORD, fresh);
        assert.equal(env(run.named(CONTAINER, "timescale-backup-full")).PGPASSWORD, fresh);
        assert.ok(run.outputs.connectionStrings.timescale.includes(`:${fresh}@`));
        // Not rotating: no step, no previous value anywhere.
        assert.ok(!dev.ofType(CONTAINER).some((c) => c.name.endsWith("-rotate-password")));
    });

    it("on Kubernetes the rotation step is a Job the other steps' Jobs wait for, and the pods get the new password", async () => {
        const JOB = "kubernetes:batch/v1:Job";
        const run = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:rotation": { "timescale-password": { generation: 1 }, "logs-elastic-password": { generation: 1 } } } });
        const step = run.named(JOB, "timescale-rotate-password");
        for (const name of ["timescale-migrate", "timescale-monitor-role"]) {
            assert.ok(run.named(JOB, name).options.dependsOn.includes(`${JOB}::timescale-rotate-password`), `${name} waits for the rotation`);
        }
        assert.ok(step.options.dependsOn.some((d: string) => d.endsWith("::timescale")), "the step waits for the database");
        assert.notEqual(run.outputs.credentials.timescalePassword, prod.outputs.credentials.timescalePassword);
        assert.ok(run.named(JOB, "elasticsearch-setup"), "elastic's password changes in the setup Job");
    });

    it("Elasticsearch's health check accepts the previous elastic password until the setup step has changed it", async () => {
        const run = await rotated({ "logs-elastic-password": { generation: 1 } });
        const es = run.named(CONTAINER, "elasticsearch");
        assert.equal(env(es).ELASTIC_PASSWORD_PREVIOUS, env(dev.named(CONTAINER, "elasticsearch")).ELASTIC_PASSWORD);
        assert.notEqual(env(es).ELASTIC_PASSWORD, env(es).ELASTIC_PASSWORD_PREVIOUS);
        assert.match(es.inputs.healthcheck.tests.join(" "), /-u "elastic:""\$ELASTIC_PASSWORD" .* \|\| curl .*-u "elastic:""\$ELASTIC_PASSWORD_PREVIOUS"/);
        const setup = run.named(CONTAINER, "elasticsearch-setup");
        assert.equal(env(setup).ELASTIC_PASSWORD_PREVIOUS, env(es).ELASTIC_PASSWORD_PREVIOUS);
        assert.match(upload(setup, "/tmp/llm-platform-es-setup.sh"), /-u "elastic:\$ELASTIC_PASSWORD_PREVIOUS" .*\n?.*-X POST "\$ES\/_security\/user\/elastic\/_password"/);
    });

    it("SQL Server's health check and steps accept the previous sa password until the rotation step has changed it", async () => {
        const run = await rotated({ "sqlserver-sa-password": { generation: 1 } });
        const sql = run.named(CONTAINER, "sqlserver");
        assert.equal(env(sql).SQLCMDPASSWORD_PREVIOUS, dev.outputs.credentials.sqlserverSaPassword);
        assert.match(sql.inputs.healthcheck.tests.join(" "), /sqlcmd .* \|\| SQLCMDPASSWORD="\$SQLCMDPASSWORD_PREVIOUS" \/opt\/mssql-tools18\/bin\/sqlcmd/);
        for (const name of ["sqlserver-settings", "sqlserver-monitor-login"]) {
            assert.ok(run.named(CONTAINER, name).options.dependsOn.includes(`${CONTAINER}::sqlserver-rotate-credentials`), name);
        }
    });

    it("a configured secret (Valkey's password) reaches the server's config and every consumer, and leaves no previous value", async () => {
        const run = await rotated({ "redis-password": { generation: 1 } });
        const fresh = run.outputs.credentials.redisPassword;
        assert.notEqual(fresh, dev.outputs.credentials.redisPassword);
        assert.match(upload(run.named(CONTAINER, "redis"), "/usr/local/etc/valkey/valkey.conf"), new RegExp(`^requirepass ${fresh}$`, "m"));
        assert.equal(env(run.named(CONTAINER, "redis-exporter")).REDIS_PASSWORD, fresh);
        assert.equal(env(run.named(CONTAINER, "redis-backup-full")).REDISCLI_AUTH, fresh);
        assert.deepEqual(run.ofType(PASSWORD).filter((r) => r.name.startsWith("redis-password")).map((r) => r.name), ["redis-password-r1"]);
    });
});

describe("rotation through the Docker lifecycle model (terraform-provider-docker's ForceNew fields)", function () {
    this.timeout(240000);
    const ENGINE: EngineFacts = { cpus: 16, memoryMb: 64000, swapLimit: true, nvidiaRuntime: false, serverVersion: "29.1.2" };
    const run = (rotation: object = {}) => runStack("dev", { dockerEngine: ENGINE, overrides: { "llm-platform:rotation": rotation } });

    it("recreates exactly the carriers of the rotated password and adds its step, and the next up changes nothing", async () => {
        const life = new Lifecycle([dockerModel(ENGINE)]);
        life.up(await run());
        const rotation = { "timescale-password": { generation: 1 } };
        const plan = life.up(await run(rotation));
        assert.deepEqual(plan.names("create", CONTAINER), ["timescale-rotate-password"]);
        assert.deepEqual(plan.names("replace", CONTAINER), ["timescale", "timescale-backup-full", "timescale-migrate", "timescale-monitor-role"]);
        assert.deepEqual(plan.names("delete"), [], "no volume or container goes");
        assert.deepEqual(life.up(await run(rotation)).summary, [], "a second up changes nothing");
    });
});

describe("rotation of an API key under the real nginx: overlap, then revoke", function () {
    this.timeout(120000);
    let proxy: ProxyUnderTest | undefined;
    const status = async (key: string) => (await request(proxy!.httpsPort, "/api/tags", key)).status;
    /** The proxy container with the stack's own key map. */
    const serve = (keyMap: string) => proxy!.restartWithKeyMap(keyMap);

    before(async function () {
        proxy = await startProxy(this, { keys: {}, rate: { perSecond: 100, burst: 100 }, answer: (_req, res) => res.end("ok"), routes: async (stub) => ollamaRoutes(stub) });
    });
    after(() => proxy?.stop());

    it("accepts the old and the new key while the rotation overlaps, and only the new one once the old is revoked", async () => {
        const keyMapOf = (run: StackRun) => upload(run.named(CONTAINER, "proxy"), "/etc/nginx/auth/api-keys.map");
        const before = await runStack("dev");
        const old = before.outputs.apiKeys.default;
        await serve(keyMapOf(before));
        assert.equal(await status(old), 200);

        const overlap = await rotated({ "proxy-api-key-default": { generation: 1, previousAccepted: true } });
        const fresh = overlap.outputs.apiKeys.default;
        assert.notEqual(fresh, old);
        await serve(keyMapOf(overlap));
        assert.deepEqual([await status(old), await status(fresh)], [200, 200], "both during the overlap");

        const revoked = await rotated({ "proxy-api-key-default": { generation: 1, previousAccepted: false } });
        await serve(keyMapOf(revoked));
        assert.deepEqual([await status(old), await status(fresh)], [401, 200], "the old key is refused once revoked");
        assert.equal(revoked.outputs.apiKeys.default, fresh, "revoking keeps the new key");
        assert.ok(!revoked.ofType(PASSWORD).some((r) => r.name === "proxy-api-key-default"), "the old generation leaves the state");
    });
});

describe("rotation of a database password under Debian's PostgreSQL", function () {
    this.timeout(60000);
    let pg: TestPostgres | undefined;
    const OLD = "Old-password_1";
    const NEW = "New-password_2";

    before(async function () {
        const bin = requirePostgres(this, "psql");
        pg = await startPostgres(bin, { passwordOverTcp: true });
        pg.psql("postgres", "CREATE DATABASE llm_observatory");
        pg.psql("postgres", `CREATE ROLE llm_owner LOGIN SUPERUSER PASSWORD '${OLD}'`);
    });
    after(() => pg?.stop());

    /** A login over TCP, where PostgreSQL checks the password (scram-sha-256). */
    const logsIn = (password: string) =>
        spawnSync("psql", ["-h", "127.0.0.1", "-p", pg!.env.PGPORT, "-U", "llm_owner", "-d", "llm_observatory", "-tAc", "SELECT 1"], {
            encoding: "utf8",
            env: { PATH: process.env.PATH!, PGPASSWORD: password },
        }).status === 0;
    const step = (current: string, previous: string) =>
        sh(TIMESCALE_ROTATE_PASSWORD_SCRIPT, { PGHOST: "127.0.0.1", PGPORT: pg!.env.PGPORT, PGUSER: "llm_owner", PGDATABASE: "llm_observatory", PGPASSWORD: current, PGPASSWORD_PREVIOUS: previous });

    it("accepts the old password until the step, the new one after it, and refuses the old one then", () => {
        assert.deepEqual([logsIn(OLD), logsIn(NEW)], [true, false], "before the step: the database still has the old one");
        const r = step(NEW, OLD);
        assert.equal(r.status, 0, r.err);
        assert.match(r.err, /password changed: the previous one no longer logs in/);
        assert.deepEqual([logsIn(OLD), logsIn(NEW)], [false, true]);
        const again = step(NEW, OLD);
        assert.equal(again.status, 0, again.err);
        assert.match(again.err, /the current password logs in: nothing to change/, "safe to run again");
        const lost = step("Third-password_3", "Fourth-password_4");
        assert.notEqual(lost.status, 0);
        assert.match(lost.err, /neither the current nor the previous password logs in/);
        assert.ok(logsIn(NEW), "a failed step changes nothing");
    });
});

describe("rotation steps of SQL Server and Grafana (stand-ins)", function () {
    this.timeout(30000);

    it("SQL Server: logs in with the previous sa password, sets the new one, then re-protects the master key", () => {
        const d = fs.mkdtempSync(path.join(os.tmpdir(), "llm-rotate-mssql-"));
        // A sqlcmd that knows one sa password (a file), substitutes $(VAR) from the environment as sqlcmd does, and runs ALTER LOGIN.
        fs.writeFileSync(path.join(d, "sa"), "old-SA_1");
        fs.writeFileSync(
            path.join(d, "sqlcmd"),
            `#!/bin/sh
q=""; while [ $# -gt 0 ]; do [ "$1" = -Q ] && q="$2"; shift; done
[ "$SQLCMDPASSWORD" = "$(cat ${d}/sa)" ] || { echo "Login failed for user 'sa'." >&2; exit 1; }
q="$(printf '%s' "$q" | sed "s/\\$(SA_PASSWORD)/$SA_PASSWORD/g; s/\\$(MASTER_KEY_PASSWORD)/$MASTER_KEY_PASSWORD/g; s/\\$(MASTER_KEY_PASSWORD_PREVIOUS)/$MASTER_KEY_PASSWORD_PREVIOUS/g")"
echo "$q" >> ${d}/batches
case "$q" in "ALTER LOGIN [sa] WITH PASSWORD = N'"*) printf '%s' "$q" | sed "s/.*N'\\(.*\\)';/\\1/" > ${d}/sa ;; esac
`,
            { mode: 0o755 },
        );
        const vars = { SQLCMD: path.join(d, "sqlcmd"), SQLSERVER: "sqlserver,1433", DATABASE: "llm", SA_PASSWORD: "new-SA_2", SA_PASSWORD_PREVIOUS: "old-SA_1", MASTER_KEY_PASSWORD: "new-MK_2", MASTER_KEY_PASSWORD_PREVIOUS: "old-MK_1" };
        const r = sh(SQLSERVER_ROTATE_CREDENTIALS_SCRIPT, vars);
        assert.equal(r.status, 0, r.err);
        assert.equal(fs.readFileSync(path.join(d, "sa"), "utf8"), "new-SA_2");
        const batches = fs.readFileSync(path.join(d, "batches"), "utf8");
        assert.match(batches, /ALTER LOGIN \[sa\] WITH PASSWORD = N'new-SA_2';/);
        assert.match(batches, /OPEN MASTER KEY DECRYPTION BY PASSWORD = N'new-MK_2';[\s\S]*ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = N'new-MK_2';\s+ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = N'old-MK_1';/);
        fs.writeFileSync(path.join(d, "batches"), "");
        assert.equal(sh(SQLSERVER_ROTATE_CREDENTIALS_SCRIPT, vars).status, 0);
        assert.doesNotMatch(fs.readFileSync(path.join(d, "batches"), "utf8"), /ALTER LOGIN/, "the new password logs in: nothing to change");
        fs.rmSync(d, { recursive: true, force: true });
    });

    it("Grafana: changes the admin password through its API with the previous one, once", async function () {
        requireTool(this, "curl", "curl");
        let password = "old-Admin_1";
        const changes: string[] = [];
        const server = http.createServer((req, res) => {
            const auth = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString();
            if (auth !== `admin:${password}`) return res.writeHead(401).end();
            if (req.method === "GET" && req.url === "/grafana/api/user") return res.end('{"login":"admin"}');
            if (req.method === "PUT" && req.url === "/grafana/api/user/password") {
                let body = "";
                req.on("data", (c) => (body += c));
                req.on("end", () => {
                    const b = JSON.parse(body);
                    if (b.oldPassword !== password || b.newPassword !== b.confirmNew) {
                        res.writeHead(400).end();
                        return;
                    }
                    password = b.newPassword;
                    changes.push(password);
                    res.end('{"message":"User password changed"}');
                });
                return undefined;
            }
            return res.writeHead(404).end();
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        try {
            const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/grafana`;
            const run = () =>
                new Promise<{ status: number | null; err: string }>((resolve) => {
                    const d = fs.mkdtempSync(path.join(os.tmpdir(), "llm-rotate-grafana-"));
                    fs.writeFileSync(path.join(d, "step.sh"), GRAFANA_ROTATE_ADMIN_SCRIPT);
                    const child = spawn("sh", [path.join(d, "step.sh")], {
                        env: { PATH: process.env.PATH!, GRAFANA_URL: url, GRAFANA_ADMIN_PASSWORD: "new-Admin_2", GRAFANA_ADMIN_PASSWORD_PREVIOUS: "old-Admin_1" },
                    });
                    let err = "";
                    child.stderr.on("data", (c) => (err += c));
                    child.on("close", (status) => resolve({ status, err }));
                });
            const first = await run();
            assert.equal(first.status, 0, first.err);
            assert.deepEqual(changes, ["new-Admin_2"]);
            const second = await run();
            assert.equal(second.status, 0, second.err);
            assert.deepEqual(changes, ["new-Admin_2"], "already rotated: no second change");
        } finally {
            server.close();
        }
    });
});
