import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "./helpers/ports";
import { asServerUser, requirePostgres } from "./helpers/postgres";
import { requireTool } from "./helpers/tools";

/**
 * The point-in-time recovery the CloudNativePG cluster relies on, run for real: Debian's PostgreSQL
 * archives its WAL with Barman Cloud (the tool the Barman Cloud plugin's sidecar runs in each instance)
 * to a local S3 stand-in (s3rver, loopback only), a base backup goes beside it, rows are written
 * before and after a noted time, and a restore to that time brings back exactly the first batch.
 * The flags are the ones the plugin and the operator's in-tree path both build with the barman-cloud
 * library (its pkg/command and pkg/archiver, imported by plugin-barman-cloud v0.13.0 and operator
 * v1.29.1): --cloud-provider aws-s3, --endpoint-url, gzip, the cluster's name as the server name.
 */
describe("point-in-time recovery drill (PostgreSQL + barman-cli-cloud + s3rver)", function () {
    this.timeout(180000);
    let bin: string;
    let work: string;
    let s3: ChildProcess | undefined;
    let endpoint: string;
    const servers: string[] = [];
    const BUCKET = "drill";
    const SERVER_NAME = "timescale";

    before(async function () {
        bin = requirePostgres(this, "psql");
        for (const tool of ["barman-cloud-wal-archive", "barman-cloud-backup", "barman-cloud-restore", "barman-cloud-wal-restore"]) requireTool(this, tool, "barman-cli-cloud");
        work = fs.mkdtempSync(path.join(os.tmpdir(), "llm-pitr-"));
        fs.chmodSync(work, 0o777);
        const port = await freePort();
        fs.mkdirSync(path.join(work, "s3"));
        // In a process of its own: the test's synchronous calls (pg_ctl, psql) must not stall the S3 server.
        s3 = spawn(
            process.execPath,
            [
                "-e",
                `const S3rver = require("s3rver");
                 new S3rver({ address: "127.0.0.1", port: ${port}, silent: true, directory: ${JSON.stringify(path.join(work, "s3"))}, configureBuckets: [{ name: "${BUCKET}" }] })
                     .run().then(() => console.log("ready"));`,
            ],
            { cwd: path.join(__dirname, ".."), stdio: ["ignore", "pipe", "inherit"] },
        );
        await new Promise<void>((resolve, reject) => {
            s3!.stdout!.on("data", (d) => String(d).includes("ready") && resolve());
            s3!.on("exit", (code) => reject(new Error(`s3rver exited with ${code}`)));
        });
        endpoint = `http://127.0.0.1:${port}`;
    });

    after(() => {
        for (const data of servers) asServerUser([path.join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop"]);
        s3?.kill();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    /** Barman Cloud's environment: the stand-in's keys (s3rver accepts S3RVER/S3RVER) and a region for boto3. */
    const awsEnv = "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1";
    const barmanFlags = () => ["--cloud-provider", "aws-s3", "--endpoint-url", endpoint];
    const destination = `s3://${BUCKET}/backups/cloudnative-pg/`;

    function barman(tool: string, args: string[]): string {
        const r = spawnSync(tool, [...barmanFlags(), ...args], {
            encoding: "utf8",
            env: { ...process.env, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_DEFAULT_REGION: "us-east-1" },
            timeout: 60000,
        });
        assert.equal(r.status, 0, `${tool} ${args.join(" ")}: ${r.stderr}`);
        return r.stdout;
    }

    function startServer(data: string, socketDir: string, port: number): void {
        const log = path.join(socketDir, `${path.basename(data)}.log`);
        const start = asServerUser([path.join(bin, "pg_ctl"), "-D", data, "-l", log, "-w", "-t", "90", "-o", `-k ${socketDir} -p ${port} -c listen_addresses=''`, "start"]);
        servers.push(data);
        assert.equal(start.status, 0, `pg_ctl start: ${start.stderr} ${fs.existsSync(log) ? fs.readFileSync(log, "utf8") : ""}`);
    }

    function psql(socketDir: string, port: number, sql: string): string {
        const r = spawnSync("psql", ["-h", socketDir, "-p", String(port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-tA", "-c", sql], { encoding: "utf8" });
        assert.equal(r.status, 0, `psql: ${r.stderr}`);
        return r.stdout.trim();
    }

    it("restores a base backup and the archived WAL to a noted time: the rows before it, none after", async () => {
        const source = path.join(work, "source");
        const init = asServerUser([path.join(bin, "initdb"), "-D", source, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--wal-segsize=1"]);
        assert.equal(init.status, 0, init.stderr);
        const archive = `${awsEnv} barman-cloud-wal-archive ${barmanFlags().join(" ")} --gzip ${destination} ${SERVER_NAME} %p`;
        fs.appendFileSync(path.join(source, "postgresql.conf"), `wal_level = replica\narchive_mode = on\narchive_command = '${archive}'\narchive_timeout = 0\n`);
        const port = await freePort();
        startServer(source, work, port);

        psql(work, port, "CREATE TABLE spans (id int PRIMARY KEY, batch text NOT NULL)");
        // An immediate checkpoint keeps the drill short (the cluster's ScheduledBackups use the operator's default, a spread one).
        barman("barman-cloud-backup", ["--gzip", "--immediate-checkpoint", "-h", work, "-p", String(port), "-U", "postgres", destination, SERVER_NAME]);
        psql(work, port, "INSERT INTO spans SELECT g, 'before' FROM generate_series(1, 100) g");
        // The commit before the target is in a WAL segment the archive must hold: switch and wait for it.
        await sleep(1100);
        const target = psql(work, port, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        await sleep(1100);
        psql(work, port, "INSERT INTO spans SELECT g, 'after' FROM generate_series(101, 150) g");
        psql(work, port, "SELECT pg_switch_wal()");
        await waitFor(() => Number(psql(work, port, "SELECT archived_count FROM pg_stat_archiver")) >= 2 && psql(work, port, "SELECT coalesce(last_failed_wal, '') FROM pg_stat_archiver") === "", "WAL archived");
        assert.equal(psql(work, port, "SELECT count(*) FROM spans"), "150");

        const backups = barman("barman-cloud-backup-list", ["--format", "json", destination, SERVER_NAME]);
        const backupId = JSON.parse(backups).backups_list[0].backup_id;
        const restored = path.join(work, "restored");
        barman("barman-cloud-restore", [destination, SERVER_NAME, backupId, restored]);
        spawnSync("chown", ["-R", "postgres:postgres", restored]);
        fs.chmodSync(restored, 0o700);
        const restore = `${awsEnv} barman-cloud-wal-restore ${barmanFlags().join(" ")} ${destination} ${SERVER_NAME} %f %p`;
        fs.appendFileSync(
            path.join(restored, "postgresql.conf"),
            `archive_mode = off\nrestore_command = '${restore}'\nrecovery_target_time = '${postgresTime(target)}'\nrecovery_target_action = 'promote'\n`,
        );
        fs.writeFileSync(path.join(restored, "recovery.signal"), "");
        spawnSync("chown", ["postgres:postgres", path.join(restored, "recovery.signal")]);
        const restoredPort = await freePort();
        startServer(restored, work, restoredPort);
        await waitFor(() => psql(work, restoredPort, "SELECT pg_is_in_recovery()") === "f", "recovery to end at the target and promote");

        assert.equal(psql(work, restoredPort, "SELECT string_agg(batch || ':' || n, ',') FROM (SELECT batch, count(*) n FROM spans GROUP BY batch ORDER BY batch) b"), "before:100");
    });
});

/** An RFC 3339 time (what `npm run restore -- timescale --to` takes) as PostgreSQL reads it; the operator converts the same way (api/v1/cluster_funcs.go, ConvertToPostgresFormat). */
function postgresTime(rfc3339: string): string {
    return rfc3339.replace("T", " ").replace(/Z$/, "+00:00");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, what: string, seconds = 60): Promise<void> {
    for (let i = 0; i < seconds * 4; i++) {
        if (check()) return;
        await sleep(250);
    }
    assert.fail(`timed out waiting for ${what}`);
}
