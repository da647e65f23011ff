/**
 * The restore drill's verify logic under real binaries: a backup taken by the store's own
 * script records its counts in the manifest; the drill restores it into a scratch target
 * (Debian's PostgreSQL: a scratch database; a real redis-server: a scratch server), passes
 * when checksums and counts match, fails on a corrupted backup, and leaves no scratch target.
 * Run through run-task.sh as the schedulers do, so the outcome Prometheus reads is checked too.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { TASK_RUNNER_SCRIPT } from "../components/backup/task-runner";
import { QDRANT_BACKUP_SCRIPT } from "../components/qdrant/backup-script";
import { REDIS_BACKUP_SCRIPT } from "../components/redis/backup-script";
import { SQLSERVER_BACKUP_SCRIPT } from "../components/sqlserver/backup-script";
import { TIMESCALE_BACKUP_SCRIPT } from "../components/timescale/backup-script";
import { Scratch, scratch } from "./helpers/backup-scratch";
import { freePort } from "./helpers/ports";
import { requirePostgres, startPostgres, TestPostgres } from "./helpers/postgres";
import { requireTool } from "./helpers/tools";

const manifestOf = (s: Scratch, store: string, id: string) => fs.readFileSync(path.join(s.root, "backups", store, id, "manifest"), "utf8");
const rewrite = (file: string, change: (text: string) => string) => fs.writeFileSync(file, change(fs.readFileSync(file, "utf8")));
const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

/** The drill as a scheduled task: run-task.sh around `backup.sh drill`, reporting into <root>/metrics. */
function drillTask(s: Scratch, script: string, env: Record<string, string>) {
    const runner = path.join(s.root, "run-task.sh");
    fs.writeFileSync(runner, TASK_RUNNER_SCRIPT);
    fs.writeFileSync(path.join(s.root, "backup.sh"), script);
    const metrics = path.join(s.root, "metrics");
    const r = spawnSync("sh", [runner, "sh", path.join(s.root, "backup.sh"), "drill", "latest"], {
        encoding: "utf8",
        env: {
            PATH: process.env.PATH!,
            BACKUP_ROOT: path.join(s.root, "backups"),
            TASK: "restore-drill",
            TASK_ON_FAILURE: "critical",
            TASK_MAX_AGE_SECONDS: "2764800",
            TASK_METRICS_DIR: metrics,
            ...env,
        },
    });
    const report = fs.readFileSync(path.join(metrics, `task-${env.STORE}-restore-drill.prom`), "utf8");
    return { status: r.status, err: r.stderr, report };
}

const reportedOk = (report: string) => /^llm_platform_task_last_run_ok\{store="\w+",task="restore-drill",on_failure="critical"\} ([01])$/m.exec(report)?.[1];

describe("restore drill: TimescaleDB into a scratch database (Debian's PostgreSQL)", function () {
    this.timeout(90000);
    let pg: TestPostgres | undefined;
    const env = () => ({ ...pg!.env, STORE: "timescale", PGDATABASE: "llm_observatory", DRILL_KIND: "full" });
    const databases = () => pg!.psql("postgres", "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE datname LIKE 'llm%'");

    before(async function () {
        const bin = requirePostgres(this, "pg_dump");
        pg = await startPostgres(bin);
        pg.psql("postgres", "CREATE DATABASE llm_observatory");
        pg.psql("llm_observatory", "CREATE TABLE llm_traces (id serial PRIMARY KEY, model text NOT NULL, note text)");
        // Rows whose text holds a newline and a tab: COPY escapes them, one line per row.
        pg.psql("llm_observatory", "INSERT INTO llm_traces (model, note) SELECT 'llama3.2:3b', E'line\\nbreak\\tand tab' FROM generate_series(1, 500)");
        pg.psql("llm_observatory", 'CREATE TABLE "Odd Name" (x int); INSERT INTO "Odd Name" SELECT generate_series(1, 7)');
        pg.psql("llm_observatory", "CREATE TABLE empty_one (x int)");
    });

    after(() => pg?.stop());

    it("records every table's rows, counted in the dump, in the manifest", () => {
        const s = scratch();
        const backup = s.run(TIMESCALE_BACKUP_SCRIPT, ["backup"], env());
        assert.equal(backup.status, 0, backup.err);
        const counts = manifestOf(s, "timescale", backup.out.trim()).split("\n").filter((l) => l.startsWith("count "));
        assert.deepEqual(counts.sort(), ['count table:public."Odd%20Name" 7 7', "count table:public.empty_one 0 0", "count table:public.llm_traces 500 500"]);
    });

    it("passes a good backup: restored into llm_observatory_drill, every count matches, the scratch database is gone", () => {
        const s = scratch();
        assert.equal(s.run(TIMESCALE_BACKUP_SCRIPT, ["backup"], env()).status, 0);
        const drill = drillTask(s, TIMESCALE_BACKUP_SCRIPT, env());
        assert.equal(drill.status, 0, drill.err);
        assert.match(drill.err, /drill of \d{8}T\d{6}Z-full passed: every file matches its checksum and 3 count\(s\) match/);
        assert.equal(reportedOk(drill.report), "1");
        assert.match(drill.report, /^llm_platform_task_last_success_timestamp_seconds\{[^}]+\} \d{10}$/m);
        assert.equal(databases(), "llm_observatory", "the scratch database was dropped");
    });

    it("fails a corrupted dump before restoring anything, and reports it", () => {
        const s = scratch();
        const id = s.run(TIMESCALE_BACKUP_SCRIPT, ["backup"], env()).out.trim();
        const dump = path.join(s.root, "backups", "timescale", id, "llm_observatory.dump");
        const bytes = fs.readFileSync(dump);
        bytes[bytes.length - 20] ^= 0xff;
        fs.writeFileSync(dump, bytes);
        const drill = drillTask(s, TIMESCALE_BACKUP_SCRIPT, env());
        assert.notEqual(drill.status, 0);
        assert.match(drill.err, /llm_observatory\.dump does not match its manifest/);
        assert.match(drill.err, /drill FAILED: \S+ does not match its manifest/);
        assert.equal(reportedOk(drill.report), "0");
        assert.doesNotMatch(drill.report, /last_success/, "no earlier success to keep");
        assert.equal(databases(), "llm_observatory");
    });

    it("fails when the restored copy holds other counts than the backup recorded, and drops the scratch database", () => {
        const s = scratch();
        const id = s.run(TIMESCALE_BACKUP_SCRIPT, ["backup"], env()).out.trim();
        rewrite(path.join(s.root, "backups", "timescale", id, "manifest"), (m) => m.replace("count table:public.llm_traces 500 500", "count table:public.llm_traces 501 501"));
        const drill = drillTask(s, TIMESCALE_BACKUP_SCRIPT, env());
        assert.notEqual(drill.status, 0);
        assert.match(drill.err, /drill: table:public\.llm_traces is 500 in the restored copy, the backup recorded 501 to 501/);
        assert.equal(reportedOk(drill.report), "0");
        assert.equal(databases(), "llm_observatory");
    });
});

describe("restore drill: Valkey/Redis into a scratch server (a real redis-server)", function () {
    this.timeout(120000);

    async function startRedis(server: string) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-drill-redis-"));
        const port = await freePort();
        const child = spawn(server, ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--requirepass", "s3cret", "--save", ""], { stdio: "ignore" });
        const cli = (...args: string[]) => spawnSync("redis-cli", ["-p", String(port), "--no-auth-warning", "-a", "s3cret", ...args], { encoding: "utf8" }).stdout.trim();
        for (let i = 0; i < 50 && cli("ping") !== "PONG"; i++) await new Promise((r) => setTimeout(r, 100));
        return { port, cli, stop: () => child.kill("SIGKILL") };
    }

    it("counts the keys with the server's own RDB loader, restores into a scratch server, passes a good backup and fails a corrupted one", async function () {
        const server = requireTool(this, "redis-server", "redis-server");
        requireTool(this, "redis-cli", "redis-tools");
        requireTool(this, "redis-check-rdb", "redis-tools");
        const redis = await startRedis(server);
        try {
            for (let i = 0; i < 100; i++) redis.cli("SET", `session:${i}`, `value-${i}`);
            for (let i = 0; i < 10; i++) redis.cli("SET", `cache:${i}`, "x", "EX", "3600");
            const env = {
                STORE: "redis",
                REDIS_CLI: "redis-cli",
                REDIS_SERVER: server,
                REDIS_CHECK_RDB: "redis-check-rdb",
                REDIS_HOST: "127.0.0.1",
                REDIS_PORT: String(redis.port),
                REDISCLI_AUTH: "s3cret",
                DRILL_KIND: "full",
            };
            const s = scratch();
            const backup = s.run(REDIS_BACKUP_SCRIPT, ["backup"], env);
            assert.equal(backup.status, 0, backup.err);
            const id = backup.out.trim();
            // 110 keys, 10 of them with a TTL: a later load holds between 100 and 110.
            assert.match(manifestOf(s, "redis", id), /^count keys 100 110$/m);

            const scratchDirs = () => fs.readdirSync(path.join(s.root, "backups")).filter((f) => f.startsWith(".drill."));
            const before = scratchDirs();
            const good = drillTask(s, REDIS_BACKUP_SCRIPT, env);
            assert.equal(good.status, 0, good.err);
            assert.match(good.err, /drill of \S+ passed: every file matches its checksum and 1 count\(s\) match/);
            assert.equal(reportedOk(good.report), "1");
            assert.equal(redis.cli("DBSIZE"), "110", "the live server is untouched");
            assert.deepEqual(scratchDirs(), before, "the scratch server's directory is gone");
            assert.deepEqual(before, []);

            // A damaged file that still matches its manifest (damaged before the manifest was written):
            // only loading it tells, and the scratch server's load must fail the drill.
            const rdb = path.join(s.root, "backups", "redis", id, "dump.rdb");
            const bytes = fs.readFileSync(rdb);
            fs.writeFileSync(rdb, bytes.subarray(0, Math.floor(bytes.length / 2)));
            rewrite(path.join(s.root, "backups", "redis", id, "manifest"), (m) => m.replace(/^file dump\.rdb \d+ [0-9a-f]{64}$/m, `file dump.rdb ${fs.statSync(rdb).size} ${sha256(rdb)}`));
            const truncated = drillTask(s, REDIS_BACKUP_SCRIPT, env);
            assert.notEqual(truncated.status, 0, truncated.err);
            assert.match(truncated.err, /drill FAILED: \S+ did not restore into the scratch target/);
            assert.equal(reportedOk(truncated.report), "0");
            // The earlier success is kept for the overdue alert; the failure is what the last run says.
            assert.match(truncated.report, /^llm_platform_task_last_success_timestamp_seconds\{[^}]+\} \d{10}$/m);

            // And a corruption after the manifest: refused before any server starts.
            fs.writeFileSync(rdb, Buffer.concat([bytes.subarray(0, 20), Buffer.from("X"), bytes.subarray(21)]));
            rewrite(path.join(s.root, "backups", "redis", id, "manifest"), (m) => m.replace(/^file dump\.rdb \d+ [0-9a-f]{64}$/m, `file dump.rdb ${bytes.length} ${createHash("sha256").update(bytes).digest("hex")}`));
            const corrupted = drillTask(s, REDIS_BACKUP_SCRIPT, env);
            assert.notEqual(corrupted.status, 0);
            assert.match(corrupted.err, /dump\.rdb does not match its manifest/);
        } finally {
            redis.stop();
        }
    });
});

describe("restore drill: Qdrant into a scratch collection (a stub of its API)", function () {
    this.timeout(30000);
    const snapshot = Buffer.from("qdrant snapshot bytes ".repeat(500));
    let server: http.Server;
    let url: string;
    let scratchPoints = 42;
    const calls: string[] = [];

    before(async function () {
        requireTool(this, "curl", "curl");
        const checksum = createHash("sha256").update(snapshot).digest("hex");
        server = http.createServer((req, res) => {
            calls.push(`${req.method} ${req.url}`);
            const body = (json: object) => res.end(JSON.stringify(json));
            // One node (a cluster's drill: tests/qdrant-cluster.test.ts).
            if (req.method === "GET" && req.url === "/cluster") return body({ result: { status: "disabled" }, status: "ok" });
            if (req.method === "POST" && req.url === "/collections/documents/snapshots?wait=true") return body({ result: { name: "d.snapshot", checksum } });
            if (req.method === "GET" && req.url === "/collections/documents/snapshots/d.snapshot") return res.end(snapshot);
            if (req.method === "DELETE") return body({ result: true });
            if (req.method === "POST" && req.url === "/collections/documents/points/count") return body({ result: { count: 42 }, status: "ok" });
            if (req.method === "POST" && req.url === "/collections/documents-drill/points/count") return body({ result: { count: scratchPoints }, status: "ok" });
            if (req.method === "POST" && req.url?.startsWith("/collections/documents-drill/snapshots/upload?priority=snapshot")) {
                req.resume();
                req.on("end", () => body({ result: true }));
                return undefined;
            }
            return res.writeHead(404).end();
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        url = `http://127.0.0.1:${(server.address() as any).port}`;
    });
    after(() => server?.close());

    const env = () => ({ STORE: "qdrant", QDRANT_URL: url, QDRANT_API_KEY: "qk", COLLECTION: "documents", DRILL_KIND: "snapshot" });

    it("uploads the snapshot as documents-drill, compares its points with the manifest, and deletes it", async () => {
        const s = scratch();
        const backup = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["backup"], env());
        assert.equal(backup.status, 0, backup.err);
        assert.match(manifestOf(s, "qdrant", backup.out.trim()), /^count points 42 42$/m);
        calls.length = 0;
        scratchPoints = 42;
        const good = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["drill", "latest"], env());
        assert.equal(good.status, 0, good.err);
        assert.ok(calls.some((c) => c.startsWith("POST /collections/documents-drill/snapshots/upload")));
        assert.equal(calls.filter((c) => c === "DELETE /collections/documents-drill").length, 2, "a leftover is removed first, the scratch collection after");
        scratchPoints = 41;
        const short = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["drill", "latest"], env());
        assert.notEqual(short.status, 0);
        assert.match(short.err, /drill: points is 41 in the restored copy, the backup recorded 42 to 42/);
    });
});

describe("restore drill: SQL Server as <database>_drill (T-SQL only; no engine here)", () => {
    it("restores the newest full backup as llm_drill beside the database's files, runs DBCC CHECKDB on it, and drops it", () => {
        const s = scratch();
        const dir = path.join(s.root, "backups", "sqlserver", "20261123T020000Z-full");
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "llm.bak"), "backup");
        fs.writeFileSync(path.join(dir, "manifest"), `store sqlserver\nkind full\ntime t\nfile llm.bak 6 ${sha256(path.join(dir, "llm.bak"))}\ncount table:[dbo].[documents] 120 120\n`);
        const r = s.run(SQLSERVER_BACKUP_SCRIPT, ["drill", "latest"], { STORE: "sqlserver", DATABASE: "llm", SQLSERVER: "sqlserver,1433", DRY_RUN: "1", DRILL_KIND: "full" });
        const at = (fragment: string) => {
            const i = r.err.indexOf(fragment);
            assert.ok(i >= 0, `${fragment} in:\n${r.err}`);
            return i;
        };
        const order = [
            at("IF DB_ID(N'llm_drill') IS NOT NULL BEGIN ALTER DATABASE [llm_drill] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [llm_drill]; END;"),
            at(`RESTORE DATABASE [llm_drill] FROM DISK = N''${dir}/llm.bak'' WITH CHECKSUM, RECOVERY`),
            at("N'llm_drill_' + CAST(file_id AS nvarchar(10)) + CASE type WHEN 1 THEN N'.ldf' ELSE N'.mdf' END + N'''' FROM sys.master_files WHERE database_id = DB_ID(N'llm');"),
            at("EXEC (@sql);"),
            at("DBCC CHECKDB (N'llm_drill') WITH NO_INFOMSGS, ALL_ERRORMSGS;"),
        ];
        assert.deepEqual([...order].sort((a, b) => a - b), order, "drop a leftover, restore with MOVE, then check");
        assert.ok(r.err.lastIndexOf("DROP DATABASE [llm_drill]") > order[4], "dropped after the check");
        // Nothing ran, so nothing was counted: the drill says so and fails.
        assert.notEqual(r.status, 0);
        assert.match(r.err, /drill: table:\[dbo\]\.\[documents\] is missing from the restored copy/);
    });
});
