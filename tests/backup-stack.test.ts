import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SCHEDULER_SCRIPT } from "../components/backup/scheduler";
import { SQLSERVER_BACKUP_SCRIPT } from "../components/sqlserver/backup-script";
import { RegisteredResource, runStack, StackRun } from "../harness/run-stack";
import { isSecretValue } from "../policies/rules/support/values";

const CONTAINER = "docker:index/container:Container";
const label = (r: RegisteredResource, key: string) => r.inputs.labels?.find((l: any) => l.label === key)?.value;
const env = (r: RegisteredResource) => Object.fromEntries((r.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
const schedulers = (run: StackRun) => run.ofType(CONTAINER).filter((c) => label(c, "llm-platform.role") === "backup");

describe("backups on the dev stack (Docker, under mocks)", function () {
    this.timeout(60000);
    let run: StackRun;
    before(async () => {
        run = await runStack("dev");
    });

    it("runs a scheduler per store and kind, with the runbooks' schedules", () => {
        const jobs = Object.fromEntries(schedulers(run).map((c) => [c.name, env(c)]));
        assert.deepEqual(Object.keys(jobs).sort(), ["qdrant-backup-snapshot", "redis-backup-full", "sqlserver-backup-full", "sqlserver-backup-log", "timescale-backup-full"]);
        assert.equal(jobs["timescale-backup-full"].DAILY_AT_UTC, "02:00");
        assert.equal(jobs["sqlserver-backup-full"].DAILY_AT_UTC, "02:00");
        assert.equal(jobs["sqlserver-backup-log"].EVERY_MINUTES, "60");
        assert.equal(jobs["qdrant-backup-snapshot"].EVERY_MINUTES, "60");
        for (const e of Object.values(jobs)) {
            assert.equal(e.RETENTION_DAYS, "30");
            assert.equal(e.KEEP_LATEST, "3");
            assert.equal(e.BACKUP_ROOT, "/backups");
        }
    });

    it("gives every scheduler limits, a heartbeat health check, a restart policy and the retained backups volume", () => {
        const backups = run.ofType("docker:index/volume:Volume").find((v) => v.inputs.name === "llm-platform-dev-backups")!;
        assert.equal(backups.options.retainOnDelete, true, "backups survive destroy");
        for (const c of schedulers(run)) {
            assert.ok(c.inputs.memory > 0 && Number(c.inputs.cpus) > 0, c.name);
            assert.equal(c.inputs.restart, "unless-stopped");
            assert.match(c.inputs.healthcheck.tests.join(" "), /find \/backups\/\.heartbeat\/\w+-\w+ -mmin -2/);
            assert.deepEqual(c.inputs.volumes[0], { volumeName: "llm-platform-dev-backups", containerPath: "/backups" });
            const service = label(c, "llm-platform.service");
            assert.ok(c.options.dependsOn.includes(`${CONTAINER}::${service}`), `${c.name} starts after ${service}`);
            assert.ok(c.inputs.uploads.some((u: any) => u.file === "/opt/llm-platform/backup.sh"));
        }
    });

    it("lets SQL Server write its BACKUP files into the backups volume, and Valkey's restore write its data", () => {
        const sql = run.named(CONTAINER, "sqlserver");
        assert.ok(sql.inputs.volumes.some((v: any) => v.volumeName === "llm-platform-dev-backups" && v.containerPath === "/backups"));
        const redis = run.named(CONTAINER, "redis-backup-full");
        assert.ok(redis.inputs.volumes.some((v: any) => v.containerPath === "/data"));
        assert.equal(label(redis, "llm-platform.restore-stops-service"), "true");
        assert.ok(!run.named(CONTAINER, "timescale-backup-full").inputs.volumes.some((v: any) => v.containerPath !== "/backups"), "others see only the backups");
    });

    it("takes the secrets from the stack's generated credentials, as secrets", async () => {
        const timescale = run.named(CONTAINER, "timescale-backup-full");
        assert.equal(env(timescale).PGPASSWORD, run.outputs.credentials.timescalePassword);
        assert.equal(env(run.named(CONTAINER, "qdrant-backup-snapshot")).QDRANT_API_KEY, run.outputs.credentials.qdrantApiKey);
        assert.ok(isSecretValue(timescale.rawInputs.envs), "the env travels as a secret");
    });

    it("lets node-exporter serve the schedulers' last-success metrics, read-only, for BackupTooOld", () => {
        const node = run.named(CONTAINER, "node-exporter");
        assert.ok(node.inputs.command.includes("--collector.textfile.directory=/backups/metrics"));
        assert.ok(node.inputs.volumes.some((v: any) => v.volumeName === "llm-platform-dev-backups" && v.containerPath === "/backups" && v.readOnly === true));
    });

    it("puts SQL Server in the FULL recovery model, so log backups restore to a point in time", () => {
        const init = run.named(CONTAINER, "sqlserver-schema").inputs.uploads.find((u: any) => u.file === "/tmp/llm-platform-init.sql").content;
        assert.match(init, /IF \(SELECT recovery_model_desc FROM sys\.databases WHERE name = N'llm'\) <> N'FULL'\s+ALTER DATABASE \[llm\] SET RECOVERY FULL;/);
    });

    it("has no scheduler when backup.enabled is false", async () => {
        const off = await runStack("dev", { overrides: { "llm-platform:backup": { enabled: false } } });
        assert.deepEqual(schedulers(off), []);
        assert.ok(!off.ofType("docker:index/volume:Volume").some((v) => v.inputs.name === "llm-platform-dev-backups"));
    });
});

describe("the backup scheduler (sh)", () => {
    const next = (env: Record<string, string>) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-sched-"));
        fs.writeFileSync(path.join(dir, "scheduler.sh"), SCHEDULER_SCRIPT);
        const r = spawnSync("sh", [path.join(dir, "scheduler.sh"), "next"], { encoding: "utf8", env: { PATH: process.env.PATH!, BACKUP_ROOT: dir, STORE: "s", JOB: "full", ...env } });
        fs.rmSync(dir, { recursive: true, force: true });
        assert.equal(r.status, 0, r.stderr);
        return Number(r.stdout.trim());
    };
    const at = (iso: string) => String(Date.parse(iso) / 1000);

    it("waits until the next daily slot in UTC", () => {
        assert.equal(next({ DAILY_AT_UTC: "02:00", NOW: at("2026-11-23T01:00:00Z") }), 3600);
        assert.equal(next({ DAILY_AT_UTC: "02:00", NOW: at("2026-11-23T02:00:00Z") }), 86400, "just ran: tomorrow");
        assert.equal(next({ DAILY_AT_UTC: "02:00", NOW: at("2026-11-23T03:30:00Z") }), 81000);
        assert.equal(next({ DAILY_AT_UTC: "09:05", NOW: at("2026-11-23T09:00:00Z") }), 300, "leading zeros are not octal");
    });

    it("waits until the next multiple of its period", () => {
        assert.equal(next({ EVERY_MINUTES: "60", NOW: at("2026-11-23T10:15:00Z") }), 2700);
        assert.equal(next({ EVERY_MINUTES: "15", NOW: at("2026-11-23T10:15:00Z") }), 900);
    });
});

describe("SQL Server backup and restore T-SQL (statements and order; no engine here)", () => {
    let root: string;
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "llm-mssql-"));
        fs.writeFileSync(path.join(root, "backup.sh"), SQLSERVER_BACKUP_SCRIPT);
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    /** A finished backup as the script leaves it: the file and its manifest. */
    function made(id: string, kind: "full" | "log") {
        const dir = path.join(root, "backups", "sqlserver", id);
        fs.mkdirSync(dir, { recursive: true });
        const file = kind === "full" ? "llm.bak" : "llm.trn";
        fs.writeFileSync(path.join(dir, file), id);
        const sum = spawnSync("sha256sum", [path.join(dir, file)], { encoding: "utf8" }).stdout.split(" ")[0];
        fs.writeFileSync(path.join(dir, "manifest"), `store sqlserver\nkind ${kind}\ntime x\nfile ${file} ${id.length} ${sum}\n`);
    }

    function restore(args: string[]) {
        return spawnSync("sh", [path.join(root, "backup.sh"), "restore", ...args], {
            encoding: "utf8",
            env: { PATH: process.env.PATH!, BACKUP_ROOT: path.join(root, "backups"), STORE: "sqlserver", DATABASE: "llm", DRY_RUN: "1" },
        });
    }

    it("backs up with CHECKSUM and COMPRESSION, then RESTORE VERIFYONLY, for full and log backups", () => {
        assert.match(SQLSERVER_BACKUP_SCRIPT, /BACKUP DATABASE \[\$DATABASE\] TO DISK = N'\$file' WITH CHECKSUM, COMPRESSION, INIT, FORMAT; RESTORE VERIFYONLY FROM DISK = N'\$file' WITH CHECKSUM;/);
        assert.match(SQLSERVER_BACKUP_SCRIPT, /BACKUP LOG \[\$DATABASE\] TO DISK = N'\$file' WITH CHECKSUM, COMPRESSION, INIT, FORMAT; RESTORE VERIFYONLY FROM DISK = N'\$file' WITH CHECKSUM;/);
        assert.match(SQLSERVER_BACKUP_SCRIPT, /chown 10001:0 "\$dir"/, "SQL Server (mssql) may write the directory");
    });

    it("restores the full backup, then every later log in order, then recovers", () => {
        made("20261122T020000Z-full", "full");
        made("20261122T030000Z-log", "log");
        made("20261123T020000Z-full", "full");
        made("20261123T030000Z-log", "log");
        made("20261123T040000Z-log", "log");
        const r = restore(["latest"]);
        assert.equal(r.status, 0, r.stderr);
        const b = path.join(root, "backups", "sqlserver");
        assert.deepEqual(r.stdout.trim().split("\n"), [
            "IF DB_ID(N'llm') IS NOT NULL ALTER DATABASE [llm] SET SINGLE_USER WITH ROLLBACK IMMEDIATE;",
            `RESTORE DATABASE [llm] FROM DISK = N'${b}/20261123T020000Z-full/llm.bak' WITH CHECKSUM, REPLACE, NORECOVERY;`,
            `RESTORE LOG [llm] FROM DISK = N'${b}/20261123T030000Z-log/llm.trn' WITH CHECKSUM, NORECOVERY;`,
            `RESTORE LOG [llm] FROM DISK = N'${b}/20261123T040000Z-log/llm.trn' WITH CHECKSUM, NORECOVERY;`,
            "RESTORE DATABASE [llm] WITH RECOVERY;",
            "ALTER DATABASE [llm] SET MULTI_USER;",
        ]);
    });

    it("stops at a point in time, and refuses a log backup that does not match its manifest", () => {
        made("20261123T020000Z-full", "full");
        made("20261123T030000Z-log", "log");
        made("20261123T040000Z-log", "log");
        made("20261123T050000Z-log", "log");
        const r = restore(["20261123T020000Z-full", "2026-11-23T03:30:00"]);
        assert.equal(r.status, 0, r.stderr);
        const logs = r.stdout.split("\n").filter((l) => l.startsWith("RESTORE LOG"));
        assert.equal(logs.length, 2, "the logs up to the one holding 03:30");
        for (const l of logs) assert.match(l, /, STOPAT = N'2026-11-23T03:30:00';$/);

        fs.writeFileSync(path.join(root, "backups", "sqlserver", "20261123T030000Z-log", "llm.trn"), "tampered");
        const bad = restore(["latest"]);
        assert.notEqual(bad.status, 0);
        assert.match(bad.stderr, /llm\.trn does not match its manifest/);
    });
});
