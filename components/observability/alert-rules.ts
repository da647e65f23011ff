import { stringify } from "yaml";
import { NodeLayout } from "./node-layout";

/** Metrics the log shipper derives from the proxy's JSON access log. */
export const PROXY_REQUESTS_METRIC = "llm_proxy_requests_total";
export const PROXY_DURATION_METRIC = "llm_proxy_request_duration_seconds";
/** Backup jobs expose this per store (Unix time of the last good backup); the alert is silent until they do. */
export const BACKUP_METRIC = "llm_platform_backup_last_success_timestamp_seconds";

export type Severity = "critical" | "warning" | "none";

export interface AlertRule {
    readonly alert: string;
    readonly expr: string;
    /** Prometheus duration the condition must hold, e.g. "5m"; "0m" fires at once. */
    readonly for: string;
    readonly severity: Severity;
    readonly summary: string;
    /** What to look at first: the runbook hint shown in every notification. */
    readonly runbook: string;
}

export interface AlertGroup {
    readonly name: string;
    readonly rules: readonly AlertRule[];
}

export interface AlertThresholds {
    readonly proxyLatencyP95Seconds: number;
    readonly proxyErrorRatePercent: number;
    readonly backupMaxAgeHours: number;
}

const DAY = 86400;
const realFs = `fstype!~"tmpfs|overlay|squashfs|nsfs|ramfs"`;

/** The alerts, from the runbooks' thresholds; the hints name the platform's own commands. */
export function alertGroups(t: AlertThresholds, layout: Pick<NodeLayout, "inspect" | "containerLabel">): AlertGroup[] {
    const { inspect, containerLabel: name } = layout;
    return [
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
                {
                    alert: "HostDiskAbove80Percent",
                    expr: `100 * (1 - node_filesystem_avail_bytes{${realFs}} / node_filesystem_size_bytes{${realFs}}) > 80`,
                    for: "10m",
                    severity: "warning",
                    summary: "Disk {{ $labels.mountpoint }} is {{ $value | printf \"%.0f\" }}% full",
                    runbook: `${inspect.disk}; data volumes are kept on purpose.`,
                },
                {
                    alert: "HostDiskFullIn24Hours",
                    expr: `predict_linear(node_filesystem_avail_bytes{${realFs}}[6h], ${DAY}) < 0 and node_filesystem_avail_bytes{${realFs}} > 0`,
                    for: "30m",
                    severity: "critical",
                    summary: "Disk {{ $labels.mountpoint }} fills up within 24 hours at the current rate",
                    runbook: `Find what grows: model pulls, database volumes, container logs (${inspect.logCap}); free space before it reaches 0.`,
                },
                {
                    alert: "ContainerMemoryAbove90Percent",
                    expr: `container_memory_working_set_bytes{${name}!=""} / (container_spec_memory_limit_bytes{${name}!=""} > 0) > 0.9`,
                    for: "5m",
                    severity: "warning",
                    summary: `Container {{ $labels.${name} }} uses {{ $value | humanizePercentage }} of its memory limit`,
                    runbook: "Raise <service>.memoryMb (the derived settings follow) or find the leak; the kernel kills it at 100%.",
                },
                {
                    alert: "HostMemoryLow",
                    expr: "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.1",
                    for: "5m",
                    severity: "warning",
                    summary: "The host has {{ $value | humanizePercentage }} of its memory available",
                    runbook: "Sum of the stack's limits vs the host: `npm run bench`; the `small` preset or observability.logs=false frees the most.",
                },
            ],
        },
        {
            name: "llm-platform.datastores",
            rules: [
                {
                    alert: "PostgresConnectionsAbove80Percent",
                    expr: "sum by (service) (pg_stat_activity_count) / max by (service) (pg_settings_max_connections) > 0.8",
                    for: "5m",
                    severity: "warning",
                    summary: "{{ $labels.service }} uses {{ $value | humanizePercentage }} of max_connections",
                    runbook: "Which clients hold them: `SELECT application_name, state, count(*) FROM pg_stat_activity GROUP BY 1, 2`; use a pool.",
                },
                {
                    alert: "SqlServerConnectionsAbove80Percent",
                    expr: "sum by (service) (mssql_user_connections) / max by (service) (mssql_max_connections) > 0.8",
                    for: "5m",
                    severity: "warning",
                    summary: "{{ $labels.service }} uses {{ $value | humanizePercentage }} of its connections",
                    runbook: "`SELECT program_name, COUNT(*) FROM sys.dm_exec_sessions WHERE is_user_process = 1 GROUP BY program_name`.",
                },
                {
                    alert: "RedisMemoryNearMaxmemory",
                    expr: "redis_memory_used_bytes / (redis_memory_max_bytes > 0) > 0.9",
                    for: "5m",
                    severity: "warning",
                    summary: "{{ $labels.service }} uses {{ $value | humanizePercentage }} of maxmemory",
                    runbook: "Evictions follow redis.evictionPolicy; raise redis.memoryMb (maxmemory is 75% of it) or shorten TTLs.",
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
                    alert: "ElasticsearchHeapAbove90Percent",
                    expr: 'elasticsearch_jvm_memory_used_bytes{area="heap"} / elasticsearch_jvm_memory_max_bytes{area="heap"} > 0.9',
                    for: "10m",
                    severity: "warning",
                    summary: "Elasticsearch uses {{ $value | humanizePercentage }} of its heap",
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
            name: "llm-platform.proxy",
            rules: [
                {
                    alert: "ProxyErrorRateHigh",
                    expr:
                        `sum(rate(${PROXY_REQUESTS_METRIC}{status=~"5.."}[5m])) / sum(rate(${PROXY_REQUESTS_METRIC}[5m])) ` +
                        `> ${t.proxyErrorRatePercent / 100}`,
                    for: "5m",
                    severity: "critical",
                    summary: "{{ $value | humanizePercentage }} of the proxy's requests fail with 5xx",
                    runbook: "Kibana: proxy access logs with status >= 500, by route and upstream_status; 502/504 mean Ollama did not answer.",
                },
                {
                    alert: "ProxyLatencyP95High",
                    expr:
                        `histogram_quantile(0.95, sum by (le) (rate(${PROXY_DURATION_METRIC}_bucket[5m]))) ` +
                        `> ${t.proxyLatencyP95Seconds}`,
                    for: "10m",
                    severity: "warning",
                    summary: "The proxy's p95 request time is {{ $value | humanizeDuration }} (threshold ${t.proxyLatencyP95Seconds}s)",
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
}

/** The rules file Prometheus loads. */
export function renderAlertRules(t: AlertThresholds, layout: Pick<NodeLayout, "inspect" | "containerLabel">): string {
    const groups = alertGroups(t, layout).map((g) => ({
        name: g.name,
        rules: g.rules.map((r) => ({
            alert: r.alert,
            expr: r.expr,
            for: r.for,
            labels: { severity: r.severity },
            annotations: { summary: r.summary, runbook: r.runbook },
        })),
    }));
    return "# Generated by llm-platform: edit components/observability/alert-rules.ts, not this file.\n" + stringify({ groups }, { lineWidth: 0 });
}
