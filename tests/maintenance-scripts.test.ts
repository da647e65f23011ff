/**
 * The maintenance tasks' scripts under real binaries where Debian has them: ANALYZE and the
 * bloat check against Debian's PostgreSQL, Qdrant's optimization against a stub of its API,
 * SQL Server's (no engine here) against a stand-in sqlcmd that records what it was given; and
 * the task runner and its Kubernetes report against a local Pushgateway stand-in.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { TASK_REPORT_SCRIPT, TASK_RUNNER_SCRIPT } from "../components/backup/task-runner";
import { QDRANT_OPTIMIZE_SCRIPT } from "../components/qdrant/optimize-script";
import { SQLSERVER_CHECKDB_SCRIPT, SQLSERVER_INDEX_SCRIPT } from "../components/sqlserver/maintenance-scripts";
import { POSTGRES_ANALYZE_SCRIPT, POSTGRES_BLOAT_SCRIPT } from "../components/timescale/maintenance-scripts";
import { requirePostgres, startPostgres, TestPostgres } from "./helpers/postgres";
import { requireTool } from "./helpers/tools";

interface Run {
    status: number | null;
    out: string;
    err: string;
}

function tmp(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "llm-maint-"));
    fs.chmodSync(d, 0o777);
    return d;
}

function sh(script: string, env: Record<string, string>, args: string[] = []): Run {
    const file = path.join(tmp(), "task.sh");
    fs.writeFileSync(file, script);
    const r = spawnSync("sh", [file, ...args], { encoding: "utf8", env: { PATH: process.env.PATH!, ...env } });
    return { status: r.status, out: r.stdout, err: r.stderr };
}

/** For scripts that call a server in this process. */
function shAsync(script: string, env: Record<string, string>): Promise<Run> {
    const file = path.join(tmp(), "task.sh");
    fs.writeFileSync(file, script);
    return new Promise((resolve) => {
        const child = spawn("sh", [file], { env: { PATH: process.env.PATH!, ...env } });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        child.on("close", (status) => resolve({ status, out, err }));
    });
}

describe("TimescaleDB maintenance against Debian's PostgreSQL", function () {
    this.timeout(60000);
    let pg: TestPostgres | undefined;
    const env = () => ({ ...pg!.env, PGDATABASE: "llm_observatory", BLOAT_PERCENT: "20", BLOAT_MIN_DEAD_ROWS: "10000" });

    before(async function () {
        const bin = requirePostgres(this, "psql");
        pg = await startPostgres(bin);
        pg.psql("postgres", "CREATE DATABASE llm_observatory");
        // Autovacuum off on this table, so its dead rows stay until the check has seen them.
        pg.psql("llm_observatory", "CREATE TABLE llm_logs (id int, message text) WITH (autovacuum_enabled = false)");
        pg.psql("llm_observatory", "INSERT INTO llm_logs SELECT g, 'line ' || g FROM generate_series(1, 50000) g");
        pg.psql("llm_observatory", "CREATE TABLE small (id int) WITH (autovacuum_enabled = false); INSERT INTO small SELECT generate_series(1, 100); DELETE FROM small WHERE id <= 90");
    });
    after(() => pg?.stop());

    it("ANALYZE refreshes the planner's statistics of every table", () => {
        assert.equal(pg!.psql("llm_observatory", "SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"), "0");
        const r = sh(POSTGRES_ANALYZE_SCRIPT, env());
        assert.equal(r.status, 0, r.err);
        assert.equal(pg!.psql("llm_observatory", "SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"), "2");
    });

    it("the bloat check fails on a table with more dead rows than allowed, names it, and passes once it is vacuumed", () => {
        assert.equal(sh(POSTGRES_BLOAT_SCRIPT, env()).status, 0, "no dead rows yet");
        pg!.psql("llm_observatory", "DELETE FROM llm_logs WHERE id <= 20000");
        const bloated = sh(POSTGRES_BLOAT_SCRIPT, env());
        assert.notEqual(bloated.status, 0);
        assert.match(bloated.err, /FAILED: dead rows at or above 20%/);
        assert.match(bloated.err, /^public\.llm_logs 20000 30000 40\.0 never$/m);
        // 90% dead, but only 90 rows: under bloatMinDeadRows, listed yet not failing the check.
        assert.doesNotMatch(bloated.err.split("FAILED")[1], /public\.small/);
        pg!.psql("llm_observatory", "VACUUM llm_logs");
        const clean = sh(POSTGRES_BLOAT_SCRIPT, env());
        assert.equal(clean.status, 0, clean.err);
        assert.match(clean.err, /no table at or above 20% dead rows/);
    });
});

describe("Qdrant optimization against a stub of its API", function () {
    this.timeout(30000);
    let server: http.Server;
    let url: string;
    let states: string[] = [];
    let optimizer = '"ok"';
    const calls: string[] = [];

    before(async function () {
        requireTool(this, "curl", "curl");
        server = http.createServer((req, res) => {
            calls.push(`${req.method} ${req.url}`);
            if (req.headers["api-key"] !== "qk") return res.writeHead(401).end();
            if (req.method === "GET" && req.url === "/collections/documents") {
                const state = states.length > 1 ? states.shift()! : states[0];
                return res.end(`{"result":{"status":"${state}","optimizer_status":${optimizer},"points_count":10},"status":"ok","time":0.0}`);
            }
            if (req.method === "PATCH" && req.url === "/collections/documents") {
                req.resume();
                req.on("end", () => res.end('{"result":true,"status":"ok"}'));
                return undefined;
            }
            return res.writeHead(404).end();
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        url = `http://127.0.0.1:${(server.address() as any).port}`;
    });
    after(() => server?.close());

    const env = () => ({ QDRANT_URL: url, QDRANT_API_KEY: "qk", COLLECTION: "documents", WAIT_SECONDS: "3", POLL_SECONDS: "1" });

    it("triggers the optimizers of a grey collection and waits for green", async () => {
        calls.length = 0;
        optimizer = '"ok"';
        states = ["grey", "yellow", "green"];
        const r = await shAsync(QDRANT_OPTIMIZE_SCRIPT, env());
        assert.equal(r.status, 0, r.err);
        assert.ok(calls.includes("PATCH /collections/documents"), "the trigger: an update of the collection");
        assert.match(r.err, /documents is green: optimized/);
    });

    it("leaves a green collection alone", async () => {
        calls.length = 0;
        states = ["green"];
        const r = await shAsync(QDRANT_OPTIMIZE_SCRIPT, env());
        assert.equal(r.status, 0, r.err);
        assert.ok(!calls.some((c) => c.startsWith("PATCH")));
    });

    it("fails on a red collection, an optimizer error, or optimization still running at the deadline", async () => {
        states = ["red"];
        assert.match((await shAsync(QDRANT_OPTIMIZE_SCRIPT, env())).err, /FAILED: documents is red/);
        states = ["green"];
        optimizer = '{"error":"No space left on device"}';
        const error = await shAsync(QDRANT_OPTIMIZE_SCRIPT, env());
        assert.notEqual(error.status, 0);
        assert.match(error.err, /FAILED: optimizer error: .*No space left on device/);
        optimizer = '"ok"';
        states = ["yellow"];
        const slow = await shAsync(QDRANT_OPTIMIZE_SCRIPT, env());
        assert.notEqual(slow.status, 0);
        assert.match(slow.err, /FAILED: still yellow after 3 s/);
    });
});

describe("SQL Server maintenance (a stand-in sqlcmd; no engine here)", () => {
    /** A sqlcmd that records its arguments and the script file it was given, and answers with `exit`. */
    function standIn(exit: number) {
        const d = tmp();
        const sqlcmd = path.join(d, "sqlcmd");
        fs.writeFileSync(
            sqlcmd,
            `#!/bin/sh\necho "$@" > ${d}/args\nwhile [ $# -gt 0 ]; do [ "$1" = -i ] && cp "$2" ${d}/script.sql; shift; done\nexit ${exit}\n`,
            { mode: 0o755 },
        );
        const env = { SQLCMD: sqlcmd, SQLSERVER: "sqlserver,1433", SQLCMDPASSWORD: "pw", DATABASE: "llm", REORGANIZE_PERCENT: "10", REBUILD_PERCENT: "30", MIN_PAGES: "1000" };
        return { env, args: () => fs.readFileSync(path.join(d, "args"), "utf8").trim(), script: () => fs.readFileSync(path.join(d, "script.sql"), "utf8") };
    }

    it("checks the database with DBCC CHECKDB, all errors reported, and fails when sqlcmd reports one", () => {
        const ok = standIn(0);
        assert.equal(sh(SQLSERVER_CHECKDB_SCRIPT, ok.env).status, 0);
        assert.equal(ok.args(), "-S sqlserver,1433 -U sa -C -b -l 30 -Q DBCC CHECKDB (N'llm') WITH NO_INFOMSGS, ALL_ERRORMSGS;");
        const corrupt = standIn(1);
        assert.equal(sh(SQLSERVER_CHECKDB_SCRIPT, corrupt.env).status, 1, "-b: an error of the batch is the task's failure");
    });

    it("hands sqlcmd the index statements with their scripting variables untouched by the shell", () => {
        const r = standIn(0);
        const run = sh(SQLSERVER_INDEX_SCRIPT, r.env);
        assert.equal(run.status, 0, run.err);
        assert.match(r.args(), /^-S sqlserver,1433 -U sa -C -b -l 30 -d llm -i \/tmp\/llm-platform-indexes\.\w+$/);
        const sql = r.script();
        assert.match(sql, /s\.avg_fragmentation_in_percent >= \$\(REBUILD_PERCENT\) THEN N' REBUILD' \+ @online ELSE N' REORGANIZE'/);
        assert.match(sql, /s\.page_count >= \$\(MIN_PAGES\) AND s\.avg_fragmentation_in_percent >= \$\(REORGANIZE_PERCENT\)/);
        assert.match(sql, /NOT EXISTS \(SELECT 1 FROM sys\.vector_indexes AS v WHERE v\.object_id = i\.object_id\)/, "tables with a DiskANN index are left alone");
        assert.match(sql, /WHEN CAST\(SERVERPROPERTY\('EngineEdition'\) AS int\) = 3 THEN N' WITH \(ONLINE = ON\)'/);
        assert.ok(!fs.existsSync(r.args().split(" -i ")[1]), "the statements' file is removed");
    });
});

describe("the task runner and its report (sh, a Pushgateway stand-in)", function () {
    this.timeout(30000);
    const taskEnv = (dir: string) => ({ STORE: "timescale", TASK: "analyze", TASK_ON_FAILURE: "warning", TASK_MAX_AGE_SECONDS: "129600", TASK_METRICS_DIR: dir });
    const read = (dir: string) => fs.readFileSync(path.join(dir, "task-timescale-analyze.prom"), "utf8");
    const value = (text: string, metric: string) => new RegExp(`^${metric}\\{store="timescale",task="analyze",on_failure="warning"\\} (\\d+)$`, "m").exec(text)?.[1];

    it("records a success, then a failure that keeps the earlier success, and exits with the task's status", () => {
        const dir = tmp();
        const ok = sh(TASK_RUNNER_SCRIPT, taskEnv(dir), ["true"]);
        assert.equal(ok.status, 0, ok.err);
        const first = read(dir);
        assert.equal(value(first, "llm_platform_task_last_run_ok"), "1");
        assert.equal(value(first, "llm_platform_task_max_age_seconds"), "129600");
        const success = value(first, "llm_platform_task_last_success_timestamp_seconds");
        assert.ok(success && Math.abs(Number(success) - Date.now() / 1000) < 60);
        const failed = sh(TASK_RUNNER_SCRIPT, taskEnv(dir), ["false"]);
        assert.equal(failed.status, 1);
        assert.match(failed.err, /llm-platform task \[timescale analyze\] FAILED after \d+ s/);
        const second = read(dir);
        assert.equal(value(second, "llm_platform_task_last_run_ok"), "0");
        assert.equal(value(second, "llm_platform_task_last_success_timestamp_seconds"), success, "the earlier success stays");
        assert.equal(sh(TASK_RUNNER_SCRIPT, { ...taskEnv(dir), TASK_EXIT_ZERO: "1" }, ["false"]).status, 0, "Kubernetes: the report decides");
    });

    it("Kubernetes: the report POSTs the outcome under the task's grouping key, then exits with the task's status", async function () {
        requireTool(this, "curl", "curl");
        const pushes: { method: string; url: string; body: string }[] = [];
        const gateway = http.createServer((req, res) => {
            let body = "";
            req.on("data", (d) => (body += d));
            req.on("end", () => {
                pushes.push({ method: req.method!, url: req.url!, body });
                res.end();
            });
        });
        await new Promise<void>((r) => gateway.listen(0, "127.0.0.1", r));
        try {
            const dir = tmp();
            const env = { ...taskEnv(dir), PUSHGATEWAY_URL: `http://127.0.0.1:${(gateway.address() as any).port}` };
            assert.equal(sh(TASK_RUNNER_SCRIPT, { ...env, TASK_EXIT_ZERO: "1" }, ["false"]).status, 0);
            const failed = await shAsync(TASK_REPORT_SCRIPT, env);
            assert.equal(failed.status, 1, "the Job fails with the task");
            assert.equal(pushes[0].method, "POST", "POST replaces only what it sends: the last success on the gateway stays");
            assert.equal(pushes[0].url, "/metrics/job/llm-platform-task/store/timescale/task/analyze");
            assert.match(pushes[0].body, /^llm_platform_task_last_run_ok\{[^}]+\} 0$/m);
            assert.doesNotMatch(pushes[0].body, /last_success/);
            sh(TASK_RUNNER_SCRIPT, { ...env, TASK_EXIT_ZERO: "1" }, ["true"]);
            assert.equal((await shAsync(TASK_REPORT_SCRIPT, env)).status, 0);
            assert.match(pushes[1].body, /^llm_platform_task_last_success_timestamp_seconds\{[^}]+\} \d{10}$/m);
            const never = await shAsync(TASK_REPORT_SCRIPT, { ...env, TASK_METRICS_DIR: tmp() });
            assert.equal(never.status, 1);
            assert.match(never.err, /reported nothing: it did not run to its end/);
        } finally {
            gateway.close();
        }
    });
});
