import { z } from "zod";
import { cronPeriodProblem, scheduleText } from "./schedule";

const utcTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a UTC time of day as HH:MM, e.g. 02:00");

/** `backup`: schedules and retention of every store's backups (defaults from the runbooks). */
export const backupSchema = z
    .strictObject({
        enabled: z.boolean().default(true),
        /** Full backups of every store, daily. */
        fullDailyAtUtc: utcTime.default("02:00"),
        /** SQL Server log backups between the full ones (point-in-time restore). */
        sqlserverLogEveryMinutes: z.number().int().min(5).max(1440).default(60),
        /** Qdrant snapshots (the vector-search runbook's RPO of one hour). */
        qdrantEveryMinutes: z.number().int().min(5).max(1440).default(60),
        retentionDays: z.number().int().min(1).max(3650).default(30),
        /** The newest complete backups of each store are kept even past the retention. */
        keepLatest: z.number().int().min(1).max(100).default(3),
        /** Kubernetes: the longest a backup or restore Job may run (a periodic backup: at most its period). */
        jobDeadlineMinutes: z.number().int().min(10).max(1440).default(240),
        /** The restore drill: each store's newest backup restored into a scratch target and checked, `monthly 1 05:00` or `off`. */
        drill: scheduleText.prefault("monthly 1 05:00"),
    })
    .prefault({});

export type BackupConfig = z.output<typeof backupSchema>;

type Issue = (path: (string | number)[], message: string) => void;

/** Kubernetes runs backups as CronJobs that upload to the aws object's bucket. */
export function checkBackupConfig(c: { platform: string; backup: BackupConfig; aws?: unknown }, issue: Issue) {
    if (c.platform !== "kubernetes" || !c.backup.enabled) return;
    if (c.aws === undefined) {
        issue(
            ["backup", "enabled"],
            "is true, but on Kubernetes the backup CronJobs upload to the S3 bucket of the aws object, which is not set: " +
                "set the aws object, or set backup.enabled to false and back the stores up by other means",
        );
    }
    for (const key of ["sqlserverLogEveryMinutes", "qdrantEveryMinutes"] as const) {
        const problem = cronPeriodProblem(c.backup[key]);
        if (problem) issue(["backup", key], `is ${c.backup[key]}; on Kubernetes it ${problem}`);
    }
}
