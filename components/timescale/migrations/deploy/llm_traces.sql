-- Deploy llm_observatory:llm_traces to pg
-- One row per LLM call (span): who called which model, how long it took, what it cost.

BEGIN;

CREATE TABLE llm_traces (
    "timestamp" TIMESTAMPTZ NOT NULL,
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    trace_id TEXT NOT NULL,
    span_id TEXT,
    parent_span_id TEXT,
    service_name TEXT NOT NULL,
    operation TEXT NOT NULL,
    provider TEXT,
    model TEXT,
    status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'error', 'cancelled')),
    duration_ms DOUBLE PRECISION,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    total_tokens INTEGER,
    cost_usd NUMERIC(14, 6),
    attributes JSONB NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (id, "timestamp")
);
CREATE INDEX idx_llm_traces_service_time ON llm_traces (service_name, "timestamp" DESC);
CREATE INDEX idx_llm_traces_trace_id ON llm_traces (trace_id, "timestamp" DESC);
CREATE INDEX idx_llm_traces_model_time ON llm_traces (model, "timestamp" DESC);

COMMIT;
