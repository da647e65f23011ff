export interface ObservabilitySchemaArgs {
    readonly tracesRetentionDays: number;
    readonly metricsRetentionDays: number;
    readonly logsRetentionDays: number;
    readonly compressAfterDays: number;
}

interface Hypertable {
    readonly name: string;
    readonly columns: string;
    readonly indexes: readonly string[];
    readonly segmentBy: string;
    readonly retentionDays: number;
}

function hypertables(a: ObservabilitySchemaArgs): Hypertable[] {
    return [
        {
            name: "llm_traces",
            columns: `
    "timestamp" TIMESTAMPTZ NOT NULL,
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    trace_id TEXT NOT NULL,
    span_id TEXT,
    parent_span_id TEXT,
    service_name TEXT NOT NULL,
    operation TEXT NOT NULL,
    provider TEXT,
    model TEXT,
    status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'error', 'cancelled')),
    duration_ms DOUBLE PRECISION,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    total_tokens INTEGER,
    cost_usd NUMERIC(14, 6),
    attributes JSONB NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (id, "timestamp")`,
            indexes: [
                `idx_llm_traces_service_time ON llm_traces (service_name, "timestamp" DESC)`,
                `idx_llm_traces_trace_id ON llm_traces (trace_id, "timestamp" DESC)`,
                `idx_llm_traces_model_time ON llm_traces (model, "timestamp" DESC)`,
            ],
            segmentBy: "service_name",
            retentionDays: a.tracesRetentionDays,
        },
        {
            name: "llm_metrics",
            columns: `
    "timestamp" TIMESTAMPTZ NOT NULL,
    service_name TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    unit TEXT,
    model TEXT,
    tags JSONB NOT NULL DEFAULT '{}'::jsonb`,
            indexes: [
                `idx_llm_metrics_name_time ON llm_metrics (metric_name, "timestamp" DESC)`,
                `idx_llm_metrics_service_time ON llm_metrics (service_name, "timestamp" DESC)`,
            ],
            segmentBy: "metric_name",
            retentionDays: a.metricsRetentionDays,
        },
        {
            name: "llm_logs",
            columns: `
    "timestamp" TIMESTAMPTZ NOT NULL,
    service_name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('trace', 'debug', 'info', 'warn', 'error', 'fatal')),
    trace_id TEXT,
    span_id TEXT,
    message TEXT NOT NULL,
    attributes JSONB NOT NULL DEFAULT '{}'::jsonb`,
            indexes: [
                `idx_llm_logs_service_time ON llm_logs (service_name, "timestamp" DESC)`,
                `idx_llm_logs_level_time ON llm_logs (level, "timestamp" DESC)`,
                `idx_llm_logs_trace_id ON llm_logs (trace_id, "timestamp" DESC) WHERE trace_id IS NOT NULL`,
            ],
            segmentBy: "service_name",
            retentionDays: a.logsRetentionDays,
        },
    ];
}

function hypertableSql(t: Hypertable, compressAfterDays: number): string {
    return `-- ${t.name}
CREATE TABLE IF NOT EXISTS ${t.name} (${t.columns}
);
SELECT create_hypertable('${t.name}', by_range('timestamp', INTERVAL '1 day'), if_not_exists => TRUE);
${t.indexes.map((i) => `CREATE INDEX IF NOT EXISTS ${i};`).join("\n")}
DO $$
BEGIN
    IF NOT (SELECT compression_enabled FROM timescaledb_information.hypertables WHERE hypertable_name = '${t.name}') THEN
        ALTER TABLE ${t.name} SET (
            timescaledb.enable_columnstore = TRUE,
            timescaledb.segmentby = '${t.segmentBy}',
            timescaledb.orderby = '"timestamp" DESC'
        );
    END IF;
END
$$;
-- Policies are replaced on every run so that they follow the configuration.
CALL remove_columnstore_policy('${t.name}', if_exists => TRUE);
CALL add_columnstore_policy('${t.name}', after => INTERVAL '${compressAfterDays} days');
SELECT remove_retention_policy('${t.name}', if_exists => TRUE);
SELECT add_retention_policy('${t.name}', drop_after => INTERVAL '${t.retentionDays} days');
`;
}

function traceAggregate(view: string, bucket: string, startOffset: string, endOffset: string, schedule: string): string {
    return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${view}
WITH (timescaledb.continuous) AS
SELECT
    time_bucket(INTERVAL '${bucket}', "timestamp") AS bucket,
    service_name,
    model,
    count(*) AS request_count,
    count(*) FILTER (WHERE status = 'error') AS error_count,
    avg(duration_ms) AS avg_duration_ms,
    max(duration_ms) AS max_duration_ms,
    sum(prompt_tokens) AS prompt_tokens,
    sum(completion_tokens) AS completion_tokens,
    sum(total_tokens) AS total_tokens,
    sum(cost_usd) AS cost_usd
FROM llm_traces
GROUP BY bucket, service_name, model
WITH NO DATA;
SELECT remove_continuous_aggregate_policy('${view}', if_exists => TRUE);
SELECT add_continuous_aggregate_policy('${view}',
    start_offset => INTERVAL '${startOffset}',
    end_offset => INTERVAL '${endOffset}',
    schedule_interval => INTERVAL '${schedule}');
`;
}

/**
 * The observability schema of the runbooks: traces, metrics and logs as hypertables
 * with indexes, hourly and daily trace aggregates, retention and columnstore
 * (compression) policies. Safe to run again; psql runs it outside a transaction
 * because continuous aggregates cannot be created inside one.
 */
export function renderObservabilitySchema(a: ObservabilitySchemaArgs): string {
    return `-- Generated by llm-platform: edit the program, not this file.
\\set ON_ERROR_STOP on
CREATE EXTENSION IF NOT EXISTS timescaledb;

${hypertables(a)
    .map((t) => hypertableSql(t, a.compressAfterDays))
    .join("\n")}
-- Trace roll-ups the dashboards read.
${traceAggregate("trace_metrics_hourly", "1 hour", "3 hours", "1 hour", "30 minutes")}
${traceAggregate("trace_metrics_daily", "1 day", "3 days", "1 day", "1 hour")}`;
}
