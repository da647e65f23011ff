-- Verify llm_observatory:llm_logs on pg
-- Fails when a column or an index is missing.

SELECT "timestamp", service_name, level, trace_id, span_id, message, attributes
FROM llm_logs
WHERE false;

DO $$
BEGIN
    IF (SELECT count(*) FROM pg_indexes
        WHERE schemaname = current_schema() AND tablename = 'llm_logs'
          AND indexname IN ('idx_llm_logs_service_time', 'idx_llm_logs_level_time', 'idx_llm_logs_trace_id')) <> 3 THEN
        RAISE EXCEPTION 'llm_logs lacks one of its indexes';
    END IF;
END
$$;
