/**
 * What jobs push and where: the metric names backups and scheduled tasks report, and the
 * Pushgateway's address on Kubernetes. The jobs (components/backup/*, the platforms' job pods)
 * write them and observability serves and alerts on them, so they live below both.
 */

/** Backup jobs expose this per store (Unix time of the last good backup); the alert is silent until they do. */
export const BACKUP_METRIC = "llm_platform_backup_last_success_timestamp_seconds";

/**
 * Where backup jobs on Kubernetes report their last success, for BackupTooOld. A job pushes
 *   <BACKUP_METRIC> <unix seconds>
 * with `PUT http://pushgateway:9091/metrics/job/llm-platform-backup/store/<store>/kind/<kind>`
 * (components/backup/transfer.ts); its pod carries the talks-to label of
 * PUSHGATEWAY.service (flows.ts `talksToLabel`), which the Pushgateway's NetworkPolicy admits.
 */
export const PUSHGATEWAY = {
    service: "pushgateway",
    port: 9091,
    /** The grouping key's job: every backup pushes under it, one group per store and kind. */
    backupJob: "llm-platform-backup",
    metric: BACKUP_METRIC,
} as const;

/** What scheduled tasks (maintenance, restore drills) report; see components/backup/task-runner.ts. */
export const TASK_METRICS = {
    lastRun: "llm_platform_task_last_run_timestamp_seconds",
    lastSuccess: "llm_platform_task_last_success_timestamp_seconds",
    /** 1 when the last run succeeded, 0 when it failed; labelled `on_failure` with the severity its failure deserves. */
    lastRunOk: "llm_platform_task_last_run_ok",
    /** How old the last success may get before the task counts as overdue (its period plus a grace). */
    maxAge: "llm_platform_task_max_age_seconds",
} as const;
