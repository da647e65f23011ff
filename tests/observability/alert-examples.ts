/**
 * For every alert: series on which it must fire once its `for` has passed, and series on
 * which it must stay silent. Turned into `promtool test rules` cases.
 */
export interface Series {
    readonly series: string;
    /** promtool expanding notation, one sample per minute, e.g. '0x60' or '0+10x60'. */
    readonly values: string;
}

export interface AlertExample {
    readonly bad: readonly Series[];
    /** Labels of the firing alert besides alertname (severity included). */
    readonly firing: Readonly<Record<string, string>>;
    /** Absent only for the Watchdog, which has no good state. */
    readonly good?: readonly Series[];
}

const node = 'instance="node-exporter:9100",job="node-exporter",service="node-exporter"';
const fs = `device="/dev/sda1",fstype="ext4",mountpoint="/",${node}`;
const cadvisor = 'id="/docker/abc",instance="cadvisor:8080",job="cadvisor",name="llm-platform-dev-redis",service="cadvisor"';
const probe = 'instance="https://proxy:443/healthz",job="probe_https_2xx_stack_ca",probe="https",service="proxy"';
const es = 'cluster="llm",instance="elasticsearch-exporter:9114",job="elasticsearch",service="elasticsearch"';
const prom = 'instance="prometheus:9090",job="prometheus",service="prometheus"';
const labels = (text: string) => Object.fromEntries(text.split(",").map((kv) => kv.split("=")).map(([k, v]) => [k, v.replace(/"/g, "")]));
const DAY = 86400;
const constant = (v: number) => `${v}x60`;

/** Proxy histogram: 10 requests a minute, all in the bucket that ends at `le`. */
function latency(le: string): Series[] {
    return ["0.5", "1", "5", "10", "+Inf"].map((b) => ({
        series: `llm_proxy_request_duration_seconds_bucket{le="${b}"}`,
        values: b === "+Inf" || Number(b) >= Number(le) ? "0+10x60" : "0x60",
    }));
}

export const alertExamples: Readonly<Record<string, AlertExample>> = {
    TargetDown: {
        bad: [{ series: 'up{instance="redis-exporter:9121",job="redis",service="redis"}', values: constant(0) }],
        good: [{ series: 'up{instance="redis-exporter:9121",job="redis",service="redis"}', values: constant(1) }],
        firing: { severity: "critical", instance: "redis-exporter:9121", job: "redis", service: "redis" },
    },
    ProbeFailed: {
        bad: [{ series: `probe_success{${probe}}`, values: constant(0) }],
        good: [{ series: `probe_success{${probe}}`, values: constant(1) }],
        firing: { severity: "critical", ...labels(probe) },
    },
    CertificateExpiresIn30Days: {
        bad: [{ series: `probe_ssl_earliest_cert_expiry{${probe}}`, values: constant(10 * DAY) }],
        good: [{ series: `probe_ssl_earliest_cert_expiry{${probe}}`, values: constant(60 * DAY) }],
        firing: { severity: "warning", ...labels(probe) },
    },
    CertificateExpiresIn7Days: {
        bad: [{ series: `probe_ssl_earliest_cert_expiry{${probe}}`, values: constant(5 * DAY) }],
        good: [{ series: `probe_ssl_earliest_cert_expiry{${probe}}`, values: constant(10 * DAY) }],
        firing: { severity: "critical", ...labels(probe) },
    },
    HostDiskAbove80Percent: {
        bad: [
            { series: `node_filesystem_avail_bytes{${fs}}`, values: constant(10) },
            { series: `node_filesystem_size_bytes{${fs}}`, values: constant(100) },
        ],
        good: [
            { series: `node_filesystem_avail_bytes{${fs}}`, values: constant(50) },
            { series: `node_filesystem_size_bytes{${fs}}`, values: constant(100) },
        ],
        firing: { severity: "warning", ...labels(fs) },
    },
    HostDiskFullIn24Hours: {
        bad: [{ series: `node_filesystem_avail_bytes{${fs}}`, values: "1000000-1000x60" }],
        good: [{ series: `node_filesystem_avail_bytes{${fs}}`, values: constant(1000000) }],
        firing: { severity: "critical", ...labels(fs) },
    },
    ContainerMemoryAbove90Percent: {
        bad: [
            { series: `container_memory_working_set_bytes{${cadvisor}}`, values: constant(950) },
            { series: `container_spec_memory_limit_bytes{${cadvisor}}`, values: constant(1000) },
        ],
        good: [
            { series: `container_memory_working_set_bytes{${cadvisor}}`, values: constant(500) },
            { series: `container_spec_memory_limit_bytes{${cadvisor}}`, values: constant(1000) },
        ],
        firing: { severity: "warning", ...labels(cadvisor) },
    },
    HostMemoryLow: {
        bad: [
            { series: `node_memory_MemAvailable_bytes{${node}}`, values: constant(5) },
            { series: `node_memory_MemTotal_bytes{${node}}`, values: constant(100) },
        ],
        good: [
            { series: `node_memory_MemAvailable_bytes{${node}}`, values: constant(50) },
            { series: `node_memory_MemTotal_bytes{${node}}`, values: constant(100) },
        ],
        firing: { severity: "warning", ...labels(node) },
    },
    PostgresConnectionsAbove80Percent: {
        bad: [
            { series: 'pg_stat_activity_count{datname="llm_observatory",state="active",service="timescale"}', values: constant(170) },
            { series: 'pg_settings_max_connections{service="timescale"}', values: constant(200) },
        ],
        good: [
            { series: 'pg_stat_activity_count{datname="llm_observatory",state="active",service="timescale"}', values: constant(20) },
            { series: 'pg_settings_max_connections{service="timescale"}', values: constant(200) },
        ],
        firing: { severity: "warning", service: "timescale" },
    },
    SqlServerConnectionsAbove80Percent: {
        bad: [
            { series: 'mssql_user_connections{service="sqlserver"}', values: constant(30000) },
            { series: 'mssql_max_connections{service="sqlserver"}', values: constant(32767) },
        ],
        good: [
            { series: 'mssql_user_connections{service="sqlserver"}', values: constant(10) },
            { series: 'mssql_max_connections{service="sqlserver"}', values: constant(32767) },
        ],
        firing: { severity: "warning", service: "sqlserver" },
    },
    RedisMemoryNearMaxmemory: {
        bad: [
            { series: 'redis_memory_used_bytes{instance="redis-exporter:9121",job="redis",service="redis"}', values: constant(95) },
            { series: 'redis_memory_max_bytes{instance="redis-exporter:9121",job="redis",service="redis"}', values: constant(100) },
        ],
        good: [
            { series: 'redis_memory_used_bytes{instance="redis-exporter:9121",job="redis",service="redis"}', values: constant(10) },
            { series: 'redis_memory_max_bytes{instance="redis-exporter:9121",job="redis",service="redis"}', values: constant(100) },
        ],
        firing: { severity: "warning", instance: "redis-exporter:9121", job: "redis", service: "redis" },
    },
    ElasticsearchClusterRed: {
        bad: [{ series: `elasticsearch_cluster_health_status{color="red",${es}}`, values: constant(1) }],
        good: [{ series: `elasticsearch_cluster_health_status{color="red",${es}}`, values: constant(0) }],
        firing: { severity: "critical", color: "red", ...labels(es) },
    },
    ElasticsearchClusterYellow: {
        bad: [{ series: `elasticsearch_cluster_health_status{color="yellow",${es}}`, values: constant(1) }],
        good: [{ series: `elasticsearch_cluster_health_status{color="yellow",${es}}`, values: constant(0) }],
        firing: { severity: "warning", color: "yellow", ...labels(es) },
    },
    ElasticsearchHeapAbove90Percent: {
        bad: [
            { series: `elasticsearch_jvm_memory_used_bytes{area="heap",${es}}`, values: constant(95) },
            { series: `elasticsearch_jvm_memory_max_bytes{area="heap",${es}}`, values: constant(100) },
        ],
        good: [
            { series: `elasticsearch_jvm_memory_used_bytes{area="heap",${es}}`, values: constant(50) },
            { series: `elasticsearch_jvm_memory_max_bytes{area="heap",${es}}`, values: constant(100) },
        ],
        firing: { severity: "warning", area: "heap", ...labels(es) },
    },
    BackupTooOld: {
        // Timestamps relative to the test's start: the last backup ran 28 hours before it, or 1 hour.
        bad: [{ series: 'llm_platform_backup_last_success_timestamp_seconds{store="sqlserver"}', values: constant(-28 * 3600) }],
        good: [{ series: 'llm_platform_backup_last_success_timestamp_seconds{store="sqlserver"}', values: constant(-3600) }],
        firing: { severity: "critical", store: "sqlserver" },
    },
    ProxyErrorRateHigh: {
        bad: [
            { series: 'llm_proxy_requests_total{route="ollama_api",status="502"}', values: "0+10x60" },
            { series: 'llm_proxy_requests_total{route="ollama_api",status="200"}', values: "0+90x60" },
        ],
        good: [
            { series: 'llm_proxy_requests_total{route="ollama_api",status="502"}', values: "0x60" },
            { series: 'llm_proxy_requests_total{route="ollama_api",status="200"}', values: "0+90x60" },
        ],
        firing: { severity: "critical" },
    },
    ProxyLatencyP95High: {
        bad: latency("10"),
        good: latency("0.5"),
        firing: { severity: "warning" },
    },
    PrometheusRuleEvaluationFailures: {
        bad: [{ series: `prometheus_rule_evaluation_failures_total{rule_group="g",${prom}}`, values: "0+1x60" }],
        good: [{ series: `prometheus_rule_evaluation_failures_total{rule_group="g",${prom}}`, values: "0x60" }],
        firing: { severity: "warning", rule_group: "g", ...labels(prom) },
    },
    PrometheusConfigReloadFailed: {
        bad: [{ series: `prometheus_config_last_reload_successful{${prom}}`, values: constant(0) }],
        good: [{ series: `prometheus_config_last_reload_successful{${prom}}`, values: constant(1) }],
        firing: { severity: "warning", ...labels(prom) },
    },
    PrometheusNotificationsFailing: {
        bad: [{ series: `prometheus_notifications_errors_total{alertmanager="alertmanager",${prom}}`, values: "0+1x60" }],
        good: [{ series: `prometheus_notifications_errors_total{alertmanager="alertmanager",${prom}}`, values: "0x60" }],
        firing: { severity: "warning", alertmanager: "alertmanager", ...labels(prom) },
    },
    AlertmanagerNotificationsFailing: {
        bad: [{ series: 'alertmanager_notifications_failed_total{integration="slack",instance="alertmanager:9093",job="alertmanager"}', values: "0+1x60" }],
        good: [{ series: 'alertmanager_notifications_failed_total{integration="slack",instance="alertmanager:9093",job="alertmanager"}', values: "0x60" }],
        firing: { severity: "critical", integration: "slack", instance: "alertmanager:9093", job: "alertmanager" },
    },
    Watchdog: { bad: [], firing: { severity: "none" } },
};
