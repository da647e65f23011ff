-- Deploy llm_observatory:llm_metrics_hypertable to pg
-- Daily chunks that retention drops whole, and a columnstore that compresses older chunks
-- segmented by metric_name (when they are compressed is the policies step's setting, not a change).

BEGIN;

SELECT create_hypertable('llm_metrics', by_range('timestamp', INTERVAL '1 day'), migrate_data => TRUE);
ALTER TABLE llm_metrics SET (
    timescaledb.enable_columnstore = TRUE,
    timescaledb.segmentby = 'metric_name',
    timescaledb.orderby = '"timestamp" DESC'
);

COMMIT;
