-- Verify llm_observatory:llm_metrics on pg
-- Fails when a column or an index is missing.

SELECT "timestamp", service_name, metric_name, value, unit, model, tags
FROM llm_metrics
WHERE false;

DO $$
BEGIN
    IF (SELECT count(*) FROM pg_indexes
        WHERE schemaname = current_schema() AND tablename = 'llm_metrics'
          AND indexname IN ('idx_llm_metrics_name_time', 'idx_llm_metrics_service_time')) <> 2 THEN
        RAISE EXCEPTION 'llm_metrics lacks one of its indexes';
    END IF;
END
$$;
