import { z } from "zod";

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
    })
    .prefault({});

export type BackupConfig = z.output<typeof backupSchema>;
