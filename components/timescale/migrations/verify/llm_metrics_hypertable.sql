-- Verify llm_observatory:llm_metrics_hypertable on pg

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'llm_metrics' AND compression_enabled) THEN
        RAISE EXCEPTION 'llm_metrics is not a hypertable with the columnstore enabled';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM timescaledb_information.dimensions
                   WHERE hypertable_name = 'llm_metrics' AND column_name = 'timestamp' AND time_interval = INTERVAL '1 day') THEN
        RAISE EXCEPTION 'llm_metrics is not partitioned by "timestamp" into daily chunks';
    END IF;
END
$$;
