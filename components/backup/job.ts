import { BACKUP_SCHEDULER_SIZE } from "../config/presets";
import { BackupJob, BackupSchedule, Env, Resources, ServiceFile } from "../platform/types";

/** The backup settings of the stack (`backup` config). */
export interface BackupSettings {
    readonly enabled: boolean;
    readonly fullDailyAtUtc: string;
    readonly retentionDays: number;
    readonly keepLatest: number;
}

/** A scheduler is small: it sleeps, then streams a dump (its size lives with the presets: the stack's footprint counts it). */
export const backupResources: Resources = BACKUP_SCHEDULER_SIZE;

interface JobArgs {
    readonly name: string;
    readonly schedule?: BackupSchedule;
    readonly image: string;
    readonly script: string;
    readonly env?: Env;
    readonly secretEnv?: Env;
    readonly files?: ServiceFile[];
    readonly serviceWritesBackups?: boolean;
    readonly restoreWritesServiceVolumes?: boolean;
}

/** A store's backup jobs with the stack's retention; none when backups are off. Daily full backups unless a schedule is given. */
export function backupJobs(settings: BackupSettings, jobs: JobArgs[]): BackupJob[] {
    if (!settings.enabled) return [];
    return jobs.map((j) => ({
        ...j,
        schedule: j.schedule ?? { dailyAtUtc: settings.fullDailyAtUtc },
        env: { ...j.env, RETENTION_DAYS: String(settings.retentionDays), KEEP_LATEST: String(settings.keepLatest) },
        resources: backupResources,
    }));
}
