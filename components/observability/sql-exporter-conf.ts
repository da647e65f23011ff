import { stringify } from "yaml";

export interface SqlExporterArgs {
    /** `host:port` of SQL Server. */
    readonly target: string;
    readonly user: string;
    readonly password: string;
    /** The application database: its vector indexes' use is reported. */
    readonly database: string;
}

/** Metrics the alerts and dashboards read; every query needs only VIEW SERVER STATE / VIEW ANY DEFINITION. */
const COLLECTOR = {
    collector_name: "llm_mssql",
    metrics: [
        {
            metric_name: "mssql_user_connections",
            type: "gauge",
            help: "User sessions connected.",
            values: ["count"],
            query: "SELECT COUNT(*) AS count FROM sys.dm_exec_sessions WHERE is_user_process = 1",
        },
        {
            metric_name: "mssql_max_connections",
            type: "gauge",
            help: "Connections the server allows (@@MAX_CONNECTIONS).",
            values: ["max_connections"],
            query: "SELECT @@MAX_CONNECTIONS AS max_connections",
        },
        {
            metric_name: "mssql_database_size_bytes",
            type: "gauge",
            help: "Size of each database's files.",
            key_labels: ["db", "file_type"],
            values: ["size_bytes"],
            query:
                "SELECT DB_NAME(database_id) AS db, type_desc AS file_type, SUM(CAST(size AS BIGINT)) * 8192 AS size_bytes " +
                "FROM sys.master_files GROUP BY database_id, type_desc",
        },
        {
            metric_name: "mssql_batch_requests",
            type: "counter",
            help: "Batch requests received.",
            values: ["cntr_value"],
            query: "SELECT cntr_value FROM sys.dm_os_performance_counters WITH (NOLOCK) WHERE counter_name = 'Batch Requests/sec'",
        },
        {
            metric_name: "mssql_deadlocks",
            type: "counter",
            help: "Lock requests that ended in a deadlock.",
            values: ["cntr_value"],
            query:
                "SELECT cntr_value FROM sys.dm_os_performance_counters WITH (NOLOCK) " +
                "WHERE counter_name = 'Number of Deadlocks/sec' AND instance_name = '_Total'",
        },
        {
            metric_name: "mssql_memory_used_bytes",
            type: "gauge",
            help: "Memory the server process uses.",
            values: ["used_bytes"],
            query: "SELECT physical_memory_in_use_kb * 1024 AS used_bytes FROM sys.dm_os_process_memory",
        },
    ],
};

/** Waits that only mean "idle": background tasks sleeping, queues waiting for work. */
const BENIGN_WAITS = [
    "%SLEEP%",
    "%QUEUE%",
    "BROKER[_]%",
    "XE[_]%",
    "HADR[_]%",
    "SQLTRACE[_]%",
    "WAITFOR",
    "DISPATCHER_QUEUE_SEMAPHORE",
    "REQUEST_FOR_DEADLOCK_SEARCH",
    "CHECKPOINT_QUEUE",
    "DIRTY_PAGE_POLL",
    "SP_SERVER_DIAGNOSTICS_SLEEP",
    "QDS[_]%",
    "PWAIT_ALL_COMPONENTS_INITIALIZED",
    "PWAIT_DIRECTLOGCONSUMER_GETNEXT",
    "PARALLEL_REDO%",
    "SOS_WORK_DISPATCHER",
];

/**
 * The runbooks' diagnostic queries as metrics: wait statistics, the slowest statements in the
 * plan cache, and the use of the DiskANN vector indexes. Read at most once a minute (sql_exporter
 * caches a collector's result for its min_interval: config/collector_config.go:16, 0.24.6).
 */
function diagnostics(database: string) {
    const db = database.replace(/]/g, "]]");
    const dbName = database.replace(/'/g, "''");
    return {
        collector_name: "llm_mssql_diagnostics",
        min_interval: "60s",
        metrics: [
            {
                metric_name: "mssql_wait_seconds_total",
                type: "counter",
                help: "Time tasks spent waiting, by wait type (sys.dm_os_wait_stats; idle waits left out).",
                key_labels: ["wait_type"],
                values: ["wait_seconds"],
                query_ref: "waits",
            },
            {
                metric_name: "mssql_waits_total",
                type: "counter",
                help: "Waits, by wait type (sys.dm_os_wait_stats; idle waits left out).",
                key_labels: ["wait_type"],
                values: ["waiting_tasks"],
                query_ref: "waits",
            },
            {
                metric_name: "mssql_slow_query_mean_seconds",
                type: "gauge",
                help: "Mean elapsed time per execution of the 10 slowest statements in the plan cache (sys.dm_exec_query_stats).",
                key_labels: ["query_hash", "db", "query"],
                values: ["mean_seconds"],
                query_ref: "slow_queries",
            },
            {
                metric_name: "mssql_slow_query_executions",
                type: "gauge",
                help: "Executions since the plan was cached, of the 10 slowest statements.",
                key_labels: ["query_hash", "db", "query"],
                values: ["executions"],
                query_ref: "slow_queries",
            },
            {
                metric_name: "mssql_vector_index_reads_total",
                type: "counter",
                help: "Seeks, scans and lookups of each vector (DiskANN) index since SQL Server started (sys.dm_db_index_usage_stats).",
                key_labels: ["table", "index"],
                value_label: "kind",
                values: ["seeks", "scans", "lookups"],
                query:
                    `SELECT OBJECT_SCHEMA_NAME(vi.object_id, DB_ID(N'${dbName}')) + '.' + OBJECT_NAME(vi.object_id, DB_ID(N'${dbName}')) AS [table], ` +
                    "vi.name AS [index], ISNULL(us.user_seeks, 0) AS seeks, ISNULL(us.user_scans, 0) AS scans, ISNULL(us.user_lookups, 0) AS lookups " +
                    `FROM [${db}].sys.vector_indexes AS vi LEFT JOIN sys.dm_db_index_usage_stats AS us ` +
                    `ON us.database_id = DB_ID(N'${dbName}') AND us.object_id = vi.object_id AND us.index_id = vi.index_id`,
            },
        ],
        queries: [
            {
                query_name: "waits",
                query:
                    "SELECT wait_type, wait_time_ms / 1000.0 AS wait_seconds, waiting_tasks_count AS waiting_tasks FROM sys.dm_os_wait_stats " +
                    `WHERE waiting_tasks_count > 0 AND ${BENIGN_WAITS.map((w) => `wait_type NOT LIKE '${w}'`).join(" AND ")}`,
            },
            {
                // One row per query hash (a statement may have several plans): labels must be unique.
                query_name: "slow_queries",
                query:
                    "SELECT TOP 10 CONVERT(varchar(18), qs.query_hash, 1) AS query_hash, ISNULL(MAX(DB_NAME(st.dbid)), '') AS db, " +
                    "MAX(LEFT(REPLACE(REPLACE(SUBSTRING(st.text, qs.statement_start_offset / 2 + 1, " +
                    "(CASE qs.statement_end_offset WHEN -1 THEN DATALENGTH(st.text) ELSE qs.statement_end_offset END - qs.statement_start_offset) / 2 + 1), " +
                    "CHAR(13), ' '), CHAR(10), ' '), 120)) AS query, " +
                    "SUM(qs.total_elapsed_time) / 1000000.0 / SUM(qs.execution_count) AS mean_seconds, SUM(qs.execution_count) AS executions " +
                    "FROM sys.dm_exec_query_stats AS qs CROSS APPLY sys.dm_exec_sql_text(qs.sql_handle) AS st " +
                    "GROUP BY qs.query_hash ORDER BY mean_seconds DESC",
            },
        ],
    };
}

/** Every metric name the generated collectors produce (the dashboards are checked against them). */
export function sqlExporterMetricNames(): string[] {
    return [COLLECTOR, diagnostics("db")].flatMap((c) => c.metrics.map((m) => m.metric_name));
}

/**
 * sql_exporter.yml with its collectors inline (`collectors:` in the main file: config/config.go:74,
 * 0.24.6): the least-privilege login, TLS to SQL Server's own certificate.
 */
export function renderSqlExporterConfig(a: SqlExporterArgs): string {
    const dsn = `sqlserver://${encodeURIComponent(a.user)}:${encodeURIComponent(a.password)}@${a.target}?encrypt=true&TrustServerCertificate=true`;
    return (
        "# Generated by llm-platform: edit the program, not this file.\n" +
        stringify({
            global: { scrape_timeout: "10s", scrape_timeout_offset: "500ms", min_interval: "0s", max_connections: 3, max_idle_connections: 3 },
            target: { data_source_name: dsn, collectors: [COLLECTOR.collector_name, "llm_mssql_diagnostics"] },
            collectors: [COLLECTOR, diagnostics(a.database)],
        })
    );
}
