/**
 * Every scheduled task (maintenance and restore drills) on both platforms under mocks: on
 * Docker in a scheduler's schedule with its time, inside a limited container, reporting to
 * node-exporter's textfile directory; on Kubernetes as a CronJob with the same time in cron,
 * limits on every container, and its outcome pushed to the Pushgateway.
 */
import assert from "node:assert/strict";
import { memoryQuantity } from "../components/platform/kubernetes/quantities";
import { RegisteredResource, runStack, StackRun } from "../harness/run-stack";

const CONTAINER = "docker:index/container:Container";
const CRONJOB = "kubernetes:batch/v1:CronJob";
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const label = (r: RegisteredResource, key: string) => r.inputs.labels?.find((l: any) => l.label === key)?.value;
const scheduleOf = (c: RegisteredResource): string[] =>
    (c.inputs.uploads.find((u: any) => u.file === "/opt/llm-platform/schedule")?.content ?? "").trim().split("\n").filter(Boolean);
const envOf = (c: { env?: { name: string; value?: string }[] }) => Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));

/** Every task of the default config: store, task, Docker's `when`, cron, severity of a failure. */
const TASKS = [
    ["sqlserver", "checkdb", "weekly:0:03:00", "0 3 * * 0", "critical"],
    ["sqlserver", "indexes", "weekly:0:04:00", "0 4 * * 0", "warning"],
    ["sqlserver", "restore-drill", "monthly:1:05:00", "0 5 1 * *", "critical"],
    ["timescale", "analyze", "daily:03:30", "30 3 * * *", "warning"],
    ["timescale", "bloat-check", "daily:03:45", "45 3 * * *", "warning"],
    ["timescale", "restore-drill", "monthly:1:05:00", "0 5 1 * *", "critical"],
    ["redis", "restore-drill", "monthly:1:05:00", "0 5 1 * *", "critical"],
    ["qdrant", "optimize", "daily:04:30", "30 4 * * *", "warning"],
    ["qdrant", "restore-drill", "monthly:1:05:00", "0 5 1 * *", "critical"],
] as const;

describe("scheduled tasks on Docker (dev, under mocks)", function () {
    this.timeout(120000);
    let run: StackRun;
    before(async () => {
        run = await runStack("dev");
    });

    it("runs every task in its store's backup scheduler, at its time, reporting its outcome", () => {
        const days = 86400;
        for (const [store, task, when, , severity] of TASKS) {
            const scheduler = run.ofType(CONTAINER).find((c) => label(c, "llm-platform.service") === store && (label(c, "llm-platform.tasks") ?? "").split(".").includes(task));
            assert.ok(scheduler, `${store} ${task} has a scheduler`);
            assert.equal(label(scheduler!, "llm-platform.role"), "backup", `${task} shares ${store}'s backup scheduler`);
            const line = scheduleOf(scheduler!).find((l) => l.startsWith(`${task} `));
            assert.ok(line, `${task} in ${scheduler!.name}'s schedule`);
            const maxAge = { weekly: 8 * days, monthly: 32 * days, daily: 1.5 * days }[when.split(":")[0] as "weekly" | "monthly" | "daily"];
            assert.equal(
                line,
                `${task} ${when} TASK=${task} TASK_ON_FAILURE=${severity} TASK_MAX_AGE_SECONDS=${maxAge} TASK_METRICS_DIR=/backups/metrics sh /opt/llm-platform/run-task.sh sh ` +
                    (task === "restore-drill" ? "/opt/llm-platform/backup.sh drill latest" : `/opt/llm-platform/tasks/${task}.sh`),
            );
            assert.ok(scheduler!.inputs.memory > 0 && Number(scheduler!.inputs.cpus) > 0, `${scheduler!.name} is limited`);
            assert.ok(scheduler!.inputs.uploads.some((u: any) => u.file === "/opt/llm-platform/run-task.sh"));
        }
        // node-exporter serves the reports for the ScheduledTask alerts.
        assert.ok(run.named(CONTAINER, "node-exporter").inputs.command.includes("--collector.textfile.directory=/backups/metrics"));
        // The tasks of a store run where its first backup runs: the log scheduler and the others carry none.
        assert.equal(label(run.named(CONTAINER, "sqlserver-backup-log"), "llm-platform.tasks"), undefined);
    });

    it("takes the tasks' settings from the config", async () => {
        const custom = await runStack("dev", {
            overrides: {
                "llm-platform:maintenance": { sqlserverIntegrityCheck: "daily 01:15", indexRebuildPercent: 40, qdrantOptimize: "off", postgresBloatCheck: "weekly sat 22:00" },
                "llm-platform:backup": { drill: "monthly 15 06:30" },
            },
        });
        const lines = custom.ofType(CONTAINER).flatMap(scheduleOf);
        assert.ok(lines.some((l) => l.startsWith("checkdb daily:01:15 ")));
        assert.ok(lines.some((l) => l.startsWith("bloat-check weekly:6:22:00 ")));
        assert.ok(!lines.some((l) => l.startsWith("optimize ")), "off");
        assert.equal(lines.filter((l) => l.startsWith("restore-drill monthly:15:06:30 ")).length, 4);
        const sql = custom.named(CONTAINER, "sqlserver-backup-full");
        assert.ok((sql.inputs.envs as string[]).includes("REBUILD_PERCENT=40"));
    });

    it("without backups, runs the maintenance in a `<store>-tasks` scheduler of its own, and no drill", async () => {
        const off = await runStack("dev", { overrides: { "llm-platform:backup": { enabled: false } } });
        const schedulers = off.ofType(CONTAINER).filter((c) => label(c, "llm-platform.role") === "tasks");
        assert.deepEqual(schedulers.map((c) => c.name).sort(), ["qdrant-tasks", "sqlserver-tasks", "timescale-tasks"]);
        for (const c of schedulers) {
            assert.ok(!scheduleOf(c).some((l) => l.startsWith("restore-drill ")));
            assert.ok(c.inputs.volumes.some((v: any) => v.containerPath === "/backups"), "reports on the volume node-exporter reads");
            assert.match(c.inputs.healthcheck.tests.join(" "), /\/backups\/\.heartbeat\/\w+-tasks -mmin -2/);
        }
        assert.ok(off.named(CONTAINER, "node-exporter").inputs.command.includes("--collector.textfile.directory=/backups/metrics"));
    });

    it("runs nothing scheduled with maintenance off and drills off", async () => {
        const none = await runStack("dev", { overrides: { "llm-platform:maintenance": { enabled: false }, "llm-platform:backup": { drill: "off" } } });
        assert.deepEqual(none.ofType(CONTAINER).flatMap(scheduleOf).filter((l) => !l.startsWith("backup-")), []);
    });
});

describe("scheduled tasks on Kubernetes (prod, under mocks)", function () {
    this.timeout(120000);
    let run: StackRun;
    before(async () => {
        // Valkey as a StatefulSet (prod's file chooses ElastiCache, whose snapshots need no drill here): its drill is held too.
        run = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:redis": { engine: "statefulset" } } });
    });
    const pod = (c: RegisteredResource) => c.inputs.spec.jobTemplate.spec.template;

    it("runs every task as a CronJob at the same time in cron (UTC), bounded, with limits on every container", () => {
        for (const [store, task, , cron] of TASKS) {
            const job = run.named(CRONJOB, `${store}-${task}`);
            const s = job.inputs.spec;
            assert.deepEqual([s.schedule, s.timeZone, s.concurrencyPolicy], [cron, "Etc/UTC", "Forbid"], job.name);
            assert.equal(s.jobTemplate.spec.backoffLimit, 0, "a failed task waits for its next time");
            assert.ok(s.jobTemplate.spec.activeDeadlineSeconds > 0 && s.jobTemplate.spec.activeDeadlineSeconds <= 240 * 60);
            for (const c of [...(pod(job).spec.initContainers ?? []), ...pod(job).spec.containers]) {
                assert.ok(c.resources.limits.cpu && c.resources.limits.memory, `${job.name} ${c.name} is limited`);
            }
            assert.equal(pod(job).spec.automountServiceAccountToken, false);
        }
        // The Valkey drill's scratch server holds the data: Valkey's own limits.
        const valkey = pod(run.named(CRONJOB, "redis-restore-drill")).spec.initContainers.find((c: any) => c.name === "drill");
        assert.equal(valkey.resources.limits.memory, memoryQuantity(run.config.redis.memoryMb));
    });

    it("reports every run's outcome to the Pushgateway with the task's labels, and may reach it and its store only", () => {
        for (const [store, task, , , severity] of TASKS) {
            const job = run.named(CRONJOB, `${store}-${task}`);
            const spec = pod(job).spec;
            const runner = spec.initContainers.find((c: any) => c.name === (task === "restore-drill" ? "drill" : "task"));
            const env = envOf(runner);
            assert.deepEqual([env.STORE, env.TASK, env.TASK_ON_FAILURE, env.TASK_EXIT_ZERO], [store, task, severity, "1"], job.name);
            assert.match(runner.command.join(" "), /run-task\.sh sh /);
            const report = spec.containers.find((c: any) => c.name === "report");
            assert.equal(envOf(report).PUSHGATEWAY_URL, "http://pushgateway.llm-platform.svc.cluster.local:9091");
            const labels = pod(job).metadata.labels;
            assert.equal(labels[`talks-to.llm-platform/${store}`], "true");
            assert.equal(labels["talks-to.llm-platform/pushgateway"], "true");
        }
        const flows = run.named(POLICY, "sqlserver-checkdb-flows").inputs.spec;
        assert.deepEqual(flows.ingress, [], "nothing calls a task");
        assert.deepEqual(
            flows.egress.map((e: any) => e.to[0].podSelector.matchLabels["app.kubernetes.io/name"]).sort(),
            ["pushgateway", "sqlserver"],
        );
    });

    it("drills restore what the download fetched from the bucket, as the backup role, on the store's backups volume", () => {
        for (const store of ["sqlserver", "timescale", "redis", "qdrant"]) {
            const spec = pod(run.named(CRONJOB, `${store}-restore-drill`)).spec;
            assert.deepEqual(spec.initContainers.map((c: any) => c.name), ["download", "drill"]);
            assert.equal(spec.serviceAccountName, "backup");
            assert.match(spec.initContainers[0].command.join(" "), /rm -f \/backups\/\.restore-id; sh \/opt\/llm-platform\/download\.sh/);
            assert.match(spec.initContainers[1].command.join(" "), /drill "\$\(cat \/backups\/\.restore-id/);
            assert.equal(envOf(spec.initContainers[0]).BACKUP_ID, "latest");
        }
        // SQL Server restores the copy itself: the download lands on the volume it shares with its jobs.
        const sql = pod(run.named(CRONJOB, "sqlserver-restore-drill")).spec;
        assert.ok(sql.volumes.some((v: any) => v.persistentVolumeClaim?.claimName === "sqlserver-backups"));
        assert.ok(sql.affinity.podAffinity, "on SQL Server's node");
    });

    it("has no task CronJob with maintenance off, and no drill with backup.drill off", async () => {
        const off = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:maintenance": { enabled: false }, "llm-platform:backup": { drill: "off" } } });
        assert.deepEqual(off.ofType(CRONJOB).filter((c) => ["task", "drill"].includes(c.inputs.metadata.labels["llm-platform.role"])), []);
    });
});
