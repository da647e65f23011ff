import { stringify } from "yaml";
import { AlertThresholds } from "../config/alert-thresholds";
import { appServiceName } from "../config/apps";
import { NodeLayout } from "./node-layout";
import { BACKUP_METRIC, TASK_METRICS } from "../pushed-metrics";

// What jobs push is named below both the jobs and these rules (components/pushed-metrics.ts).
export { BACKUP_METRIC, TASK_METRICS };

/** Metrics the log shipper derives from the proxy's JSON access log. */
export const PROXY_REQUESTS_METRIC = "llm_proxy_requests_total";
export const PROXY_DURATION_METRIC = "llm_proxy_request_duration_seconds";

export type Severity = "critical" | "warning" | "none";

export interface AlertRule {
    readonly alert: string;
    readonly expr: string;
    /** Prometheus duration the condition must hold, e.g. "5m"; "0m" fires at once. */
    readonly for: string;
    /** Or taken from a label of the firing series (a task says how serious its failure is). */
    readonly severity: Severity | { readonly fromLabel: string };
    readonly summary: string;
    /** What to look at first: the runbook hint shown in every notification. */
    readonly runbook: string;
    /** More labels on the alert (an app's alerts name the app: one rule per app, each distinct). */
    readonly labels?: Readonly<Record<string, string>>;
}

export interface AlertGroup {
    readonly name: string;
    readonly rules: readonly AlertRule[];
}

export type { AlertThresholds } from "../config/alert-thresholds";

/** A managed database whose CloudWatch metrics the CloudWatch exporter serves (prod on AWS). */
export interface ManagedDatabase {
    /** The DB instance identifier, as CloudWatch's `DBInstanceIdentifier` dimension. */
    readonly identifier: string;
    /** The `max_connections` its parameter group sets. */
    readonly maxConnections: number;
}

/** How long a condition must hold. The runbooks name the proxy's and the connections'; the rest are ours. */
const FOR = {
    proxyErrors: "1m",
    proxyLatency: "2m",
    connections: "1m",
    vectorSearch: "2m",
    cpu: "5m",
    memory: "5m",
    disk: "10m",
} as const;

const DAY = 86400;
const realFs = `fstype!~"tmpfs|overlay|squashfs|nsfs|ramfs"`;
/** Qdrant's search and query endpoints (REST and gRPC), as its /metrics labels them (src/common/metrics.rs, v1.19.0). */
const QDRANT_SEARCH = {
    rest: 'endpoint=~"/collections/.+/points/(search|query)(/batch|/groups)?"',
    grpc: 'endpoint=~"/qdrant\\\\.Points/(Search|Query)(Batch|Groups)?"',
};

/** A warning and a critical alert on the same measure, at two thresholds. */
function twoLevels(
    name: string,
    levels: { warning: number; critical: number },
    rule: (threshold: number) => Omit<AlertRule, "alert" | "severity">,
): AlertRule[] {
    return [
        { alert: `${name}High`, severity: "warning", ...rule(levels.warning) },
        { alert: `${name}Critical`, severity: "critical", ...rule(levels.critical) },
    ];
}

/** The alerts, from the runbooks' thresholds (config keys); the hints name the platform's own commands. */
export function alertGroups(
    t: AlertThresholds,
    layout: Pick<NodeLayout, "inspect" | "containerLabel">,
    managed: { readonly databases?: readonly ManagedDatabase[]; readonly apps?: readonly string[] } = {},
): AlertGroup[] {
    const { inspect, containerLabel: name } = layout;
    const cpu = { warning: t.cpuWarningPercent, critical: t.cpuCriticalPercent };
    const memory = { warning: t.memoryWarningPercent, critical: t.memoryCriticalPercent };
    const disk = { warning: t.diskWarningPercent, critical: t.diskCriticalPercent };
    const groups: AlertGroup[] = [
        {
            name: "llm-platform.availability",
            rules: [
                {
                    alert: "TargetDown",
                    expr: "up == 0",
                    for: "2m",
                    severity: "critical",
                    summary: "{{ $labels.job }} ({{ $labels.instance }}) does not answer Prometheus' scrapes",
                    runbook: `Is it running and healthy? ${inspect.status("{{ $labels.job }}")}, then ${inspect.logs("{{ $labels.job }}")}; an exporter target down means the exporter, not necessarily the service.`,
                },
                {
                    alert: "ProbeFailed",
                    expr: "probe_success == 0",
                    for: "2m",
                    severity: "critical",
                    summary: "{{ $labels.service }} probe {{ $labels.probe }} ({{ $labels.instance }}) fails",
                    runbook: "Blackbox details: Prometheus /probe?debug=true&module=...&target={{ $labels.instance }}; check the service's health endpoint and logs in Kibana.",
                },
                {
                    alert: "CertificateExpiresIn30Days",
                    expr: `probe_ssl_earliest_cert_expiry - time() < 30 * ${DAY}`,
                    for: "10m",
                    severity: "warning",
                    summary: "The certificate served at {{ $labels.instance }} expires in {{ $value | humanizeDuration }}",
                    runbook: "Re-issue it: `pulumi up --refresh` renews certificates within tls.renewBeforeDays of expiry.",
                },
                {
                    alert: "CertificateExpiresIn7Days",
                    expr: `probe_ssl_earliest_cert_expiry - time() < 7 * ${DAY}`,
                    for: "10m",
                    severity: "critical",
                    summary: "The certificate served at {{ $labels.instance }} expires in {{ $value | humanizeDuration }}",
                    runbook: "Renew now: `pulumi up --refresh`; SQL Server's external model calls fail once it has expired.",
                },
            ],
        },
        {
            name: "llm-platform.resources",
            rules: [
                ...twoLevels("HostCpu", cpu, (x) => ({
                    expr: `100 * (1 - avg without (cpu, mode) (rate(node_cpu_seconds_total{mode="idle"}[5m]))) > ${x}`,
                    for: FOR.cpu,
                    summary: `The host's CPUs are {{ $value | printf "%.0f" }}% busy (threshold ${x}%)`,
                    runbook: "Which containers: Grafana › containers and host › Container CPU; lower a service's cpu or move work off the host.",
                })),
                ...twoLevels("ContainerCpu", cpu, (x) => ({
                    // cAdvisor reports usage per `cpu` ("total" unless per-CPU metrics are on) and the CFS quota per container.
                    expr:
                        `100 * sum without (cpu) (rate(container_cpu_usage_seconds_total{${name}!=""}[5m])) / on (id, instance) group_left () ` +
                        `(container_spec_cpu_quota{${name}!=""} / (container_spec_cpu_period{${name}!=""} > 0)) > ${x}`,
                    for: FOR.cpu,
                    summary: `Container {{ $labels.${name} }} uses {{ $value | printf "%.0f" }}% of its CPU limit (threshold ${x}%)`,
                    runbook: "Raise <service>.cpu, or find what keeps it busy; at 100% the kernel throttles it.",
                })),
                ...twoLevels("ContainerMemory", memory, (x) => ({
                    expr: `100 * container_memory_working_set_bytes{${name}!=""} / (container_spec_memory_limit_bytes{${name}!=""} > 0) > ${x}`,
                    for: FOR.memory,
                    summary: `Container {{ $labels.${name} }} uses {{ $value | printf "%.0f" }}% of its memory limit (threshold ${x}%)`,
                    runbook: "Raise <service>.memoryMb (the derived settings follow) or find the leak; the kernel kills it at 100%.",
                })),
                ...twoLevels("HostMemory", memory, (x) => ({
                    expr: `100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) > ${x}`,
                    for: FOR.memory,
                    summary: `The host's memory is {{ $value | printf "%.0f" }}% used (threshold ${x}%)`,
                    runbook: "Sum of the stack's limits vs the host: `npm run bench`; the `small` preset or observability.logs=false frees the most.",
                })),
                ...twoLevels("HostDisk", disk, (x) => ({
                    expr: `100 * (1 - node_filesystem_avail_bytes{${realFs}} / node_filesystem_size_bytes{${realFs}}) > ${x}`,
                    for: FOR.disk,
                    summary: `Disk {{ $labels.mountpoint }} is {{ $value | printf "%.0f" }}% full (threshold ${x}%)`,
                    runbook: `${inspect.disk}; data volumes are kept on purpose.`,
                })),
                {
                    alert: "HostDiskFullIn24Hours",
                    expr: `predict_linear(node_filesystem_avail_bytes{${realFs}}[6h], ${DAY}) < 0 and node_filesystem_avail_bytes{${realFs}} > 0`,
                    for: "30m",
                    severity: "critical",
                    summary: "Disk {{ $labels.mountpoint }} fills up within 24 hours at the current rate",
                    runbook: `Find what grows: model pulls, database volumes, container logs (${inspect.logCap}); free space before it reaches 0.`,
                },
            ],
        },
        {
            name: "llm-platform.datastores",
            rules: [
                {
                    alert: "PostgresConnectionsHigh",
                    expr: `100 * sum by (service) (pg_stat_activity_count) / max by (service) (pg_settings_max_connections) > ${t.connectionsPercent}`,
                    for: FOR.connections,
                    severity: "warning",
                    summary: `{{ $labels.service }} uses {{ $value | printf "%.0f" }}% of max_connections (threshold ${t.connectionsPercent}%)`,
                    runbook: "Which clients hold them: `SELECT application_name, state, count(*) FROM pg_stat_activity GROUP BY 1, 2`; use a pool.",
                },
                {
                    alert: "SqlServerConnectionsHigh",
                    expr: `100 * sum by (service) (mssql_user_connections) / max by (service) (mssql_max_connections) > ${t.connectionsPercent}`,
                    for: FOR.connections,
                    severity: "warning",
                    summary: `{{ $labels.service }} uses {{ $value | printf "%.0f" }}% of its connections (threshold ${t.connectionsPercent}%)`,
                    runbook: "`SELECT program_name, COUNT(*) FROM sys.dm_exec_sessions WHERE is_user_process = 1 GROUP BY program_name`.",
                },
                {
                    alert: "RedisMemoryNearMaxmemory",
                    expr: `100 * redis_memory_used_bytes / (redis_memory_max_bytes > 0) > ${t.memoryCriticalPercent}`,
                    for: FOR.memory,
                    severity: "warning",
                    summary: `{{ $labels.service }} uses {{ $value | printf "%.0f" }}% of maxmemory (threshold ${t.memoryCriticalPercent}%)`,
                    runbook: "Evictions follow redis.evictionPolicy; raise redis.memoryMb (maxmemory is 75% of it) or shorten TTLs.",
                },
                {
                    alert: "QdrantSearchLatencyHigh",
                    expr:
                        "histogram_quantile(0.95, sum by (le, service) (" +
                        `rate(rest_responses_duration_seconds_bucket{${QDRANT_SEARCH.rest}}[5m]) or rate(grpc_responses_duration_seconds_bucket{${QDRANT_SEARCH.grpc}}[5m])` +
                        `)) > ${t.vectorSearchP95Seconds}`,
                    for: FOR.vectorSearch,
                    severity: "warning",
                    summary: `Qdrant's p95 search time is {{ $value | humanizeDuration }} (threshold ${t.vectorSearchP95Seconds * 1000} ms)`,
                    runbook: "Optimizer still running (collection status yellow)? Memory short of the index (container memory)? Raise qdrant.hnswEfConstruct only with care: it slows indexing.",
                },
                {
                    alert: "ElasticsearchClusterRed",
                    expr: 'elasticsearch_cluster_health_status{color="red"} == 1',
                    for: "2m",
                    severity: "critical",
                    summary: "Elasticsearch cluster health is red: some primary shards are unassigned",
                    runbook: "`GET _cluster/allocation/explain` in Kibana Dev Tools; a full disk (watermarks) is the usual cause.",
                },
                {
                    alert: "ElasticsearchClusterYellow",
                    expr: 'elasticsearch_cluster_health_status{color="yellow"} == 1',
                    for: "15m",
                    severity: "warning",
                    summary: "Elasticsearch cluster health is yellow: replica shards are unassigned",
                    runbook: "On one node replicas cannot be placed: index templates set number_of_replicas 0; check `GET _cat/shards?v`.",
                },
                {
                    alert: "ElasticsearchHeapHigh",
                    expr: `100 * elasticsearch_jvm_memory_used_bytes{area="heap"} / elasticsearch_jvm_memory_max_bytes{area="heap"} > ${t.memoryCriticalPercent}`,
                    for: "10m",
                    severity: "warning",
                    summary: `Elasticsearch uses {{ $value | printf "%.0f" }}% of its heap (threshold ${t.memoryCriticalPercent}%)`,
                    runbook: "The heap is half of elasticsearch.memoryMb: raise that, or cut retention (observability.logsRetentionDays).",
                },
                {
                    alert: "BackupTooOld",
                    expr: `time() - ${BACKUP_METRIC} > ${t.backupMaxAgeHours * 3600}`,
                    for: "10m",
                    severity: "critical",
                    summary: "The last good backup of {{ $labels.store }} is {{ $value | humanizeDuration }} old",
                    runbook: "Look at the backup job's last run (its logs in Kibana); restore drills need a fresh backup.",
                },
            ],
        },
        {
            name: "llm-platform.scheduled-tasks",
            rules: [
                {
                    alert: "ScheduledTaskFailed",
                    expr: `${TASK_METRICS.lastRunOk} == 0`,
                    for: "0m",
                    // A failed integrity check or restore drill is critical, a failed ANALYZE a warning: each task says which.
                    severity: { fromLabel: "on_failure" },
                    summary: "The last run of {{ $labels.task }} on {{ $labels.store }} failed",
                    runbook: `Its log says why: ${inspect.logs("{{ $labels.store }}")} (the task's scheduler or CronJob); the next run clears the alert when it succeeds.`,
                },
                {
                    alert: "ScheduledTaskOverdue",
                    expr: `time() - ${TASK_METRICS.lastSuccess} > on (store, task) group_left () ${TASK_METRICS.maxAge}`,
                    for: "10m",
                    severity: "warning",
                    summary: "{{ $labels.task }} on {{ $labels.store }} last succeeded {{ $value | humanizeDuration }} ago, longer than its schedule allows",
                    runbook: "Is its scheduler running (Docker: the store's backup scheduler or `<store>-tasks`; Kubernetes: the CronJob and its last Job)?",
                },
            ],
        },
        {
            name: "llm-platform.proxy",
            rules: [
                {
                    alert: "ProxyErrorRateHigh",
                    expr:
                        `100 * sum(rate(${PROXY_REQUESTS_METRIC}{status=~"5.."}[5m])) / sum(rate(${PROXY_REQUESTS_METRIC}[5m])) ` +
                        `> ${t.proxyErrorRatePercent}`,
                    for: FOR.proxyErrors,
                    severity: "critical",
                    summary: `{{ $value | printf "%.2f" }}% of the proxy's requests fail with 5xx (threshold ${t.proxyErrorRatePercent}%)`,
                    runbook: "Kibana: proxy access logs with status >= 500, by route and upstream_status; 502/504 mean Ollama did not answer.",
                },
                {
                    alert: "ProxyLatencyP95High",
                    expr:
                        `histogram_quantile(0.95, sum by (le) (rate(${PROXY_DURATION_METRIC}_bucket[5m]))) ` +
                        `> ${t.proxyLatencyP95Seconds}`,
                    for: FOR.proxyLatency,
                    severity: "warning",
                    summary: `The proxy's p95 request time is {{ $value | humanizeDuration }} (threshold ${t.proxyLatencyP95Seconds}s)`,
                    runbook: "Grafana proxy dashboard: which route; model loads (ollama.keepAlive) and a busy GPU are the usual causes.",
                },
            ],
        },
        {
            name: "llm-platform.meta",
            rules: [
                {
                    alert: "PrometheusRuleEvaluationFailures",
                    expr: "increase(prometheus_rule_evaluation_failures_total[10m]) > 0",
                    for: "5m",
                    severity: "warning",
                    summary: "Prometheus failed to evaluate rules of {{ $labels.rule_group }}",
                    runbook: "Prometheus UI › Rules shows the error; the rules come from components/observability/alert-rules.ts.",
                },
                {
                    alert: "PrometheusConfigReloadFailed",
                    expr: "prometheus_config_last_reload_successful == 0",
                    for: "5m",
                    severity: "warning",
                    summary: "Prometheus runs an old configuration: the last reload failed",
                    runbook: `${inspect.logs("prometheus")}; run \`promtool check config\` on the generated file.`,
                },
                {
                    alert: "PrometheusNotificationsFailing",
                    expr: "rate(prometheus_notifications_errors_total[5m]) > 0",
                    for: "10m",
                    severity: "warning",
                    summary: "Prometheus cannot send alerts to Alertmanager",
                    runbook: `Is alertmanager up? ${inspect.logs("prometheus")} and ${inspect.logs("alertmanager")}.`,
                },
                {
                    alert: "AlertmanagerNotificationsFailing",
                    expr: "rate(alertmanager_notifications_failed_total[5m]) > 0",
                    for: "10m",
                    severity: "critical",
                    summary: "Alertmanager fails to deliver to {{ $labels.integration }}",
                    runbook: "Check observability.alertReceivers (webhook URL, routing key, SMTP) and alertmanager's logs.",
                },
                {
                    alert: "Watchdog",
                    expr: "vector(1)",
                    for: "0m",
                    severity: "none",
                    summary: "Always firing: proves the alerting pipeline works end to end",
                    runbook: "If this alert is missing in Alertmanager, alerting is broken.",
                },
            ],
        },
    ];
    const databases = managed.databases ?? [];
    if (databases.length > 0) groups.push({ name: "llm-platform.managed-services", rules: managedDatabaseRules(t, databases) });
    const apps = managed.apps ?? [];
    if (apps.length > 0) groups.push({ name: "llm-platform.apps", rules: apps.flatMap((app) => appRules(t, app)) });
    return groups;
}

/**
 * RDS through the CloudWatch exporter (YACE: `aws_rds_<metric>_<statistic>`, labelled
 * `dimension_DBInstanceIdentifier`; see cloudwatch-exporter-conf.ts). The same thresholds as
 * the platform's own stores, so one set of keys holds for both; the same routes and receivers.
 */
function managedDatabaseRules(t: AlertThresholds, databases: readonly ManagedDatabase[]): AlertRule[] {
    const hint = (what: string) => `RDS console › ${what} and Performance Insights of {{ $labels.dimension_DBInstanceIdentifier }}; aws.database.* sizes it.`;
    const rules: AlertRule[] = [
        ...twoLevels("RdsCpu", { warning: t.cpuWarningPercent, critical: t.cpuCriticalPercent }, (x) => ({
            expr: `aws_rds_cpuutilization_average > ${x}`,
            for: FOR.cpu,
            summary: `RDS {{ $labels.dimension_DBInstanceIdentifier }} CPU at {{ $value | printf "%.0f" }}% (threshold ${x}%)`,
            runbook: hint("Monitoring (top SQL)"),
        })),
        ...twoLevels("RdsStorage", { warning: t.diskWarningPercent, critical: t.diskCriticalPercent }, (x) => ({
            // Of what is allocated now (DescribeDBInstances): storage autoscaling grows it when free space falls under 10%.
            expr: `100 * (1 - aws_rds_free_storage_space_average / on (dimension_DBInstanceIdentifier) group_left () aws_rds_allocated_storage) > ${x}`,
            for: FOR.disk,
            summary: `RDS {{ $labels.dimension_DBInstanceIdentifier }} storage {{ $value | printf "%.0f" }}% used (threshold ${x}%)`,
            runbook: hint("storage (has autoscaling reached aws.database.maxAllocatedStorageGb?)"),
        })),
        {
            alert: "RdsReplicaLagHigh",
            expr: `aws_rds_replica_lag_average > ${t.replicaLagSeconds}`,
            for: "5m",
            severity: "warning",
            summary: `RDS replica {{ $labels.dimension_DBInstanceIdentifier }} lags {{ $value | humanizeDuration }} behind (threshold ${t.replicaLagSeconds}s)`,
            runbook: hint("replication"),
        },
    ];
    for (const db of databases) {
        rules.push({
            alert: "RdsConnectionsHigh",
            expr: `100 * aws_rds_database_connections_average{dimension_DBInstanceIdentifier="${db.identifier}"} / ${db.maxConnections} > ${t.connectionsPercent}`,
            for: FOR.connections,
            severity: "warning",
            summary: `RDS ${db.identifier} uses {{ $value | printf "%.0f" }}% of its ${db.maxConnections} connections (threshold ${t.connectionsPercent}%)`,
            runbook: "Which clients hold them: `SELECT usename, application_name, count(*) FROM pg_stat_activity GROUP BY 1, 2`; use a pool (RDS Proxy, PgBouncer).",
        });
    }
    return rules;
}

/**
 * An app's 5xx share and p95 latency at the proxy (its requests carry `route="app-<name>"` in the
 * access-log metrics), with the proxy's thresholds: one alert per app, labelled with it.
 */
function appRules(t: AlertThresholds, app: string): AlertRule[] {
    const route = `route="${appServiceName(app)}"`;
    return [
        {
            alert: "AppErrorRateHigh",
            expr:
                `100 * sum(rate(${PROXY_REQUESTS_METRIC}{${route},status=~"5.."}[5m])) / sum(rate(${PROXY_REQUESTS_METRIC}{${route}}[5m])) ` +
                `> ${t.proxyErrorRatePercent}`,
            for: FOR.proxyErrors,
            severity: "critical",
            labels: { app },
            summary: `{{ $value | printf "%.2f" }}% of app ${app}'s requests fail with 5xx (threshold ${t.proxyErrorRatePercent}%)`,
            runbook: `Kibana: proxy access logs with route ${appServiceName(app)} and status >= 500 (upstream_status: 502/504 mean the app did not answer), then the app's own logs (service ${appServiceName(app)}).`,
        },
        {
            alert: "AppLatencyP95High",
            expr:
                `histogram_quantile(0.95, sum by (le) (rate(${PROXY_DURATION_METRIC}_bucket{${route}}[5m]))) ` +
                `> ${t.proxyLatencyP95Seconds}`,
            for: FOR.proxyLatency,
            severity: "warning",
            labels: { app },
            summary: `App ${app}'s p95 request time at the proxy is {{ $value | humanizeDuration }} (threshold ${t.proxyLatencyP95Seconds}s)`,
            runbook: `Grafana proxy dashboard, route ${appServiceName(app)}: the app's upstream_response_time against request_time tells the app from the network.`,
        },
    ];
}

/** The rules file Prometheus loads. */
export function renderAlertRules(
    t: AlertThresholds,
    layout: Pick<NodeLayout, "inspect" | "containerLabel">,
    managed: { readonly databases?: readonly ManagedDatabase[]; readonly apps?: readonly string[] } = {},
): string {
    const groups = alertGroups(t, layout, managed).map((g) => ({
        name: g.name,
        rules: g.rules.map((r) => ({
            alert: r.alert,
            expr: r.expr,
            for: r.for,
            labels: { severity: typeof r.severity === "string" ? r.severity : `{{ $labels.${r.severity.fromLabel} }}`, ...r.labels },
            annotations: { summary: r.summary, runbook: r.runbook },
        })),
    }));
    return "# Generated by llm-platform: edit components/observability/alert-rules.ts, not this file.\n" + stringify({ groups }, { lineWidth: 0 });
}
