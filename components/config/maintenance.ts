import { z } from "zod";
import { scheduleText } from "./schedule";

const percent = (value: number) => z.number().positive().max(100).default(value);

/**
 * `maintenance`: the stores' upkeep on a schedule (the runbooks' weekly and daily checklists).
 * Each schedule is a UTC `daily|weekly|monthly` text or `off` (components/config/schedule.ts).
 */
export const maintenanceSchema = z
    .strictObject({
        enabled: z.boolean().default(true),
        /** SQL Server: DBCC CHECKDB of the application database. */
        sqlserverIntegrityCheck: scheduleText.prefault("weekly sun 03:00"),
        /** SQL Server: indexes reorganized or rebuilt by their fragmentation. */
        sqlserverIndexes: scheduleText.prefault("weekly sun 04:00"),
        indexReorganizePercent: percent(10),
        indexRebuildPercent: percent(30),
        /** Smaller indexes are left alone: their fragmentation costs nothing. */
        indexMinPages: z.number().int().min(1).default(1000),
        /** TimescaleDB: ANALYZE of the database. */
        postgresAnalyze: scheduleText.prefault("daily 03:30"),
        /** TimescaleDB: fails (and alerts) when a table's dead rows exceed bloatPercent of it. */
        postgresBloatCheck: scheduleText.prefault("daily 03:45"),
        bloatPercent: percent(20),
        /** Tables with fewer dead rows are not reported, whatever their share. */
        bloatMinDeadRows: z.number().int().min(0).default(10000),
        /** Qdrant: optimizations of the collection triggered and waited for. */
        qdrantOptimize: scheduleText.prefault("daily 04:30"),
        /** The longest a maintenance run may take before it is stopped (and reported failed). */
        deadlineMinutes: z.number().int().min(5).max(1440).default(240),
    })
    .prefault({});

export type MaintenanceConfig = z.output<typeof maintenanceSchema>;

type Issue = (path: (string | number)[], message: string) => void;

export function checkMaintenanceConfig(c: { maintenance: MaintenanceConfig }, issue: Issue) {
    const m = c.maintenance;
    if (m.indexReorganizePercent >= m.indexRebuildPercent) {
        issue(["maintenance", "indexReorganizePercent"], `must be below maintenance.indexRebuildPercent (${m.indexRebuildPercent}): less fragmented indexes are reorganized, more fragmented ones rebuilt`);
    }
}
