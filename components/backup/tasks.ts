import { BackupJob, Resources, Schedule, ScheduledTask } from "../platform/types";

/** What a maintenance run needs: a client (sqlcmd, psql, curl) talking to its store. */
export const taskResources: Resources = { cpu: 0.5, memoryMb: 256, cpuReservation: 0.05, memoryReservationMb: 32 };

/** The maintenance settings of the stack (`maintenance` config) a service needs. */
export interface MaintenanceSettings {
    readonly enabled: boolean;
    readonly deadlineMinutes: number;
}

interface TaskArgs extends Omit<ScheduledTask, "schedule" | "resources" | "deadlineMinutes"> {
    /** Undefined: the task is off (`off` in the config). */
    readonly schedule: Schedule | undefined;
    readonly resources?: Resources;
}

/** A service's maintenance tasks that are on; none when maintenance is off. */
export function maintenanceTasks(settings: MaintenanceSettings, tasks: readonly TaskArgs[]): ScheduledTask[] {
    if (!settings.enabled) return [];
    return tasks.flatMap(({ schedule, ...t }) =>
        schedule ? [{ ...t, schedule, resources: t.resources ?? taskResources, deadlineMinutes: settings.deadlineMinutes }] : [],
    );
}

/** The backup settings a restore drill needs. */
export interface DrillSettings {
    readonly enabled: boolean;
    /** Undefined: no drill (`backup.drill` is `off`). */
    readonly drill: Schedule | undefined;
    readonly jobDeadlineMinutes: number;
}

/**
 * The restore drill of a store: its backup script's `drill` on the newest backup of the first
 * kind, with that backup's image and credentials. A failed drill is critical: the backups may
 * not restore. `resources`: what the scratch target needs where it runs inside the drill
 * (Valkey's scratch server holds the whole dataset).
 */
export function drillTasks(settings: DrillSettings, backups: readonly BackupJob[], resources: Resources = taskResources): ScheduledTask[] {
    const [first] = backups;
    if (!settings.enabled || !settings.drill || !first) return [];
    return [
        {
            name: "restore-drill",
            schedule: settings.drill,
            image: first.image,
            script: first.script,
            env: { ...first.env, DRILL_KIND: first.name },
            secretEnv: first.secretEnv,
            files: first.files,
            resources,
            failureSeverity: "critical",
            deadlineMinutes: settings.jobDeadlineMinutes,
            restoresBackup: true,
        },
    ];
}
