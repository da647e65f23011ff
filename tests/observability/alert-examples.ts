/**
 * For every alert: series on which it must fire once its `for` has passed, and series on
 * which it must stay silent. Turned into `promtool test rules` cases. An alert with a
 * threshold gets both at its edge, from the thresholds the rules were generated with: the
 * bad series just above it, the good one just below.
 */
import { AlertThresholds, ManagedDatabase } from "../../components/observability/alert-rules";
import { LATENCY_BUCKETS } from "../../components/observability/fluent-bit-conf";

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
const qdrant = 'endpoint="/collections/{collection_name}/points/search",instance="qdrant:6333",job="qdrant",method="POST",service="qdrant",status="200"';
const task = 'job="node-exporter",on_failure="critical",store="sqlserver",task="checkdb"';
const labels = (text: string) => Object.fromEntries(text.split(",").map((kv) => kv.split("=")).map(([k, v]) => [k, v.replace(/"/g, "")]));
const DAY = 86400;
const GB = 1024 ** 3;
/** Qdrant's duration buckets (lib/segment/src/common/operation_time_statistics.rs, v1.19.0), in seconds. */
const QDRANT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5, 10, 50];

/** How far from a threshold "just above" and "just below" are: 0.2 % of it. */
const EDGE = 0.002;
const above = (x: number) => x * (1 + EDGE);
const below = (x: number) => x * (1 - EDGE);
const constant = (v: number) => `${v}x60`;
/** A timestamp `age` seconds before the evaluation time, whenever that is (the clock advances 60 s a sample). */
const secondsAgo = (age: number) => `${-Math.round(age)}+60x60`;
/** A timestamp `left` seconds after the evaluation time. */
const secondsAhead = (left: number) => `${Math.round(left)}+60x60`;
/** A counter rising by `perMinute` every minute: its rate is perMinute / 60 per second. */
const rising = (perMinute: number) => `0+${perMinute}x60`;

/** Two sides of one threshold: the series on which the alert must fire (just above) and stay silent (just below). */
function edge(threshold: number, seriesAt: (value: number) => Series[], firing: Record<string, string>, lowerIsWorse = false): AlertExample {
    const [worse, better] = lowerIsWorse ? [below(threshold), above(threshold)] : [above(threshold), below(threshold)];
    return { bad: seriesAt(worse), good: seriesAt(better), firing };
}

/**
 * A histogram whose p95 (histogram_quantile's linear interpolation) is `p95`: the requests
 * in the bucket that holds p95, with a share at or below its lower bound (p95 in the first 95 %
 * of the bucket) or above its upper bound (p95 in the last 5 %).
 */
function histogramWithP95(metric: string, extra: string, buckets: readonly number[], p95: number): Series[] {
    const upper = buckets.findIndex((b) => b >= p95);
    if (upper < 0) throw new Error(`${p95} is beyond the last bucket of ${metric}`);
    const lower = upper === 0 ? 0 : buckets[upper - 1];
    const r = (p95 - lower) / (buckets[upper] - lower);
    const belowShare = r <= 0.95 ? (0.95 - r) / (1 - r) : 0;
    const inShare = r <= 0.95 ? 1 - belowShare : 0.95 / r;
    const perMinute = 100000;
    const cumulative = (le: number) => Math.round(perMinute * (le < lower ? 0 : le < buckets[upper] ? belowShare : le === buckets[upper] ? belowShare + inShare : 1));
    return [...buckets.map(String), "+Inf"].map((le) => ({
        series: `${metric}{${extra}${extra ? "," : ""}le="${le}"}`,
        values: rising(le === "+Inf" ? perMinute : cumulative(Number(le))),
    }));
}

/** Every alert's examples for rules generated with these thresholds (and these managed databases). */
export function alertExamples(t: AlertThresholds, databases: readonly ManagedDatabase[] = []): Record<string, AlertExample> {
    const levels = (name: string, warning: number, critical: number, seriesAt: (value: number) => Series[], firing: Record<string, string>, lowerIsWorse = false) => ({
        [`${name}High`]: edge(warning, seriesAt, { severity: "warning", ...firing }, lowerIsWorse),
        [`${name}Critical`]: edge(critical, seriesAt, { severity: "critical", ...firing }, lowerIsWorse),
    });
    // Host CPU: two CPUs, each `busy` percent busy (the idle counter rises by the idle share of each second).
    const hostCpu = (busy: number) =>
        ["0", "1"].map((cpu) => ({ series: `node_cpu_seconds_total{cpu="${cpu}",mode="idle",${node}}`, values: rising(60 * (1 - busy / 100)) }));
    // A container limited to 2 CPUs (quota 200000 µs per 100000 µs period), using `used` percent of them.
    const containerCpu = (used: number) => [
        { series: `container_cpu_usage_seconds_total{cpu="total",${cadvisor}}`, values: rising(60 * 2 * (used / 100)) },
        { series: `container_spec_cpu_quota{${cadvisor}}`, values: constant(200000) },
        { series: `container_spec_cpu_period{${cadvisor}}`, values: constant(100000) },
    ];
    const containerMemory = (used: number) => [
        { series: `container_memory_working_set_bytes{${cadvisor}}`, values: constant(10 * used) },
        { series: `container_spec_memory_limit_bytes{${cadvisor}}`, values: constant(1000) },
    ];
    const hostMemory = (used: number) => [
        { series: `node_memory_MemAvailable_bytes{${node}}`, values: constant(10000 * (1 - used / 100)) },
        { series: `node_memory_MemTotal_bytes{${node}}`, values: constant(10000) },
    ];
    const hostDisk = (used: number) => [
        { series: `node_filesystem_avail_bytes{${fs}}`, values: constant(10000 * (1 - used / 100)) },
        { series: `node_filesystem_size_bytes{${fs}}`, values: constant(10000) },
    ];
    const examples: Record<string, AlertExample> = {
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
        // The certificate's expiry is a timestamp: "worse" is fewer seconds left.
        CertificateExpiresIn30Days: edge(30 * DAY, (left) => [{ series: `probe_ssl_earliest_cert_expiry{${probe}}`, values: secondsAhead(left) }], { severity: "warning", ...labels(probe) }, true),
        CertificateExpiresIn7Days: edge(7 * DAY, (left) => [{ series: `probe_ssl_earliest_cert_expiry{${probe}}`, values: secondsAhead(left) }], { severity: "critical", ...labels(probe) }, true),
        ...levels("HostCpu", t.cpuWarningPercent, t.cpuCriticalPercent, hostCpu, labels(node)),
        ...levels("ContainerCpu", t.cpuWarningPercent, t.cpuCriticalPercent, containerCpu, labels(cadvisor)),
        ...levels("ContainerMemory", t.memoryWarningPercent, t.memoryCriticalPercent, containerMemory, labels(cadvisor)),
        ...levels("HostMemory", t.memoryWarningPercent, t.memoryCriticalPercent, hostMemory, labels(node)),
        ...levels("HostDisk", t.diskWarningPercent, t.diskCriticalPercent, hostDisk, labels(fs)),
        HostDiskFullIn24Hours: {
            bad: [{ series: `node_filesystem_avail_bytes{${fs}}`, values: "1000000-1000x60" }],
            good: [{ series: `node_filesystem_avail_bytes{${fs}}`, values: constant(1000000) }],
            firing: { severity: "critical", ...labels(fs) },
        },
        PostgresConnectionsHigh: edge(
            t.connectionsPercent,
            (used) => [
                { series: 'pg_stat_activity_count{datname="llm_observatory",state="active",service="timescale"}', values: constant(used * 1.5) },
                { series: 'pg_stat_activity_count{datname="llm_observatory",state="idle",service="timescale"}', values: constant(used * 0.5) },
                { series: 'pg_settings_max_connections{service="timescale"}', values: constant(200) },
            ],
            { severity: "warning", service: "timescale" },
        ),
        SqlServerConnectionsHigh: edge(
            t.connectionsPercent,
            (used) => [
                { series: 'mssql_user_connections{service="sqlserver"}', values: constant(used * 327.67) },
                { series: 'mssql_max_connections{service="sqlserver"}', values: constant(32767) },
            ],
            { severity: "warning", service: "sqlserver" },
        ),
        RedisMemoryNearMaxmemory: edge(
            t.memoryCriticalPercent,
            (used) => [
                { series: 'redis_memory_used_bytes{instance="redis-exporter:9121",job="redis",service="redis"}', values: constant(used * 10) },
                { series: 'redis_memory_max_bytes{instance="redis-exporter:9121",job="redis",service="redis"}', values: constant(1000) },
            ],
            { severity: "warning", instance: "redis-exporter:9121", job: "redis", service: "redis" },
        ),
        QdrantSearchLatencyHigh: edge(
            t.vectorSearchP95Seconds,
            (p95) => histogramWithP95("rest_responses_duration_seconds_bucket", qdrant, QDRANT_BUCKETS, p95),
            { severity: "warning", service: "qdrant" },
        ),
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
        ElasticsearchHeapHigh: edge(
            t.memoryCriticalPercent,
            (used) => [
                { series: `elasticsearch_jvm_memory_used_bytes{area="heap",${es}}`, values: constant(used * 10) },
                { series: `elasticsearch_jvm_memory_max_bytes{area="heap",${es}}`, values: constant(1000) },
            ],
            { severity: "warning", area: "heap", ...labels(es) },
        ),
        BackupTooOld: edge(
            t.backupMaxAgeHours * 3600,
            (age) => [{ series: 'llm_platform_backup_last_success_timestamp_seconds{store="sqlserver"}', values: secondsAgo(age) }],
            { severity: "critical", store: "sqlserver" },
        ),
        ScheduledTaskFailed: {
            bad: [{ series: `llm_platform_task_last_run_ok{${task}}`, values: constant(0) }],
            good: [{ series: `llm_platform_task_last_run_ok{${task}}`, values: constant(1) }],
            // The severity comes from the series: the task said its failure is critical.
            firing: { severity: "critical", ...labels(task) },
        },
        ScheduledTaskOverdue: edge(
            7 * DAY,
            (age) => [
                { series: `llm_platform_task_last_success_timestamp_seconds{${task}}`, values: secondsAgo(age) },
                { series: `llm_platform_task_max_age_seconds{${task}}`, values: constant(7 * DAY) },
            ],
            { severity: "warning", ...labels(task) },
        ),
        ProxyErrorRateHigh: edge(
            t.proxyErrorRatePercent,
            (share) => [
                { series: 'llm_proxy_requests_total{route="ollama_api",status="502"}', values: rising(100 * share) },
                { series: 'llm_proxy_requests_total{route="ollama_api",status="200"}', values: rising(100 * (100 - share)) },
            ],
            { severity: "critical" },
        ),
        ProxyLatencyP95High: edge(
            t.proxyLatencyP95Seconds,
            (p95) => histogramWithP95("llm_proxy_request_duration_seconds_bucket", 'route="ollama_api"', LATENCY_BUCKETS, p95),
            { severity: "warning" },
        ),
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
    if (databases.length === 0) return examples;

    // What the CloudWatch exporter serves for an RDS instance (YACE: name and dimension labels).
    const db = databases[0];
    const rds = `dimension_DBInstanceIdentifier="${db.identifier}",instance="cloudwatch-exporter:5000",job="cloudwatch-exporter",name="arn:aws:rds:eu-west-1:123456789012:db:${db.identifier}",service="cloudwatch-exporter"`;
    const rdsCpu = (used: number) => [{ series: `aws_rds_cpuutilization_average{${rds}}`, values: constant(used) }];
    // The allocated size comes from DescribeDBInstances, with labels of its own (account, class, engine).
    const allocated = `account_id="123456789012",dimension_DBInstanceIdentifier="${db.identifier}",dimension_DatabaseClass="db.m7g.large",dimension_EngineName="postgres",instance="cloudwatch-exporter:5000",job="cloudwatch-exporter",name="arn:aws:rds:eu-west-1:123456789012:db:${db.identifier}",region="eu-west-1",service="cloudwatch-exporter"`;
    const rdsStorage = (used: number) => [
        { series: `aws_rds_free_storage_space_average{${rds}}`, values: constant(Math.round(150 * GB * (1 - used / 100))) },
        { series: `aws_rds_allocated_storage{${allocated}}`, values: constant(150 * GB) },
    ];
    return {
        ...examples,
        ...levels("RdsCpu", t.cpuWarningPercent, t.cpuCriticalPercent, rdsCpu, labels(rds)),
        ...levels("RdsStorage", t.diskWarningPercent, t.diskCriticalPercent, rdsStorage, labels(rds)),
        RdsConnectionsHigh: edge(
            t.connectionsPercent,
            (used) => [{ series: `aws_rds_database_connections_average{${rds}}`, values: constant((db.maxConnections * used) / 100) }],
            { severity: "warning", ...labels(rds) },
        ),
        RdsReplicaLagHigh: edge(t.replicaLagSeconds, (lag) => [{ series: `aws_rds_replica_lag_average{${rds}}`, values: constant(lag) }], { severity: "warning", ...labels(rds) }),
    };
}
