import { z } from "zod";

const percent = (value: number) => z.number().positive().max(100).default(value);

/**
 * The alerts' thresholds, keys of the `observability` object. Defaults are the runbooks':
 * CPU 70 % warning / 85 % critical, memory 75 / 90, disk 80 / 95; proxy 5xx above 1 %,
 * p95 above 0.5 s; connections above 80 % of the maximum; vector search above 100 ms.
 */
export const alertThresholdsShape = {
    cpuWarningPercent: percent(70),
    cpuCriticalPercent: percent(85),
    memoryWarningPercent: percent(75),
    memoryCriticalPercent: percent(90),
    diskWarningPercent: percent(80),
    diskCriticalPercent: percent(95),
    connectionsPercent: percent(80),
    proxyErrorRatePercent: percent(1),
    proxyLatencyP95Seconds: z.number().positive().max(3600).default(0.5),
    vectorSearchP95Seconds: z.number().positive().max(60).default(0.1),
    backupMaxAgeHours: z.number().int().min(1).max(24 * 90).default(26),
    /** RDS read replicas (the managed-service alarms). */
    replicaLagSeconds: z.number().int().min(1).max(86400).default(60),
};

export type AlertThresholds = { readonly [K in keyof typeof alertThresholdsShape]: z.output<(typeof alertThresholdsShape)[K]> };

type Issue = (path: (string | number)[], message: string) => void;

/** A warning threshold must sit below its critical one, or the warning never comes first. */
export function checkAlertThresholds(t: AlertThresholds, issue: Issue) {
    for (const what of ["cpu", "memory", "disk"] as const) {
        const warning = t[`${what}WarningPercent`];
        const critical = t[`${what}CriticalPercent`];
        if (warning >= critical) {
            issue(["observability", `${what}WarningPercent`], `must be below observability.${what}CriticalPercent (${critical}): the warning comes first`);
        }
    }
}
