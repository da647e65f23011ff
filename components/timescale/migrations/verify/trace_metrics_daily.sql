-- Verify llm_observatory:trace_metrics_daily on pg

SELECT bucket, service_name, model, request_count, error_count, avg_duration_ms, max_duration_ms,
       prompt_tokens, completion_tokens, total_tokens, cost_usd
FROM trace_metrics_daily
WHERE false;

SELECT 1 / count(*) FROM timescaledb_information.continuous_aggregates WHERE view_name = 'trace_metrics_daily';
