/**
 * The backup and restore scripts under real binaries: Debian's PostgreSQL (pg_dump and
 * pg_restore round trip), a real redis-server (RDB out, RDB in), a stub of Qdrant's snapshot
 * API; and the shared manifest, verification and pruning on files with old dates.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { backupScript } from "../components/backup/script";
import { QDRANT_BACKUP_SCRIPT } from "../components/qdrant/backup-script";
import { REDIS_BACKUP_SCRIPT } from "../components/redis/backup-script";
import { TIMESCALE_BACKUP_SCRIPT } from "../components/timescale/backup-script";
import { scratch } from "./helpers/backup-scratch";
import { requirePostgres, startPostgres, TestPostgres } from "./helpers/postgres";
import { freePort } from "./helpers/ports";
import { requireTool } from "./helpers/tools";

const setAge = (p: string, days: number) => {
    const t = new Date(Date.now() - days * 86400_000);
    fs.utimesSync(p, t, t);
};

describe("backup manifests, verification and retention (sh)", () => {
    // A store whose backup writes one file with the content it is given.
    const script = backupScript(String.raw`
do_backup() { dir="$(new_backup_dir full)"; printf '%s' "$CONTENT" > "$dir/data.bin"; finish_backup "$dir" full; }
do_restore() { dir="$(backup_path "$1")"; cat "$dir/data.bin"; }
`);

    it("writes a manifest with each file's size and sha256, records the success metric and restores from it", () => {
        const s = scratch();
        const r = s.run(script, ["backup"], { STORE: "demo", CONTENT: "hello" });
        assert.equal(r.status, 0, r.err);
        const id = r.out.trim();
        const manifest = fs.readFileSync(path.join(s.root, "backups", "demo", id, "manifest"), "utf8");
        assert.match(manifest, /^store demo\nkind full\ntime \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n/);
        assert.ok(manifest.includes(`file data.bin 5 ${createHash("sha256").update("hello").digest("hex")}\n`), manifest);
        const metric = fs.readFileSync(path.join(s.root, "backups", "metrics", "demo-full.prom"), "utf8");
        assert.match(metric, /^llm_platform_backup_last_success_timestamp_seconds\{store="demo",kind="full"\} \d{10}$/m);
        assert.equal(s.run(script, ["restore", "latest"], { STORE: "demo" }).out, "hello");
        assert.equal(s.run(script, ["restore", id], { STORE: "demo" }).out, "hello");
    });

    it("refuses to restore a corrupted backup, naming the file", () => {
        const s = scratch();
        const id = s.run(script, ["backup"], { STORE: "demo", CONTENT: "hello" }).out.trim();
        fs.writeFileSync(path.join(s.root, "backups", "demo", id, "data.bin"), "hellO");
        const r = s.run(script, ["restore", id], { STORE: "demo" });
        assert.notEqual(r.status, 0);
        assert.equal(r.out, "", "nothing restored");
        assert.match(r.err, /data\.bin does not match its manifest .*sha256/);
        assert.match(r.err, /refusing to restore/);
        assert.notEqual(s.run(script, ["verify", id], { STORE: "demo" }).status, 0);
    });

    it("never restores an unfinished backup (no manifest)", () => {
        const s = scratch();
        fs.mkdirSync(path.join(s.root, "backups", "demo", "20260101T000000Z-full"), { recursive: true });
        const r = s.run(script, ["restore", "20260101T000000Z-full"], { STORE: "demo" });
        assert.notEqual(r.status, 0);
        assert.match(r.err, /has no manifest: the backup did not finish/);
    });

    it("prunes past the retention but always keeps the newest backups, even when they are old", () => {
        const s = scratch();
        const dir = path.join(s.root, "backups", "demo");
        const make = (id: string, ageDays: number, complete = true) => {
            fs.mkdirSync(path.join(dir, id), { recursive: true });
            if (complete) fs.writeFileSync(path.join(dir, id, "manifest"), "store demo\n");
            setAge(path.join(dir, id), ageDays);
        };
        // A stack that stopped backing up 100 days ago: every backup is past the retention.
        make("20250801T020000Z-full", 114);
        make("20250802T020000Z-full", 113);
        make("20250803T020000Z-full", 112);
        make("20250804T020000Z-full", 111);
        make("20250805T020000Z-full", 110, false);
        const prune = backupScript(String.raw`
do_backup() { prune "$RETENTION_DAYS" "$KEEP_LATEST"; }
do_restore() { :; }
`);
        assert.equal(s.run(prune, ["backup"], { STORE: "demo", RETENTION_DAYS: "30", KEEP_LATEST: "2" }).status, 0);
        assert.deepEqual(s.backups("demo"), ["20250803T020000Z-full", "20250804T020000Z-full"], "the two newest complete ones stay");

        // A healthy stack: within the retention everything stays, past it goes.
        make("20260101T020000Z-full", 40);
        make("20260301T020000Z-full", 10);
        make("20260302T020000Z-full", 9);
        make("20260303T020000Z-full", 1);
        assert.equal(s.run(prune, ["backup"], { STORE: "demo", RETENTION_DAYS: "30", KEEP_LATEST: "2" }).status, 0);
        assert.deepEqual(s.backups("demo"), ["20260301T020000Z-full", "20260302T020000Z-full", "20260303T020000Z-full"]);
    });
});

describe("TimescaleDB backup and restore against Debian's PostgreSQL", function () {
    this.timeout(60000);
    let pg: TestPostgres | undefined;

    before(async function () {
        const bin = requirePostgres(this, "pg_dump");
        pg = await startPostgres(bin);
        pg.psql("postgres", "CREATE DATABASE llm_observatory");
        pg.psql("llm_observatory", "CREATE TABLE llm_traces (id serial PRIMARY KEY, model text NOT NULL, latency_ms double precision)");
        pg.psql("llm_observatory", "INSERT INTO llm_traces (model, latency_ms) SELECT 'llama3.2:3b', g * 1.5 FROM generate_series(1, 500) g");
    });

    after(() => pg?.stop());

    it("dumps a database with rows, checksums it, and restores it into a fresh one with the same rows", () => {
        const s = scratch();
        const env = { ...pg!.env, STORE: "timescale", PGDATABASE: "llm_observatory" };
        const backup = s.run(TIMESCALE_BACKUP_SCRIPT, ["backup"], env);
        assert.equal(backup.status, 0, backup.err);
        const id = backup.out.trim();
        assert.match(fs.readFileSync(path.join(s.root, "backups", "timescale", id, "manifest"), "utf8"), /^file llm_observatory\.dump \d+ [0-9a-f]{64}$/m);

        const restore = s.run(TIMESCALE_BACKUP_SCRIPT, ["restore", id, "restored"], env);
        assert.equal(restore.status, 0, restore.err);
        const summary = "SELECT count(*), sum(latency_ms), min(model) FROM llm_traces";
        assert.equal(pg!.psql("restored", summary), pg!.psql("llm_observatory", summary));
        assert.equal(pg!.psql("restored", "SELECT count(*) FROM llm_traces"), "500");
    });

    it("dumps each app's database into the same backup, a manifest entry each, and restores one in place with its owner and grants", () => {
        // As the step timescale-app-roles leaves an app's database (components/timescale/app-roles-sql.ts).
        pg!.psql("postgres", "CREATE ROLE course_user LOGIN");
        pg!.psql("postgres", "CREATE DATABASE course_creator OWNER course_user");
        pg!.psql("postgres", "REVOKE ALL ON DATABASE course_creator FROM PUBLIC");
        pg!.psql("course_creator", "SET ROLE course_user; CREATE TABLE courses (id int PRIMARY KEY, title text); INSERT INTO courses SELECT g, 'course ' || g FROM generate_series(1, 40) g");
        const s = scratch();
        const env = { ...pg!.env, STORE: "timescale", PGDATABASE: "llm_observatory", APP_DATABASES: "course_creator" };
        const backup = s.run(TIMESCALE_BACKUP_SCRIPT, ["backup"], env);
        assert.equal(backup.status, 0, backup.err);
        const id = backup.out.trim();
        const manifest = fs.readFileSync(path.join(s.root, "backups", "timescale", id, "manifest"), "utf8");
        assert.match(manifest, /^file app-course_creator\.dump \d+ [0-9a-f]{64}$/m);
        assert.match(manifest, /^file llm_observatory\.dump \d+ [0-9a-f]{64}$/m);

        pg!.psql("course_creator", "DELETE FROM courses WHERE id > 10");
        const restore = s.run(TIMESCALE_BACKUP_SCRIPT, ["restore", id, "course_creator"], env);
        assert.equal(restore.status, 0, restore.err);
        assert.equal(pg!.psql("course_creator", "SELECT count(*) FROM courses"), "40");
        assert.equal(pg!.psql("postgres", "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'course_creator'"), "course_user");
        assert.equal(pg!.psql("course_creator", "SELECT tableowner FROM pg_tables WHERE tablename = 'courses'"), "course_user");
        assert.equal(pg!.psql("postgres", "SELECT has_database_privilege('public', 'course_creator', 'CONNECT')"), "f", "the grants come back too");
        // The platform's database restores from the same backup as before.
        const platform = s.run(TIMESCALE_BACKUP_SCRIPT, ["restore", id, "restored_with_apps"], env);
        assert.equal(platform.status, 0, platform.err);
        assert.equal(pg!.psql("restored_with_apps", "SELECT count(*) FROM llm_traces"), "500");
    });

    it("refuses a corrupted dump and leaves the target database alone", () => {
        const s = scratch();
        const env = { ...pg!.env, STORE: "timescale", PGDATABASE: "llm_observatory" };
        const id = s.run(TIMESCALE_BACKUP_SCRIPT, ["backup"], env).out.trim();
        const dump = path.join(s.root, "backups", "timescale", id, "llm_observatory.dump");
        const bytes = fs.readFileSync(dump);
        bytes[bytes.length - 10] ^= 0xff;
        fs.writeFileSync(dump, bytes);
        pg!.psql("postgres", "CREATE DATABASE untouched");
        pg!.psql("untouched", "CREATE TABLE marker (x int); INSERT INTO marker VALUES (42)");
        const r = s.run(TIMESCALE_BACKUP_SCRIPT, ["restore", id, "untouched"], env);
        assert.notEqual(r.status, 0);
        assert.match(r.err, /does not match its manifest/);
        assert.equal(pg!.psql("untouched", "SELECT x FROM marker"), "42");
    });
});

describe("Valkey/Redis backup and restore against a real redis-server", function () {
    this.timeout(30000);

    async function startRedis(bin: string, dir: string, extra: string[] = []) {
        const port = await freePort();
        const child = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--requirepass", "s3cret", "--save", "", ...extra], { stdio: "ignore" });
        for (let i = 0; i < 50; i++) {
            if (spawnSync("redis-cli", ["-p", String(port), "--no-auth-warning", "-a", "s3cret", "ping"], { encoding: "utf8" }).stdout.trim() === "PONG") break;
            await new Promise((r) => setTimeout(r, 100));
        }
        const cli = (...args: string[]) => spawnSync("redis-cli", ["-p", String(port), "--no-auth-warning", "-a", "s3cret", ...args], { encoding: "utf8" }).stdout.trim();
        return { port, cli, stop: () => child.kill("SIGKILL") };
    }

    it("streams an RDB from the server and loads it into a stopped server's data directory, AOF on", async function () {
        const server = requireTool(this, "redis-server", "redis-server");
        requireTool(this, "redis-cli", "redis-tools");
        const s = scratch();
        const source = fs.mkdtempSync(path.join(os.tmpdir(), "llm-redis-src-"));
        const redis = await startRedis(server, source);
        try {
            for (let i = 0; i < 100; i++) redis.cli("SET", `session:${i}`, `value-${i}`);
            const env = { STORE: "redis", REDIS_CLI: "redis-cli", REDIS_CHECK_RDB: "redis-check-rdb", REDIS_HOST: "127.0.0.1", REDIS_PORT: String(redis.port), REDISCLI_AUTH: "s3cret" };
            const backup = s.run(REDIS_BACKUP_SCRIPT, ["backup"], env);
            assert.equal(backup.status, 0, backup.err);

            // The target has data of its own and an AOF: both are moved aside, not deleted.
            const target = fs.mkdtempSync(path.join(os.tmpdir(), "llm-redis-dst-"));
            fs.mkdirSync(path.join(target, "appendonlydir"));
            const underLiveServer = s.run(REDIS_BACKUP_SCRIPT, ["restore", "latest"], { ...env, REDIS_DATA_DIR: target, REDIS_SERVER: server });
            assert.notEqual(underLiveServer.status, 0);
            assert.match(underLiveServer.err, /refusing to restore: 127\.0\.0\.1:\d+ still answers; stop the server first/);
            assert.deepEqual(fs.readdirSync(target), ["appendonlydir"], "nothing touched");
            const restore = s.run(REDIS_BACKUP_SCRIPT, ["restore", "latest"], { STORE: "redis", REDIS_DATA_DIR: target, REDIS_CLI: "redis-cli", REDIS_SERVER: server, REDISCLI_AUTH: "s3cret" });
            assert.equal(restore.status, 0, restore.err);
            assert.match(restore.err, /100 keys, written as the AOF/);
            assert.ok(fs.readdirSync(target).some((f) => f.startsWith("appendonlydir.before-restore-")), "the old AOF is kept aside");

            const restored = await startRedis(server, target, ["--appendonly", "yes", "--dbfilename", "dump.rdb"]);
            try {
                assert.equal(restored.cli("DBSIZE"), "100");
                assert.equal(restored.cli("GET", "session:42"), "value-42");
            } finally {
                restored.stop();
            }
        } finally {
            redis.stop();
        }
    });
});

describe("Qdrant snapshot backup and restore against a stub of its API", function () {
    this.timeout(30000);
    const snapshot = Buffer.from("qdrant snapshot bytes ".repeat(1000));
    let server: http.Server;
    let url: string;
    let reportedChecksum: string;
    const calls: string[] = [];
    let uploaded = "";

    before(async function () {
        requireTool(this, "curl", "curl");
        server = http.createServer((req, res) => {
            calls.push(`${req.method} ${req.url} key=${req.headers["api-key"]}`);
            const base = "/collections/documents/snapshots";
            if (req.headers["api-key"] !== "qk") return res.writeHead(401).end();
            // One node: the backup takes a snapshot of the collection (a cluster's: tests/qdrant-cluster.test.ts).
            if (req.method === "GET" && req.url === "/cluster") return res.end('{"result":{"status":"disabled"},"status":"ok","time":0}');
            if (req.method === "POST" && req.url === `${base}?wait=true`) {
                return res.end(JSON.stringify({ result: { name: "documents-2026.snapshot", creation_time: "2026-11-23T02:00:00", size: snapshot.length, checksum: reportedChecksum }, status: "ok" }));
            }
            if (req.method === "GET" && req.url === `${base}/documents-2026.snapshot`) return res.end(snapshot);
            if (req.method === "POST" && req.url === "/collections/documents/points/count") return res.end('{"result":{"count":42},"status":"ok","time":0.001}');
            if (req.method === "DELETE") return res.end('{"result":true}');
            if (req.method === "POST" && req.url?.startsWith(`${base}/upload?priority=snapshot`)) {
                req.on("data", (d) => (uploaded += d));
                req.on("end", () => res.end('{"result":true}'));
                return undefined;
            }
            return res.writeHead(404).end();
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        url = `http://127.0.0.1:${(server.address() as any).port}`;
    });

    after(() => server?.close());

    const env = () => ({ STORE: "qdrant", QDRANT_URL: url, QDRANT_API_KEY: "qk", COLLECTION: "documents" });

    it("creates, downloads and checks a snapshot against Qdrant's checksum, frees it on the server, and uploads it back", async () => {
        reportedChecksum = createHash("sha256").update(snapshot).digest("hex");
        const s = scratch();
        const backup = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["backup"], env());
        assert.equal(backup.status, 0, backup.err);
        const id = backup.out.trim();
        assert.deepEqual(fs.readFileSync(path.join(s.root, "backups", "qdrant", id, "documents-2026.snapshot")), snapshot);
        assert.ok(calls.some((c) => c.startsWith("DELETE /collections/documents/snapshots/documents-2026.snapshot")));

        const restore = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["restore", id], env());
        assert.equal(restore.status, 0, restore.err);
        assert.match(uploaded, /name="snapshot"; filename="documents-2026\.snapshot"/);
        assert.ok(uploaded.includes(snapshot.toString()));
    });

    it("fails when the download does not match Qdrant's checksum, and records no success", async () => {
        reportedChecksum = "0".repeat(64);
        const s = scratch();
        const r = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["backup"], env());
        assert.notEqual(r.status, 0);
        assert.match(r.err, /snapshot documents-2026\.snapshot: sha256 [0-9a-f]{64}, Qdrant reported '0{64}'/);
        assert.ok(!fs.existsSync(path.join(s.root, "backups", "metrics", "qdrant-snapshot.prom")));
    });
});
