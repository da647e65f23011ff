import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cronPeriodProblem, cronSchedule } from "../components/backup/cron";
import { SCHEDULER_SCRIPT } from "../components/backup/scheduler";
import { defaultImages } from "../components/config/images";
import { SQLSERVER_BACKUP_SCRIPT } from "../components/sqlserver/backup-script";
import { RegisteredResource, runStack, StackRun } from "../harness/run-stack";
import { requireTool } from "./helpers/tools";
import { isSecretValue } from "../policies/rules/support/values";

const CONTAINER = "docker:index/container:Container";
const label = (r: RegisteredResource, key: string) => r.inputs.labels?.find((l: any) => l.label === key)?.value;
const env = (r: RegisteredResource) => Object.fromEntries((r.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
const schedulers = (run: StackRun) => run.ofType(CONTAINER).filter((c) => label(c, "llm-platform.role") === "backup");
/** The lines of a scheduler's schedule file: `<task> <when> <command>`. */
const scheduleOf = (c: RegisteredResource): string[] =>
    c.inputs.uploads.find((u: any) => u.file === "/opt/llm-platform/schedule").content.trim().split("\n");

describe("backups on the dev stack (Docker, under mocks)", function () {
    this.timeout(60000);
    let run: StackRun;
    before(async () => {
        run = await runStack("dev");
    });

    it("runs a scheduler per store and kind, with the runbooks' schedules", () => {
        const jobs = Object.fromEntries(schedulers(run).map((c) => [c.name, env(c)]));
        assert.deepEqual(Object.keys(jobs).sort(), ["qdrant-backup-snapshot", "redis-backup-full", "sqlserver-backup-full", "sqlserver-backup-log", "timescale-backup-full"]);
        const backupLine = (name: string) => scheduleOf(run.named(CONTAINER, name)).find((l) => l.startsWith("backup-"));
        assert.equal(backupLine("timescale-backup-full"), "backup-full daily:02:00 sh /opt/llm-platform/backup.sh backup full");
        assert.equal(backupLine("sqlserver-backup-full"), "backup-full daily:02:00 sh /opt/llm-platform/backup.sh backup full");
        assert.equal(backupLine("sqlserver-backup-log"), "backup-log every:60 sh /opt/llm-platform/backup.sh backup log");
        assert.equal(backupLine("qdrant-backup-snapshot"), "backup-snapshot every:60 sh /opt/llm-platform/backup.sh backup snapshot");
        for (const [name, e] of Object.entries(jobs)) {
            // A scheduler that finds no backup yet takes one at start.
            assert.equal(e.FIRST_RUN, `backup-${e.JOB}`, name);
            assert.equal(e.FIRST_RUN_UNLESS, "sh /opt/llm-platform/backup.sh list", name);
        }
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
        const init = run.named(CONTAINER, "sqlserver-settings").inputs.uploads.find((u: any) => u.file === "/tmp/llm-platform-settings.sql").content;
        assert.match(init, /IF \(SELECT recovery_model_desc FROM sys\.databases WHERE name = N'llm'\) <> N'FULL'\s+ALTER DATABASE \[llm\] SET RECOVERY FULL;/);
    });

    it("labels Ollama with why its volume needs no backup (models download again), which the policy pack accepts", () => {
        assert.match(label(run.named(CONTAINER, "ollama"), "llm-platform.backup-not-needed") ?? "", /models/);
    });

    it("has no backup scheduler when backup.enabled is false, and no scheduler at all without maintenance either", async () => {
        const off = await runStack("dev", { overrides: { "llm-platform:backup": { enabled: false } } });
        assert.deepEqual(schedulers(off), []);
        const none = await runStack("dev", { overrides: { "llm-platform:backup": { enabled: false }, "llm-platform:maintenance": { enabled: false } } });
        assert.deepEqual(none.ofType(CONTAINER).filter((c) => ["backup", "tasks"].includes(label(c, "llm-platform.role"))), []);
        assert.ok(!none.ofType("docker:index/volume:Volume").some((v) => v.inputs.name === "llm-platform-dev-backups"));
    });
});

describe("the scheduler (sh)", function () {
    this.timeout(30000);
    const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), "llm-sched-"));
    const next = (when: string, now: string) => {
        const d = dir();
        fs.writeFileSync(path.join(d, "scheduler.sh"), SCHEDULER_SCRIPT);
        const r = spawnSync("sh", [path.join(d, "scheduler.sh"), "next", when], { encoding: "utf8", env: { PATH: process.env.PATH!, NOW: at(now) } });
        fs.rmSync(d, { recursive: true, force: true });
        assert.equal(r.status, 0, r.stderr);
        return Number(r.stdout.trim());
    };
    const at = (iso: string) => String(Date.parse(iso) / 1000);
    const H = 3600;
    const D = 86400;

    it("waits until the next daily slot in UTC", () => {
        assert.equal(next("daily:02:00", "2026-11-23T01:00:00Z"), H);
        assert.equal(next("daily:02:00", "2026-11-23T02:00:00Z"), D, "just ran: tomorrow");
        assert.equal(next("daily:02:00", "2026-11-23T03:30:00Z"), 22.5 * H);
        assert.equal(next("daily:09:05", "2026-11-23T09:00:00Z"), 300, "leading zeros are not octal");
    });

    it("waits until the next multiple of its period", () => {
        assert.equal(next("every:60", "2026-11-23T10:15:00Z"), 2700);
        assert.equal(next("every:15", "2026-11-23T10:15:00Z"), 900);
    });

    it("waits until the weekday's slot (0 = Sunday, as cron)", () => {
        // 2026-11-23 is a Monday.
        assert.equal(next("weekly:0:03:00", "2026-11-23T01:00:00Z"), 6 * D + 2 * H, "next Sunday");
        assert.equal(next("weekly:1:03:00", "2026-11-23T01:00:00Z"), 2 * H, "today, later");
        assert.equal(next("weekly:1:03:00", "2026-11-23T03:00:00Z"), 7 * D, "just ran: a week on");
        assert.equal(next("weekly:6:23:59", "2026-11-29T00:00:00Z"), 6 * D + 23 * H + 59 * 60, "from Sunday to Saturday");
    });

    it("waits until the day of the month, across months and years and in leap years", () => {
        assert.equal(next("monthly:1:05:00", "2026-11-23T05:00:00Z"), (Date.parse("2026-12-01T05:00:00Z") - Date.parse("2026-11-23T05:00:00Z")) / 1000);
        assert.equal(next("monthly:1:05:00", "2026-12-01T05:00:00Z"), 31 * D, "just ran: 1 January");
        assert.equal(next("monthly:28:00:00", "2028-02-27T12:00:00Z"), 12 * H, "February of a leap year");
        assert.equal(next("monthly:1:00:00", "2028-02-28T00:00:00Z"), 2 * D, "29 February 2028 comes between");
        assert.equal(next("monthly:15:12:30", "2027-01-15T12:29:00Z"), 60);
    });

    it("runs its tasks at their times, one at a time: a late task starts when the one before ends", function () {
        // A fake clock: `date` prints it, the main loop's `sleep` advances it, a task's run advances it too.
        const d = dir();
        const bin = path.join(d, "bin");
        fs.mkdirSync(bin);
        const clock = path.join(d, "clock");
        fs.writeFileSync(clock, at("2026-11-23T01:59:00Z"));
        fs.writeFileSync(path.join(bin, "date"), `#!/bin/sh\ncat ${clock}\n`, { mode: 0o755 });
        // The heartbeat's own sleep (not the main loop's) waits for real; the main loop stops after 4 runs.
        fs.writeFileSync(
            path.join(bin, "sleep"),
            `#!/bin/sh\nif [ "$PPID" != "$MAIN" ]; then exec /bin/sleep 1; fi\n[ "$(wc -l < ${d}/ran)" -ge 4 ] && kill -9 "$MAIN"\necho $(($(cat ${clock}) + $1)) > ${clock}\n`,
            { mode: 0o755 },
        );
        const run = (name: string, seconds: number) => `echo ${name} $(cat ${clock}) >> ${d}/ran; echo $(($(cat ${clock}) + ${seconds})) > ${clock}`;
        fs.writeFileSync(path.join(d, "ran"), "");
        fs.writeFileSync(
            path.join(d, "schedule"),
            [`backup daily:02:00 ${run("backup", 2 * H)}`, `check daily:03:00 ${run("check", 60)}`, `often every:60 ${run("often", 60)}`].join("\n") + "\n",
        );
        fs.writeFileSync(path.join(d, "scheduler.sh"), SCHEDULER_SCRIPT);
        const script = `export MAIN=$$; exec sh ${d}/scheduler.sh`;
        const r = spawnSync("sh", ["-c", script], {
            encoding: "utf8",
            timeout: 25000,
            env: { PATH: `${bin}:${process.env.PATH}`, SCHEDULE_FILE: path.join(d, "schedule"), HEARTBEAT: path.join(d, "heartbeat"), STORE: "s" },
        });
        const ran = fs.readFileSync(path.join(d, "ran"), "utf8").trim().split("\n").map((l) => l.split(" "));
        fs.rmSync(d, { recursive: true, force: true });
        assert.ok(ran.length >= 4, `${r.stderr}`);
        const iso = (t: string) => new Date(Number(t) * 1000).toISOString().slice(0, 16);
        assert.deepEqual(ran.slice(0, 4).map(([name, t]) => `${name} ${iso(t)}`), [
            // backup and often are both due at 02:00: in the schedule's order.
            "backup 2026-11-23T02:00",
            // The 2-hour backup overran often's 02:00 and check's 03:00: each runs as soon as the one before ends.
            "often 2026-11-23T04:00",
            "check 2026-11-23T04:01",
            // often's next time counts from the end of its run: the next full hour, not the missed ones.
            "often 2026-11-23T05:00",
        ]);
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

        // `latest` with a point in time (npm run restore -- sqlserver --to ...): the newest full backup before it,
        // then the 15-minute logs up to the one that holds it; a full backup taken after the time is not a start.
        made("20261123T031500Z-log", "log");
        made("20261123T034500Z-log", "log");
        made("20261123T060000Z-full", "full");
        const pit = restore(["latest", "2026-11-23T03:30:00"]);
        assert.equal(pit.status, 0, pit.stderr);
        const b = path.join(root, "backups", "sqlserver");
        assert.deepEqual(pit.stdout.split("\n").filter((l) => l.startsWith("RESTORE")), [
            `RESTORE DATABASE [llm] FROM DISK = N'${b}/20261123T020000Z-full/llm.bak' WITH CHECKSUM, REPLACE, NORECOVERY;`,
            `RESTORE LOG [llm] FROM DISK = N'${b}/20261123T030000Z-log/llm.trn' WITH CHECKSUM, NORECOVERY, STOPAT = N'2026-11-23T03:30:00';`,
            `RESTORE LOG [llm] FROM DISK = N'${b}/20261123T031500Z-log/llm.trn' WITH CHECKSUM, NORECOVERY, STOPAT = N'2026-11-23T03:30:00';`,
            `RESTORE LOG [llm] FROM DISK = N'${b}/20261123T034500Z-log/llm.trn' WITH CHECKSUM, NORECOVERY, STOPAT = N'2026-11-23T03:30:00';`,
            "RESTORE DATABASE [llm] WITH RECOVERY;",
        ]);
        const early = restore(["latest", "2026-11-22T01:00:00"]);
        assert.notEqual(early.status, 0);
        assert.match(early.stderr, /no full backup of sqlserver before 2026-11-22T01:00:00/);
        const malformed = restore(["latest", "23/11/2026 03:30"]);
        assert.notEqual(malformed.status, 0);
        assert.match(malformed.stderr, /must be YYYY-MM-DDTHH:MM:SS/);

        fs.writeFileSync(path.join(root, "backups", "sqlserver", "20261123T030000Z-log", "llm.trn"), "tampered");
        const bad = restore(["20261123T020000Z-full"]);
        assert.notEqual(bad.status, 0);
        assert.match(bad.stderr, /llm\.trn does not match its manifest/);
    });
});

describe("backups on the prod stack (Kubernetes CronJobs to S3, under mocks)", function () {
    this.timeout(60000);
    const CRONJOB = "kubernetes:batch/v1:CronJob";
    const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
    const BUCKET_URL = "s3://llm-platform-prod-123456789012-eu-west-1-backups/backups/";
    const podOf = (c: RegisteredResource) => c.inputs.spec.jobTemplate.spec.template;
    const envOf = (container: any) => Object.fromEntries((container.env as any[]).map((e) => [e.name, e.value ?? e.valueFrom]));
    const backupJobs = (r: StackRun) => r.ofType(CRONJOB).filter((c) => c.inputs.metadata.labels["llm-platform.role"] === "backup");
    /** The CronJobs that read or write the bucket: backups, restore templates and drills (maintenance tasks and the migrate steps' templates do not). */
    const backupMachinery = (r: StackRun) => r.ofType(CRONJOB).filter((c) => ["backup", "restore", "drill"].includes(c.inputs.metadata.labels["llm-platform.role"]));
    let run: StackRun;
    before(async () => {
        // Valkey as a StatefulSet (a cluster without ElastiCache), so its in-cluster backup is held here too.
        run = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:redis": { engine: "statefulset" } } });
    });

    it("runs a CronJob per store and kind on the runbooks' schedules, in UTC, one run at a time, bounded", () => {
        const schedules = Object.fromEntries(backupJobs(run).map((c) => [c.name, c.inputs.spec.schedule]));
        // SQL Server's logs every 15 minutes on prod (RPO 15 min).
        assert.deepEqual(schedules, {
            "sqlserver-backup-full": "0 2 * * *",
            "sqlserver-backup-log": "*/15 * * * *",
            "timescale-backup-full": "0 2 * * *",
            "redis-backup-full": "0 2 * * *",
            "qdrant-backup-snapshot": "0 * * * *",
        });
        for (const c of backupJobs(run)) {
            const s = c.inputs.spec;
            assert.equal(s.timeZone, "Etc/UTC");
            assert.equal(s.concurrencyPolicy, "Forbid");
            assert.equal(s.suspend, undefined);
            // Only SQL Server's jobs share a claim; the others' kept Jobs each hold a scratch volume as large as the data.
            assert.deepEqual([s.successfulJobsHistoryLimit, s.failedJobsHistoryLimit], c.name.startsWith("sqlserver-") ? [3, 3] : [1, 3], c.name);
            const periodMinutes = s.schedule === "0 * * * *" ? 60 : s.schedule === "*/15 * * * *" ? 15 : undefined;
            assert.equal(s.startingDeadlineSeconds, periodMinutes ? (periodMinutes * 60) / 2 : 3600);
            assert.equal(s.jobTemplate.spec.activeDeadlineSeconds, periodMinutes ? periodMinutes * 60 : 240 * 60, `${c.name}: a periodic job ends before the next slot`);
            assert.equal(s.jobTemplate.spec.backoffLimit, 2);
            assert.equal(s.jobTemplate.spec.ttlSecondsAfterFinished, 168 * 3600);
            assert.equal(podOf(c).spec.restartPolicy, "Never");
        }
    });

    it("takes the backup with the store's image, then uploads it with the pinned AWS CLI to the backup bucket", () => {
        for (const c of backupJobs(run)) {
            const pod = podOf(c).spec;
            const [backup] = pod.initContainers;
            const [upload] = pod.containers;
            const kind = c.name.split("-").pop();
            assert.deepEqual(backup.command, ["sh", "/opt/llm-platform/backup.sh", "backup", kind]);
            assert.equal(upload.image, defaultImages.awsCli);
            assert.match(upload.image, /^amazon\/aws-cli:2\.37\.\d+$/);
            assert.deepEqual(upload.command, ["sh", "/opt/llm-platform/upload.sh"]);
            const env = envOf(upload);
            assert.equal(env.S3_DESTINATION, BUCKET_URL);
            assert.equal(env.AWS_REGION, "eu-west-1");
            assert.equal(env.JOB, kind);
            assert.equal(env.PUSHGATEWAY_URL !== undefined, run.config.observability.metrics, "the metric is pushed only when metrics are on");
            for (const container of [backup, upload]) {
                assert.ok(container.resources.limits.cpu && container.resources.limits.memory, `${c.name} ${container.name} has limits`);
                assert.ok(container.volumeMounts.some((m: any) => m.name === "backups" && m.mountPath === "/backups"));
            }
            assert.equal(upload.securityContext.readOnlyRootFilesystem, true);
        }
        const redisBackup = podOf(run.named(CRONJOB, "redis-backup-full")).spec;
        assert.equal(redisBackup.initContainers[0].image, run.config.redis.image);
        assert.ok(!redisBackup.volumes.some((v: any) => v.name === "backups" && v.emptyDir), "the dump needs no node disk");
    });

    it("gives every other store's backup and restore pods a scratch claim as large as the data, on the class that deletes its volume", async () => {
        const scratchOf = (name: string) => podOf(run.named(CRONJOB, name)).spec.volumes.find((v: any) => v.name === "backups").ephemeral.volumeClaimTemplate;
        for (const [name, size] of [["redis-backup-full", "20Gi"], ["redis-restore", "20Gi"], ["timescale-backup-full", "500Gi"], ["timescale-restore", "500Gi"]]) {
            const claim = scratchOf(name);
            assert.deepEqual(
                { modes: claim.spec.accessModes, cls: claim.spec.storageClassName, size: claim.spec.resources.requests.storage },
                { modes: ["ReadWriteOnce"], cls: "llm-platform-gp3-scratch", size },
                name,
            );
            assert.equal(claim.metadata.labels["app.kubernetes.io/name"], name.split("-")[0]);
        }
        const [retained, scratch] = ["llm-platform-gp3", "llm-platform-gp3-scratch"].map(
            (n) => run.ofType("kubernetes:storage.k8s.io/v1:StorageClass").find((c) => c.inputs.metadata.name === n)!.inputs,
        );
        assert.equal(retained.reclaimPolicy, "Retain", "the stores' data survives");
        assert.equal(scratch.reclaimPolicy, "Delete", "no volume is left behind after a run");
        assert.deepEqual([scratch.provisioner, scratch.parameters, scratch.volumeBindingMode], [retained.provisioner, retained.parameters, retained.volumeBindingMode]);
        const own = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:kubernetes": { scratchStorageClassName: "team-scratch", createStorageClass: false } } });
        assert.equal(own.ofType("kubernetes:storage.k8s.io/v1:StorageClass").length, 0, "an existing class is used as it is");
        assert.equal(podOf(own.named(CRONJOB, "qdrant-backup-snapshot")).spec.volumes.find((v: any) => v.name === "backups").ephemeral.volumeClaimTemplate.spec.storageClassName, "team-scratch");
    });

    it("runs the jobs as the backup role's ServiceAccount, created after the role, without an API token", () => {
        const account = run.named("kubernetes:core/v1:ServiceAccount", "backup-account").inputs;
        const association = run.named("aws:eks/podIdentityAssociation:PodIdentityAssociation", "aws-backup-role-pod-identity").inputs;
        assert.deepEqual([account.metadata.name, account.metadata.namespace], [association.serviceAccount, association.namespace]);
        assert.equal(account.metadata.annotations, undefined, "Pod Identity needs no annotation");
        assert.equal(account.automountServiceAccountToken, false);
        const role = (c: { inputs: any }) => c.inputs.metadata.labels["llm-platform.role"];
        assert.equal(backupMachinery(run).filter((c) => ["backup", "restore"].includes(role(c))).length, 9, "5 backup and 4 restore CronJobs");
        for (const c of backupMachinery(run)) {
            assert.equal(podOf(c).spec.serviceAccountName, "backup", c.name);
            assert.equal(podOf(c).spec.automountServiceAccountToken, false, "Pod Identity and IRSA project their own tokens");
            assert.ok(c.options.dependsOn.includes("llm-platform:aws:BackupRole::aws-backup-role"), `${c.name} waits for the role and its association`);
        }
    });

    it("with IRSA, names the role on the ServiceAccount its trust policy admits", async () => {
        const irsa = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:redis": { engine: "statefulset" }, "llm-platform:aws": { backupBucket: { identity: "irsa", serviceAccount: "store-backups" } } } });
        const account = irsa.named("kubernetes:core/v1:ServiceAccount", "backup-account").inputs;
        const role = irsa.named("aws:iam/role:Role", "aws-backup-role");
        assert.equal(account.metadata.annotations["eks.amazonaws.com/role-arn"], role.state.arn);
        const [statement] = JSON.parse(role.inputs.assumeRolePolicy).Statement;
        const sub = Object.entries<string[]>(statement.Condition.StringEquals).find(([k]) => k.endsWith(":sub"))![1];
        // Besides the backup jobs' account: the CloudNativePG cluster's own and its point-in-time restore's (tests/cloudnative-pg.test.ts).
        assert.deepEqual(sub, [`system:serviceaccount:${account.metadata.namespace}:${account.metadata.name}`, "system:serviceaccount:llm-platform:timescale", "system:serviceaccount:llm-platform:timescale-pitr"]);
        assert.equal(irsa.named("kubernetes:postgresql.cnpg.io/v1:Cluster", "timescale").inputs.spec.serviceAccountTemplate.metadata.annotations["eks.amazonaws.com/role-arn"], role.state.arn);
        for (const c of backupMachinery(irsa)) assert.equal(podOf(c).spec.serviceAccountName, "store-backups");
        for (const store of ["sqlserver", "timescale"]) {
            assert.equal(irsa.named("kubernetes:batch/v1:Job", `${store}-backup-before-migrate`).inputs.spec.template.spec.serviceAccountName, "store-backups");
        }
        const flows = irsa.named(POLICY, "redis-backup-pods-flows").inputs.spec;
        assert.ok(!flows.egress.some((e: any) => e.to?.[0]?.ipBlock?.cidr === "169.254.170.23/32"), "IRSA needs no Pod Identity agent");
    });

    it("gives SQL Server and its jobs one retained backups volume, the jobs on SQL Server's node", () => {
        const claim = run.named("kubernetes:core/v1:PersistentVolumeClaim", "sqlserver-backups");
        assert.equal(claim.options.retainOnDelete, true);
        assert.equal(claim.inputs.spec.storageClassName, "llm-platform-gp3");
        assert.equal(claim.inputs.spec.resources.requests.storage, "200Gi");
        const sts = run.named("kubernetes:apps/v1:StatefulSet", "sqlserver");
        const pod = sts.inputs.spec.template.spec;
        assert.ok(pod.volumes.some((v: any) => v.name === "backups" && v.persistentVolumeClaim?.claimName === "sqlserver-backups"));
        assert.ok(pod.containers[0].volumeMounts.some((m: any) => m.name === "backups" && m.mountPath === "/backups"));
        assert.ok(sts.options.dependsOn.includes("kubernetes:core/v1:PersistentVolumeClaim::sqlserver-backups"));
        for (const name of ["sqlserver-backup-full", "sqlserver-backup-log", "sqlserver-restore"]) {
            const spec = podOf(run.named(CRONJOB, name)).spec;
            assert.deepEqual(spec.volumes.find((v: any) => v.name === "backups").persistentVolumeClaim, { claimName: "sqlserver-backups" });
            const [term] = spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution;
            assert.equal(term.topologyKey, "kubernetes.io/hostname");
            assert.deepEqual(term.labelSelector.matchLabels, sts.inputs.spec.selector.matchLabels);
            // The image's mssql user, as SQL Server itself: it reads what the job made.
            assert.equal(spec.securityContext.runAsUser, pod.securityContext.runAsUser);
        }
        const env = envOf(podOf(run.named(CRONJOB, "sqlserver-backup-log")).spec.initContainers[0]);
        assert.equal(env.KEEP_UNTIL_UPLOADED, "1", "nothing leaves the volume before it is in the bucket");
        assert.equal(env.RETENTION_DAYS, "1");
        const backupClaims = run.ofType("kubernetes:core/v1:PersistentVolumeClaim").filter((c) => c.name.includes("backup"));
        assert.deepEqual(backupClaims.map((c) => c.name), ["sqlserver-backups"], "the other stores' backup claims live with their job pods");
    });

    it("passes the stores' credentials through Secrets, as the stack generated them", () => {
        const env = envOf(podOf(run.named(CRONJOB, "timescale-backup-full")).spec.initContainers[0]);
        assert.deepEqual(env.PGPASSWORD, { secretKeyRef: { name: "timescale-backup-full-env", key: "PGPASSWORD" } });
        const secret = run.named("kubernetes:core/v1:Secret", "timescale-backup-full-env");
        assert.equal(secret.inputs.stringData.PGPASSWORD, run.outputs.credentials.timescalePassword);
        assert.ok(isSecretValue(secret.rawInputs.stringData.PGPASSWORD) || isSecretValue(secret.rawInputs.stringData));
    });

    it("lets backup pods reach only their store, S3 over HTTPS (the VPC's endpoints too), the Pod Identity agent and DNS; the store admits them", () => {
        /** What an egress rule opens, in words: the pods of a service, or an address block with its ports. */
        const opens = (rule: any) => {
            const [to] = rule.to;
            // A CloudNativePG cluster's pods by the operator's label (components/platform/kubernetes/cloudnative-pg.ts clusterPods).
            if (to.podSelector) return `service ${to.podSelector.matchLabels["app.kubernetes.io/name"] ?? to.podSelector.matchLabels["cnpg.io/cluster"]}`;
            const blocks = rule.to.map((t: any) => `${t.ipBlock.cidr}${t.ipBlock.except ? ` except ${t.ipBlock.except.join(",")}` : ""}`).join(" ");
            return `${blocks} ${rule.ports.map((p: any) => `${p.protocol}/${p.port}`).join(",")}`;
        };
        const pushgateway = run.config.observability.metrics ? ["service pushgateway"] : [];
        for (const store of ["sqlserver", "timescale", "redis", "qdrant"]) {
            for (const role of ["backup", "restore"]) {
                const spec = run.named(POLICY, `${store}-${role}-pods-flows`).inputs.spec;
                assert.deepEqual(spec.podSelector.matchLabels, { "app.kubernetes.io/name": store, "llm-platform.role": role });
                assert.deepEqual(spec.ingress, [], "nothing may reach them");
                assert.deepEqual(spec.egress.map(opens), [
                    `service ${store}`,
                    ...pushgateway,
                    "0.0.0.0/0 except 10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,169.254.0.0/16,100.64.0.0/10 TCP/443",
                    "169.254.170.23/32 TCP/80",
                    // The VPC's CIDRs (aws.ec2.getVpc): S3 and STS interface endpoints answer there under private DNS.
                    "10.0.0.0/16 100.64.0.0/16 TCP/443",
                ]);
            }
            const storeFlows = run.named(POLICY, `${store}-flows`).inputs.spec;
            const admitted = storeFlows.ingress[0].from[0].podSelector.matchLabels;
            for (const c of run.ofType(CRONJOB).filter((j) => j.inputs.metadata.labels["app.kubernetes.io/name"] === store)) {
                const labels = podOf(c).metadata.labels;
                for (const [k, v] of Object.entries(admitted)) assert.equal(labels[k], v, `${c.name} is admitted by ${store}`);
            }
        }
    });

    it("pushes the last-success metric to the Pushgateway when metrics are on, and may reach it", async () => {
        const metrics = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:observability": { metrics: true, logs: false } } });
        for (const c of backupJobs(metrics)) {
            assert.equal(envOf(podOf(c).spec.containers[0]).PUSHGATEWAY_URL, "http://pushgateway.llm-platform.svc.cluster.local:9091");
            assert.equal(podOf(c).metadata.labels["talks-to.llm-platform/pushgateway"], "true");
        }
        const egress = metrics.named(POLICY, "qdrant-backup-pods-flows").inputs.spec.egress;
        assert.ok(egress.some((e: any) => e.to?.[0]?.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "pushgateway"));
    });

    it("annotates Ollama's StatefulSet with why it needs no backup job, and none of the stores", () => {
        const annotated = run.ofType("kubernetes:apps/v1:StatefulSet").filter((s) => s.inputs.metadata.annotations?.["llm-platform.backup-not-needed"]);
        assert.ok(annotated.some((s) => s.name === "ollama"));
        for (const store of ["sqlserver", "timescale", "redis", "qdrant"]) assert.ok(!annotated.some((s) => s.name === store), store);
    });

    it("keeps a suspended restore Job template per store: download and verify, then the store's restore", () => {
        const restores = run.ofType(CRONJOB).filter((c) => c.inputs.metadata.labels["llm-platform.role"] === "restore");
        assert.deepEqual(restores.map((c) => c.name).sort(), ["qdrant-restore", "redis-restore", "sqlserver-restore", "timescale-restore"]);
        for (const c of restores) {
            assert.equal(c.inputs.spec.suspend, true, "never runs on its own");
            const pod = podOf(c).spec;
            const [download] = pod.initContainers;
            const [restore] = pod.containers;
            assert.equal(download.image, defaultImages.awsCli);
            assert.deepEqual(download.command, ["sh", "/opt/llm-platform/download.sh"]);
            assert.equal(envOf(download).BACKUP_ID, "latest");
            // Backups older than transitionToGlacierDays are in GLACIER: restored in this tier first, the Job
            // waiting as long as its slowest tier takes (Bulk: 12 hours) on top of the download and restore.
            assert.deepEqual([envOf(download).RESTORE_TIER, envOf(download).RESTORE_DAYS, envOf(download).RESTORE_POLL_SECONDS], ["Standard", "3", "600"]);
            assert.equal(c.inputs.spec.jobTemplate.spec.activeDeadlineSeconds, 240 * 60 + 12 * 3600, c.name);
            assert.match(restore.command.join(" "), /backup\.sh restore "\$\(cat \/backups\/\.restore-id\)"/);
            assert.equal(c.inputs.spec.jobTemplate.spec.backoffLimit, 0, "a failed restore is looked at, not retried");
        }
        const sql = envOf(podOf(run.named(CRONJOB, "sqlserver-restore")).spec.initContainers[0]);
        assert.deepEqual([sql.RESTORE_KIND, sql.CHAIN_KINDS], ["full", "log"]);
        const redis = podOf(run.named(CRONJOB, "redis-restore")).spec;
        assert.deepEqual(redis.volumes.find((v: any) => v.persistentVolumeClaim?.claimName === "data-redis-0")?.name, "service-data");
        assert.ok(redis.containers[0].volumeMounts.some((m: any) => m.name === "service-data" && m.mountPath === "/data"), "Valkey's restore writes its data volume");
        const server = run.named("kubernetes:apps/v1:StatefulSet", "redis").inputs.spec.template.spec.containers[0];
        assert.deepEqual(redis.containers[0].resources, server.resources, "its temporary server loads the whole dataset, in the stopped server's room");
        assert.ok(!podOf(run.named(CRONJOB, "timescale-restore")).spec.volumes.some((v: any) => v.persistentVolumeClaim), "TimescaleDB restores over the network");
    });

    it("takes a backup id and option through the jq edit in docs/backups.md of the Job kubectl makes from the template", function () {
        const jq = requireTool(this, "jq", "jq");
        const readme = fs.readFileSync(path.join(__dirname, "..", "docs", "backups.md"), "utf8");
        const program = /\| jq '([^']+)'/.exec(readme.slice(readme.indexOf("**Restore on Kubernetes.**")))![1];
        // What `kubectl create job --from=cronjob/...` makes: the CronJob's jobTemplate as a Job.
        const template = run.named(CRONJOB, "sqlserver-restore").inputs.spec.jobTemplate;
        const job = { apiVersion: "batch/v1", kind: "Job", metadata: { name: "sqlserver-restore-0930", ...template.metadata }, spec: template.spec };
        const r = spawnSync(jq, [program], { input: JSON.stringify(job), encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        const edited = JSON.parse(r.stdout).spec.template.spec;
        assert.equal(envOf(edited.initContainers[0]).BACKUP_ID, "20261123T020000Z-full", "the download fetches that backup");
        assert.equal(envOf(edited.containers[0]).RESTORE_TO, "2026-11-23T09:30:00", "the restore stops there");
        assert.deepEqual(envOf(edited.containers[0]).SQLCMDPASSWORD, envOf(template.spec.template.spec.containers[0]).SQLCMDPASSWORD, "the rest is untouched");
    });
});

describe("backup schedules as cron expressions (Kubernetes)", () => {
    it("runs daily at the UTC time, and periods on the same grid as the Docker scheduler", () => {
        assert.equal(cronSchedule({ dailyAtUtc: "02:00" }), "0 2 * * *");
        assert.equal(cronSchedule({ dailyAtUtc: "09:05" }), "5 9 * * *", "no leading zeros, no octal");
        assert.equal(cronSchedule({ everyMinutes: 15 }), "*/15 * * * *");
        assert.equal(cronSchedule({ everyMinutes: 60 }), "0 * * * *");
        assert.equal(cronSchedule({ everyMinutes: 360 }), "0 */6 * * *");
        assert.equal(cronSchedule({ everyMinutes: 1440 }), "0 0 * * *");
    });

    it("refuses a period cron would run at uneven gaps", () => {
        for (const n of [7, 45, 90, 300, 1000]) assert.throws(() => cronSchedule({ everyMinutes: n }), /must divide an hour/, String(n));
        for (const n of [5, 10, 20, 30, 120, 480, 720]) assert.equal(cronPeriodProblem(n), undefined, String(n));
    });
});
