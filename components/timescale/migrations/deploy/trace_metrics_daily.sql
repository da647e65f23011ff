-- Deploy llm_observatory:trace_metrics_daily to pg
-- Per service and model, per day: requests, errors, latency, tokens, cost. A continuous aggregate cannot be created inside a transaction block,
-- so this script has no BEGIN/COMMIT. Its refresh schedule is the policies step's setting.

CREATE MATERIALIZED VIEW trace_metrics_daily
WITH (timescaledb.continuous) AS
SELECT
    time_bucket(INTERVAL '1 day', "timestamp") AS bucket,
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
