/**
 * The smoke checks against real local servers: Debian's nginx running the generated proxy config
 * in front of a stub Ollama, a real PostgreSQL, a real redis-server, a stub Qdrant (its REST API),
 * and a stub sqlcmd (no SQL Server engine runs here: the stub holds the command line, the
 * password's way in and the output parsing; the T-SQL itself is not executed). One pass, then each
 * check broken alone, reported by name.
 */
import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { randomUUID } from "crypto";
import { renderApiKeyMap, renderNginxConf } from "../components/proxy/nginx-conf";
import { ollamaRoutes } from "../components/proxy/proxy";
import { CACHE_ACCESS } from "../components/aws/cache";
import { PLATFORM_REDIS_USER } from "../components/redis/redis";
import { EXTERNAL_MODEL_NAME } from "../components/sqlserver/sqlserver";
import { PROJECT_DIR } from "../harness/run-stack";
import { CheckResult, CHECKS, CLIENT_CHECKS, runChecks, SmokeTarget, TOOL_COMMANDS } from "../scripts/smoke/checks";
import { RECORD_RUN_SCRIPT, RUN_ID_REFERENCE, smokeScripts } from "../components/platform/kubernetes/smoke-job";
import { REPORT_MARKER } from "../scripts/smoke/in-cluster";
import { freePort, waitForPort } from "./helpers/ports";
import { postgresBinDir, startPostgres, TestPostgres } from "./helpers/postgres";
import { requireTool } from "./helpers/tools";
import { tsNode } from "./helpers/ts-node";

const API_KEY = "k7".repeat(24);
const DIMENSIONS = 768;
const REDIS_PASSWORD = "r3d1s-smoke";
const QDRANT_KEY = "q-smoke";


/** The smoke command, run without blocking this process: the stub servers it calls live here. */
function smokeCommand(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(...tsNode("scripts/smoke.ts", args), { cwd: PROJECT_DIR });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}

const listen = (server: http.Server) => new Promise<number>((r) => server.listen(0, "127.0.0.1", () => r((server.address() as net.AddressInfo).port)));
const readBody = (req: http.IncomingMessage) => new Promise<any>((r) => { let b = ""; req.on("data", (d) => (b += d)); req.on("end", () => r(b ? JSON.parse(b) : {})); });

describe("smoke checks against real local servers (nginx, PostgreSQL, redis-server; stub Ollama, Qdrant, sqlcmd)", function () {
    this.timeout(60000);
    let dir: string;
    const children: ChildProcess[] = [];
    const servers: http.Server[] = [];
    let postgres: TestPostgres | undefined;
    let target: SmokeTarget;
    /** What the stub Ollama answers: the embedding's length and the chat's content. */
    const ollama = { dimensions: DIMENSIONS, chat: "ok" };

    before(async function () {
        const nginxBin = requireTool(this, "nginx", "nginx");
        const openssl = requireTool(this, "openssl", "openssl");
        requireTool(this, "psql", "postgresql");
        const redisServer = requireTool(this, "redis-server", "redis-server");
        requireTool(this, "redis-cli", "redis-tools");
        const pgBin = postgresBinDir();
        if (!pgBin) requireTool(this, "initdb", "postgresql");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-smoke-"));

        // The entry's certificate, for localhost, self-signed (it is its own CA here).
        const cert = spawnSync(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", path.join(dir, "tls.key"), "-out", path.join(dir, "tls.crt")]);
        assert.equal(cert.status, 0, cert.stderr.toString());

        const model = http.createServer(async (req, res) => {
            const body = await readBody(req);
            if (req.url === "/api/embed") res.end(JSON.stringify({ model: body.model, embeddings: [Array(ollama.dimensions).fill(0.1)] }));
            else if (req.url === "/api/chat") res.end(JSON.stringify({ model: body.model, message: { role: "assistant", content: ollama.chat }, done: true }));
            else (res.statusCode = 404), res.end();
        });
        servers.push(model);
        const modelPort = await listen(model);

        // Qdrant's REST API as the check uses it: upsert, search, delete, behind its api-key.
        const points = new Map<string, number[]>();
        const qdrant = http.createServer(async (req, res) => {
            const body = await readBody(req);
            const url = req.url ?? "";
            let reply = '{"result":{"status":"completed"}}';
            if (req.headers["api-key"] !== QDRANT_KEY) (res.statusCode = 403), (reply = '{"status":{"error":"Invalid api-key"}}');
            else if (req.method === "PUT" && url.startsWith("/collections/documents/points")) for (const p of body.points) points.set(p.id, p.vector);
            else if (url === "/collections/documents/points/search") reply = JSON.stringify({ result: [...points.keys()].slice(0, body.limit).map((id) => ({ id, score: 1 })) });
            else if (url.startsWith("/collections/documents/points/delete")) for (const id of body.points) points.delete(id);
            else (res.statusCode = 404), (reply = "");
            res.end(reply);
        });
        servers.push(qdrant);
        const qdrantPort = await listen(qdrant);

        const httpsPort = await freePort();
        fs.writeFileSync(path.join(dir, "api-keys.map"), renderApiKeyMap({ default: API_KEY }));
        const version = /nginx\/(\d+\.\d+\.\d+)/.exec(spawnSync(nginxBin, ["-v"], { encoding: "utf8" }).stderr)![1];
        fs.writeFileSync(
            path.join(dir, "nginx.conf"),
            renderNginxConf({
                nginxVersion: version,
                resolver: "127.0.0.1",
                tlsDir: dir,
                publicHttpsPort: httpsPort,
                upstreams: ollamaRoutes(`127.0.0.1:${modelPort}`),
                clientMaxBodyMb: 1,
                upstreamTimeoutSeconds: 10,
                auth: { keysFile: path.join(dir, "api-keys.map"), ratePerSecond: 100, burst: 100 },
                paths: { accessLog: path.join(dir, "access.log"), pidFile: path.join(dir, "nginx.pid"), tempDir: dir },
                listen: { http: await freePort(), https: httpsPort },
            }),
        );
        let nginxLog = "";
        const nginx = spawn(nginxBin, ["-c", path.join(dir, "nginx.conf"), "-e", "stderr", "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
        nginx.stderr!.on("data", (d) => (nginxLog += d));
        children.push(nginx);
        await waitForPort(httpsPort, nginx, () => nginxLog);

        const redisPort = await freePort();
        const redis = spawn(redisServer, ["--port", String(redisPort), "--bind", "127.0.0.1", "--requirepass", REDIS_PASSWORD, "--save", "", "--appendonly", "no"], { stdio: "ignore" });
        children.push(redis);
        await waitForPort(redisPort, redis, () => "redis-server");

        postgres = await startPostgres(pgBin!);
        postgres.psql("postgres", "CREATE DATABASE llm_observatory");

        // sqlcmd: holds the command line the check sends and answers as SQL Server would for an embedding compared with itself.
        const sqlcmd = path.join(dir, "sqlcmd");
        fs.writeFileSync(
            sqlcmd,
            `#!/bin/bash
[[ "$SQLCMDPASSWORD" == "sa-smoke" ]] || { echo "Login failed for user 'sa'." >&2; exit 1; }
args="$*"
[[ "$args" == *"-S 127.0.0.1,14330 -U sa -d llm -C -b"* && "$args" == *"VECTOR(${DIMENSIONS}) = AI_GENERATE_EMBEDDINGS(N'smoke check' USE MODEL ${EXTERNAL_MODEL_NAME})"* ]] || { echo "unexpected: $args" >&2; exit 1; }
echo "0.000000"
`,
            { mode: 0o755 },
        );

        target = {
            proxyUrl: `https://localhost:${httpsPort}`,
            caCertPem: fs.readFileSync(path.join(dir, "tls.crt"), "utf8"),
            apiKey: API_KEY,
            minCertificateDays: 20,
            embeddingModel: "nomic-embed-text",
            embeddingDimensions: DIMENSIONS,
            chatModel: "llama3.2:1b",
            sqlserver: { server: "127.0.0.1,14330", user: "sa", password: "sa-smoke", database: "llm", model: EXTERNAL_MODEL_NAME },
            timescale: { host: postgres.env.PGHOST, port: Number(postgres.env.PGPORT), user: "postgres", password: "unused-under-trust", database: "llm_observatory" },
            redis: { host: "127.0.0.1", port: redisPort, password: REDIS_PASSWORD },
            qdrant: { url: `http://127.0.0.1:${qdrantPort}`, apiKey: QDRANT_KEY, collection: "documents" },
            tools: { sqlcmd },
        };
    });

    after(() => {
        for (const c of children) c.kill("SIGTERM");
        for (const s of servers) s.close();
        postgres?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const failed = (results: CheckResult[]) => results.filter((r) => !r.ok).map((r) => r.name);

    it("passes every check, each timed, and the command exits 0 with the table and the JSON report", async () => {
        const file = path.join(dir, "target.json");
        fs.writeFileSync(file, JSON.stringify(target));
        const r = await smokeCommand(["--target", file]);
        assert.equal(r.status, 0, r.stderr);
        const report = JSON.parse(r.stdout);
        assert.equal(report.passed, true);
        assert.deepEqual(report.checks.map((c: CheckResult) => c.name), CHECKS.map((c) => c.name));
        assert.deepEqual(report.checks.map((c: CheckResult) => c.name), ["tls", "healthz", "embedding", "chat", "sqlserver-vector", "timescale", "redis", "qdrant"]);
        for (const c of report.checks) assert.ok(c.ok && Number.isInteger(c.ms) && c.ms >= 0, JSON.stringify(c));
        assert.match(r.stderr, /^check +result +ms +detail\ntls +ok +\d+ +certificate valid 2\d more days\n/);
        assert.match(r.stderr, /embedding +ok +\d+ +768 dimensions/);
        assert.match(r.stderr, /timescale +ok +\d+ +wrote and read a row/);
        assert.match(r.stderr, /redis +ok .*set, got and deleted a key/);
        assert.match(r.stderr, /qdrant +ok .*upserted, found and deleted a point/);
    });

    it("exits 1 naming the failed check, and writes the report to --report", async () => {
        const file = path.join(dir, "bad-target.json");
        const reportFile = path.join(dir, "report.json");
        fs.writeFileSync(file, JSON.stringify({ ...target, redis: { ...target.redis, password: "wrong" } }));
        const r = await smokeCommand(["--target", file, "--report", reportFile]);
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, /redis +FAILED +\d+ +SET answered "(NOAUTH|WRONGPASS)/);
        assert.match(r.stderr, /\nsmoke checks failed: redis\n$/);
        const report = JSON.parse(fs.readFileSync(reportFile, "utf8"));
        assert.equal(report.passed, false);
        assert.deepEqual(failed(report.checks), ["redis"]);
    });

    it("tls: fails a certificate with fewer days left than required", async () => {
        const results = await runChecks({ ...target, minCertificateDays: 45 });
        assert.deepEqual(failed(results), ["tls"]);
        assert.match(results[0].detail, /certificate expires in 2\d days .*at least 45 required/);
    });

    it("tls: fails a certificate the client does not trust", async () => {
        const other = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=other", "-keyout", "/dev/null", "-out", "/dev/stdout"], { encoding: "utf8" });
        const results = await runChecks({ ...target, caCertPem: other.stdout }, ["tls", "healthz"]);
        assert.deepEqual(failed(results), ["tls", "healthz"]);
        assert.match(results[0].detail, /self[- ]signed|unable to verify|certificate/i);
    });

    it("healthz: fails an entry that answers /healthz with another status", async () => {
        const unhealthy = https.createServer({ key: fs.readFileSync(path.join(dir, "tls.key")), cert: fs.readFileSync(path.join(dir, "tls.crt")) }, (_req, res) => ((res.statusCode = 503), res.end("draining")));
        servers.push(unhealthy as unknown as http.Server);
        const port = await listen(unhealthy as unknown as http.Server);
        const results = await runChecks({ ...target, proxyUrl: `https://localhost:${port}` }, ["tls", "healthz"]);
        assert.deepEqual(failed(results), ["healthz"]);
        assert.match(results[1].detail, /\/healthz answered 503: draining/);
    });

    it("embedding: fails without the API key (401 at the proxy) and on a wrong dimension", async () => {
        const noKey = await runChecks({ ...target, apiKey: "x".repeat(48) });
        assert.deepEqual(failed(noKey), ["embedding", "chat"]);
        assert.match(noKey[2].detail, /\/api\/embed answered 401/);
        ollama.dimensions = 384;
        try {
            const wrong = await runChecks(target);
            assert.deepEqual(failed(wrong), ["embedding"]);
            assert.match(wrong[2].detail, /nomic-embed-text returned 384 dimensions; expected 768/);
        } finally {
            ollama.dimensions = DIMENSIONS;
        }
    });

    it("chat: fails an empty completion", async () => {
        ollama.chat = "";
        try {
            const results = await runChecks(target);
            assert.deepEqual(failed(results), ["chat"]);
            assert.match(results[3].detail, /llama3\.2:1b returned no message/);
        } finally {
            ollama.chat = "ok";
        }
    });

    it("sqlserver-vector: fails when sqlcmd fails (a login refused), with its message", async () => {
        const results = await runChecks({ ...target, sqlserver: { ...target.sqlserver, password: "wrong" } });
        assert.deepEqual(failed(results), ["sqlserver-vector"]);
        assert.match(results[4].detail, /exited 1: Login failed for user 'sa'/);
    });

    it("timescale: fails on a database that is not there", async () => {
        const results = await runChecks({ ...target, timescale: { ...target.timescale, database: "missing" } });
        assert.deepEqual(failed(results), ["timescale"]);
        assert.match(results[5].detail, /database "missing" does not exist/);
    });

    it("redis: logs in as an ACL user when one is named (ElastiCache's RBAC), and fails when that user is off", async () => {
        const cli = (...args: string[]) => spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(target.redis.port), "--no-auth-warning", ...args], { encoding: "utf8", env: { ...process.env, REDISCLI_AUTH: REDIS_PASSWORD } }).stdout.trim();
        const password = "Platform-User_Password.1";
        assert.equal(cli("acl", "setuser", PLATFORM_REDIS_USER, `>${password}`, ...CACHE_ACCESS.platform.split(" ")), "OK");
        try {
            assert.deepEqual(failed(await runChecks({ ...target, redis: { ...target.redis, user: PLATFORM_REDIS_USER, password } })), []);
            // The default user's password does not open a named user.
            assert.deepEqual(failed(await runChecks({ ...target, redis: { ...target.redis, user: PLATFORM_REDIS_USER } })), ["redis"]);
            assert.equal(cli("acl", "setuser", PLATFORM_REDIS_USER, "off"), "OK");
            assert.deepEqual(failed(await runChecks({ ...target, redis: { ...target.redis, user: PLATFORM_REDIS_USER, password } })), ["redis"]);
        } finally {
            cli("acl", "deluser", PLATFORM_REDIS_USER);
        }
    });

    it("redis: fails with a wrong password", async () => {
        const results = await runChecks({ ...target, redis: { ...target.redis, password: "wrong" } });
        assert.deepEqual(failed(results), ["redis"]);
    });

    it("qdrant: fails with a wrong API key", async () => {
        const results = await runChecks({ ...target, qdrant: { ...target.qdrant, apiKey: "wrong" } });
        assert.deepEqual(failed(results), ["qdrant"]);
        assert.match(results[7].detail, /PUT \/points\?wait=true answered 403/);
    });

    /**
     * The Job's way (components/platform/kubernetes/smoke-job.ts): each client run as its init
     * container would make it (record-run.sh under sh, `$(SMOKE_RUN_ID)` expanded as Kubernetes
     * expands it from the pod's UID), then the ConfigMap's transpiled in-cluster.js under node,
     * with the target file and the two secrets the checks container gets.
     */
    function inClusterRun(t: SmokeTarget) {
        const run = fs.mkdtempSync(path.join(dir, "job-"));
        const runId = randomUUID();
        for (const check of CLIENT_CHECKS) {
            check.runs(t, RUN_ID_REFERENCE).forEach((r, i) => {
                const args = r.args.map((a) => a.split(RUN_ID_REFERENCE).join(runId));
                const command = t.tools?.[r.tool] ?? TOOL_COMMANDS[r.tool];
                const rec = spawnSync("sh", ["-c", RECORD_RUN_SCRIPT, "record-run.sh", path.join(run, "results", check.name, String(i)), command, ...args], { env: { ...process.env, ...r.env } });
                assert.equal(rec.status, 0, "record-run.sh always exits 0");
            });
        }
        for (const [file, content] of Object.entries(smokeScripts())) fs.writeFileSync(path.join(run, file), content);
        const { apiKey, tools, ...rest } = t;
        fs.writeFileSync(path.join(run, "target.json"), JSON.stringify({ ...rest, qdrant: { ...t.qdrant, apiKey: undefined } }));
        return new Promise<{ status: number | null; log: string; results: string }>((resolve) => {
            const child = spawn(process.execPath, [path.join(run, "in-cluster.js")], {
                env: {
                    PATH: process.env.PATH,
                    SMOKE_TARGET_FILE: path.join(run, "target.json"),
                    SMOKE_RESULTS_DIR: path.join(run, "results"),
                    SMOKE_RUN_ID: runId,
                    SMOKE_API_KEY: apiKey,
                    SMOKE_QDRANT_API_KEY: t.qdrant.apiKey,
                },
            });
            let log = "";
            child.stdout.on("data", (d) => (log += d));
            child.stderr.on("data", (d) => (log += d));
            child.on("close", (status) => resolve({ status, log, results: path.join(run, "results") }));
        });
    }

    it("in the Job's way: client runs recorded in their own containers, judged by the transpiled in-cluster.js, table then JSON in the log", async () => {
        const r = await inClusterRun(target);
        assert.equal(r.status, 0, r.log);
        const [table, json] = r.log.split(`${REPORT_MARKER}\n`);
        assert.match(table, /^check +result +ms +detail\ntls +ok /);
        assert.match(table, /timescale +ok +\d+ +wrote and read a row/);
        assert.match(table, /redis +ok +\d+ +set, got and deleted a key/);
        const report = JSON.parse(json);
        assert.equal(report.passed, true);
        assert.deepEqual(report.checks.map((c: CheckResult) => c.name), CHECKS.map((c) => c.name));
    });

    it("in the Job's way: a failed client run fails its check by name, and the check's later runs do not run", async () => {
        const closed = await freePort();
        const r = await inClusterRun({ ...target, redis: { ...target.redis, port: closed }, timescale: { ...target.timescale, database: "missing" } });
        assert.equal(r.status, 1, r.log);
        assert.match(r.log, /\nsmoke checks failed: timescale, redis\n$/);
        assert.match(r.log, /timescale +FAILED +\d+ +psql exited 2: .*database "missing" does not exist/);
        assert.match(r.log, /redis +FAILED +\d+ +redisCli exited 1: .*Connection refused/);
        const report = JSON.parse(r.log.split(`${REPORT_MARKER}\n`)[1].split("\nsmoke checks failed")[0]);
        assert.deepEqual(failed(report.checks), ["timescale", "redis"]);
        // The SET failed: its GET and DEL never ran.
        assert.ok(fs.existsSync(path.join(r.results, "redis", "0", "rc")));
        assert.ok(!fs.existsSync(path.join(r.results, "redis", "1")) && !fs.existsSync(path.join(r.results, "redis", "2")));
    });
});
