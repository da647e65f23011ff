/**
 * The metrics each exporter the platform runs produces, read from its source at the version
 * the platform pins (components/config/images.ts), each name with the line that makes it.
 * Where an exporter builds names at run time (node-exporter's meminfo fields, postgres_exporter's
 * pg_settings_<name>), the line is the builder and the name the one it makes of the field we read.
 * The dashboards and the alert rules may only name metrics listed here or produced by the
 * platform itself (tests/observability/dashboards.test.ts).
 */
export interface ExporterMetrics {
    /** The config key of components/config/images.ts whose image runs this exporter. */
    readonly image: string;
    /** The source read: repository and the tag the image's version names. */
    readonly source: string;
    /** Metric name → file:line at that tag. */
    readonly metrics: Readonly<Record<string, string>>;
    /** Histograms among them: Prometheus stores `_bucket`, `_sum` and `_count` series. */
    readonly histograms?: readonly string[];
    /** When the pinned tag is not in the repository: the tag read instead, and why that is enough. */
    readonly readAt?: string;
}

export const EXPORTER_METRICS: Readonly<Record<string, ExporterMetrics>> = {
    nodeExporter: {
        image: "nodeExporter",
        source: "prometheus/node_exporter@v1.12.1",
        metrics: {
            node_cpu_seconds_total: "collector/cpu_common.go:28",
            node_filesystem_size_bytes: "collector/filesystem_common.go:103",
            node_filesystem_avail_bytes: "collector/filesystem_common.go:115",
            // meminfo.go:50 builds node_memory_<field>; meminfo_linux.go:120-127 names the fields.
            node_memory_MemAvailable_bytes: "collector/meminfo.go:50, collector/meminfo_linux.go:121",
            node_memory_MemTotal_bytes: "collector/meminfo.go:50, collector/meminfo_linux.go:127",
        },
    },
    cadvisor: {
        image: "cadvisor",
        source: "google/cadvisor@v0.60.5",
        metrics: {
            container_cpu_usage_seconds_total: "lib/metrics/prometheus.go:180",
            container_memory_working_set_bytes: "lib/metrics/prometheus.go:531",
            container_spec_cpu_period: "lib/metrics/prometheus.go:2305",
            container_spec_cpu_quota: "lib/metrics/prometheus.go:2308",
            container_spec_memory_limit_bytes: "lib/metrics/prometheus.go:2316",
        },
    },
    blackboxExporter: {
        image: "blackboxExporter",
        source: "prometheus/blackbox_exporter@v0.28.0",
        metrics: {
            probe_success: "prober/handler.go:79",
            probe_duration_seconds: "prober/handler.go:83",
            probe_ssl_earliest_cert_expiry: "prober/prober.go:36",
        },
    },
    postgresExporter: {
        image: "postgresExporter",
        source: "prometheus-community/postgres_exporter@v0.20.1",
        metrics: {
            pg_stat_activity_count: "collector/pg_stat_activity.go:47",
            // pg_setting.go:116 builds pg_settings_<name> for every row of pg_settings.
            pg_settings_max_connections: "collector/pg_setting.go:116",
            pg_database_size_bytes: "collector/pg_database.go:52",
            pg_stat_user_tables_n_live_tup: "collector/pg_stat_user_tables.go:88",
            pg_stat_user_tables_n_dead_tup: "collector/pg_stat_user_tables.go:94",
            // --collector.stat_statements (exporters.ts turns it on).
            pg_stat_statements_calls_total: "collector/pg_stat_statements.go:114",
            pg_stat_statements_seconds_total: "collector/pg_stat_statements.go:120",
            pg_stat_statements_rows_total: "collector/pg_stat_statements.go:126",
            pg_stat_statements_block_read_seconds_total: "collector/pg_stat_statements.go:132",
            pg_stat_statements_block_write_seconds_total: "collector/pg_stat_statements.go:138",
            // --collector.stat_statements.include_query: queryid → query text.
            pg_stat_statements_query_id: "collector/pg_stat_statements.go:145",
        },
    },
    redisExporter: {
        image: "redisExporter",
        source: "oliver006/redis_exporter@v1.88.0",
        metrics: {
            redis_memory_used_bytes: "exporter/exporter.go:200",
            redis_memory_max_bytes: "exporter/exporter.go:216",
            redis_commands_processed_total: "exporter/exporter.go:387",
        },
    },
    nginxExporter: {
        image: "nginxExporter",
        source: "nginx/nginx-prometheus-exporter@v1.5.3",
        metrics: {
            nginx_connections_active: "collector/nginx.go:26",
        },
    },
    elasticsearchExporter: {
        image: "elasticsearchExporter",
        source: "prometheus-community/elasticsearch_exporter@v1.11.0",
        metrics: {
            elasticsearch_cluster_health_status: "collector/cluster_health.go:191",
            elasticsearch_jvm_memory_used_bytes: "collector/nodes.go:1123",
            elasticsearch_jvm_memory_max_bytes: "collector/nodes.go:1151",
        },
    },
    qdrant: {
        image: "qdrant",
        source: "qdrant/qdrant@v1.19.2",
        readAt: "v1.19.0: the newest tag in the repository; metric names do not change in patch releases",
        metrics: {
            collection_points: "src/common/metrics.rs:530",
            // OperationDurationMetricsBuilder::build (metrics.rs:1045) with the prefix rest_ (:742) or grpc_ (:797).
            rest_responses_duration_seconds: "src/common/metrics.rs:742, src/common/metrics.rs:1045",
            grpc_responses_duration_seconds: "src/common/metrics.rs:797, src/common/metrics.rs:1045",
        },
        histograms: ["rest_responses_duration_seconds", "grpc_responses_duration_seconds"],
    },
    prometheus: {
        image: "prometheus",
        source: "prometheus/prometheus@v3.14.0",
        metrics: {
            prometheus_rule_evaluation_failures_total: "rules/group.go:993",
            prometheus_config_last_reload_successful: "cmd/prometheus/main.go:135",
            // namespace prometheus, subsystem notifications.
            prometheus_notifications_errors_total: "notifier/metric.go:60",
        },
    },
    alertmanager: {
        image: "alertmanager",
        source: "prometheus/alertmanager@v0.34.1",
        readAt: "v0.34.0: the newest tag in the repository; metric names do not change in patch releases",
        metrics: {
            alertmanager_notifications_failed_total: "notify/metrics.go:50",
        },
    },
};

/** Every series name the exporters above produce (histograms with their three series). */
export function exporterSeriesNames(): Set<string> {
    const names = new Set<string>();
    for (const e of Object.values(EXPORTER_METRICS)) {
        for (const name of Object.keys(e.metrics)) {
            if (e.histograms?.includes(name)) for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
            else names.add(name);
        }
    }
    return names;
}
