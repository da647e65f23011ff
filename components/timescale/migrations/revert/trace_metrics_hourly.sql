-- Revert llm_observatory:trace_metrics_hourly from pg
-- Drops the roll-up (and its refresh policy); llm_traces keeps the raw rows it was computed from.

DROP MATERIALIZED VIEW trace_metrics_hourly;
