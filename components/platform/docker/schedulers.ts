import { overdueAfterSeconds, schedulerWhen } from "../../backup/cron";
import { BACKUP_ROOT, BACKUP_SCRIPT_PATH, heartbeatPath, renderSchedule, SCHEDULE_PATH, SCHEDULER_PATH, SCHEDULER_SCRIPT, SchedulerEntry, schedulerHealthCommand } from "../../backup/scheduler";
import { TASK_RUNNER_PATH, TASK_RUNNER_SCRIPT } from "../../backup/task-runner";
import { BackupJob, Env, Resources, ScheduledTask, ServiceFile, ServiceSpec } from "../types";

/** Where node-exporter's textfile collector reads the schedulers' reports (on the backups volume). */
export const TEXTFILE_DIR = `${BACKUP_ROOT}/metrics`;

/** A scheduler container of a service: what it runs, in which image, with what. */
export interface Scheduler {
    /** `backup-<kind>` or `tasks`: the container is `<service>-<name>`. */
    readonly name: string;
    readonly image: string;
    readonly resources: Resources;
    readonly env: Env;
    readonly secretEnv: Env;
    readonly files: ServiceFile[];
    readonly entrypoint: string[];
    readonly healthCheck: string[];
    readonly labels: Record<string, string>;
    /** A restore of its backup writes the service's volumes (Valkey): it mounts them. */
    readonly writesServiceVolumes: boolean;
}

const taskScriptPath = (task: ScheduledTask) => `/opt/llm-platform/tasks/${task.name}.sh`;

/** The schedule line of a task: run by run-task.sh, which reports its outcome to node-exporter. */
function taskEntry(task: ScheduledTask): SchedulerEntry {
    const script = task.restoresBackup ? `${BACKUP_SCRIPT_PATH} drill latest` : taskScriptPath(task);
    const report = `TASK=${task.name} TASK_ON_FAILURE=${task.failureSeverity} TASK_MAX_AGE_SECONDS=${overdueAfterSeconds(task.schedule)} TASK_METRICS_DIR=${TEXTFILE_DIR}`;
    return { name: task.name, when: schedulerWhen(task.schedule), command: `${report} sh ${TASK_RUNNER_PATH} sh ${script}` };
}

/** Env of several pieces of work in one container: a name may repeat only with the same value. */
function mergeEnv(service: string, what: string, ...envs: (Env | undefined)[]): Env {
    const merged: Record<string, Env[string]> = {};
    for (const env of envs) {
        for (const [key, value] of Object.entries(env ?? {})) {
            if (key in merged && merged[key] !== value) throw new Error(`service ${service}: its scheduled work sets ${what} ${key} twice, differently`);
            merged[key] = value;
        }
    }
    return merged;
}

const larger = (a: Resources, b: Resources): Resources => ({
    cpu: Math.max(a.cpu, b.cpu),
    memoryMb: Math.max(a.memoryMb, b.memoryMb),
    cpuReservation: Math.max(a.cpuReservation, b.cpuReservation),
    memoryReservationMb: Math.max(a.memoryReservationMb, b.memoryReservationMb),
});

/**
 * The Docker schedulers of a service: one per backup kind (as `npm run backup` and `restore`
 * address them), and the service's scheduled tasks inside the scheduler of its first backup
 * with the same image, which already has the store's client, credentials and backups (a drill
 * must run where the backups are). Tasks without such a home share a `<service>-tasks`
 * scheduler. One container per store then runs its maintenance and drills one at a time, after
 * its backup, at no extra memory limit; a task's declared resources size its Kubernetes pod, not
 * this container (the Valkey drill's scratch server shares the scheduler's memory here).
 */
export function schedulersOf(spec: ServiceSpec): Scheduler[] {
    const backups = spec.backups ?? [];
    const tasks = spec.scheduledTasks ?? [];
    const homes = new Map<BackupJob, ScheduledTask[]>(backups.map((b) => [b, []]));
    const homeless: ScheduledTask[] = [];
    for (const task of tasks) {
        const home = backups.find((b) => b.image === task.image);
        if (home) homes.get(home)!.push(task);
        else if (task.restoresBackup) throw new Error(`service ${spec.name}: restore drill ${task.name} has no backup scheduler with its image`);
        else homeless.push(task);
    }
    const schedulers = backups.map((job) => scheduler(spec.name, `backup-${job.name}`, job.image, job.resources, job, homes.get(job)!));
    if (homeless.length > 0) {
        const images = [...new Set(homeless.map((t) => t.image))];
        if (images.length > 1) throw new Error(`service ${spec.name}: its scheduled tasks use ${images.join(" and ")}; one scheduler runs one image`);
        schedulers.push(scheduler(spec.name, "tasks", images[0], homeless.map((t) => t.resources).reduce(larger), undefined, homeless));
    }
    return schedulers;
}

/** The files of the jobs one scheduler runs, once each: a path two of them name must hold the same content (a store's CA). */
function sharedFiles(service: string, lists: (readonly ServiceFile[] | undefined)[]): ServiceFile[] {
    const byPath = new Map<string, ServiceFile>();
    for (const f of lists.flatMap((l) => l ?? [])) {
        const seen = byPath.get(f.path);
        if (seen && (seen.content !== f.content || seen.mode !== f.mode || seen.secret !== f.secret)) {
            throw new Error(`service ${service}: its scheduled jobs want different files at ${f.path}; one scheduler holds one`);
        }
        byPath.set(f.path, f);
    }
    return [...byPath.values()];
}

function scheduler(service: string, name: string, image: string, resources: Resources, backup: BackupJob | undefined, tasks: ScheduledTask[]): Scheduler {
    const heartbeat = heartbeatPath(service, backup ? backup.name : name);
    const entries: SchedulerEntry[] = [
        ...(backup ? [{ name: `backup-${backup.name}`, when: schedulerWhen(backup.schedule), command: `sh ${BACKUP_SCRIPT_PATH} backup ${backup.name}` }] : []),
        ...tasks.map(taskEntry),
    ];
    const files: ServiceFile[] = [
        { path: SCHEDULER_PATH, content: SCHEDULER_SCRIPT, mode: "0755" },
        { path: SCHEDULE_PATH, content: renderSchedule(entries) },
        ...(backup ? [{ path: BACKUP_SCRIPT_PATH, content: backup.script, mode: "0755" }] : []),
        ...(tasks.length > 0 ? [{ path: TASK_RUNNER_PATH, content: TASK_RUNNER_SCRIPT, mode: "0755" }] : []),
        ...tasks.filter((t) => !t.restoresBackup).map((t) => ({ path: taskScriptPath(t), content: t.script, mode: "0755" })),
        ...sharedFiles(service, [backup?.files, ...tasks.map((t) => t.files)]),
    ];
    const base: Env = {
        BACKUP_ROOT,
        STORE: service,
        SCHEDULE_FILE: SCHEDULE_PATH,
        HEARTBEAT: heartbeat,
        ...(backup
            ? { JOB: backup.name, BACKUP_SCRIPT: BACKUP_SCRIPT_PATH, FIRST_RUN: `backup-${backup.name}`, FIRST_RUN_UNLESS: `sh ${BACKUP_SCRIPT_PATH} list` }
            : {}),
    };
    return {
        name,
        image,
        resources,
        env: mergeEnv(service, "env", base, backup?.env, ...tasks.map((t) => t.env)),
        secretEnv: mergeEnv(service, "secret env", backup?.secretEnv, ...tasks.map((t) => t.secretEnv)),
        files,
        entrypoint: ["/bin/sh", SCHEDULER_PATH],
        healthCheck: schedulerHealthCommand(heartbeat),
        labels: {
            "llm-platform.role": backup ? "backup" : "tasks",
            ...(backup ? { "llm-platform.backup-job": backup.name } : {}),
            ...(tasks.length > 0 ? { "llm-platform.tasks": tasks.map((t) => t.name).join(".") } : {}),
            // `npm run restore` stops the service around a restore that writes its volumes.
            ...(backup?.restoreWritesServiceVolumes ? { "llm-platform.restore-stops-service": "true" } : {}),
        },
        writesServiceVolumes: backup?.restoreWritesServiceVolumes ?? false,
    };
}
