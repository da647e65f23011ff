-- Deploy llm_observatory:llm_logs_hypertable to pg
-- Daily chunks that retention drops whole, and a columnstore that compresses older chunks
-- segmented by service_name (when they are compressed is the policies step's setting, not a change).

BEGIN;

SELECT create_hypertable('llm_logs', by_range('timestamp', INTERVAL '1 day'), migrate_data => TRUE);
ALTER TABLE llm_logs SET (
    timescaledb.enable_columnstore = TRUE,
    timescaledb.segmentby = 'service_name',
    timescaledb.orderby = '"timestamp" DESC'
);

COMMIT;
