-- Verify llm_observatory:llm_traces_hypertable on pg

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'llm_traces' AND compression_enabled) THEN
        RAISE EXCEPTION 'llm_traces is not a hypertable with the columnstore enabled';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM timescaledb_information.dimensions
                   WHERE hypertable_name = 'llm_traces' AND column_name = 'timestamp' AND time_interval = INTERVAL '1 day') THEN
        RAISE EXCEPTION 'llm_traces is not partitioned by "timestamp" into daily chunks';
    END IF;
END
$$;
