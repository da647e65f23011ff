-- Verify llm_observatory:llm_traces on pg
-- Fails when a column, the primary key or an index is missing.

SELECT "timestamp", id, trace_id, span_id, parent_span_id, service_name, operation, provider, model, status,
       duration_ms, prompt_tokens, completion_tokens, total_tokens, cost_usd, attributes
FROM llm_traces
WHERE false;

DO $$
BEGIN
    IF (SELECT count(*) FROM pg_indexes
        WHERE schemaname = current_schema() AND tablename = 'llm_traces'
          AND indexname IN ('llm_traces_pkey', 'idx_llm_traces_service_time', 'idx_llm_traces_trace_id', 'idx_llm_traces_model_time')) <> 4 THEN
        RAISE EXCEPTION 'llm_traces lacks its primary key or one of its indexes';
    END IF;
END
$$;
