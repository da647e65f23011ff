-- Deploy llm_observatory:llm_logs to pg
-- One row per log line of an LLM application, linked to its trace when it has one.

BEGIN;

CREATE TABLE llm_logs (
    "timestamp" TIMESTAMPTZ NOT NULL,
    service_name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('trace', 'debug', 'info', 'warn', 'error', 'fatal')),
    trace_id TEXT,
    span_id TEXT,
    message TEXT NOT NULL,
    attributes JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX idx_llm_logs_service_time ON llm_logs (service_name, "timestamp" DESC);
CREATE INDEX idx_llm_logs_level_time ON llm_logs (level, "timestamp" DESC);
CREATE INDEX idx_llm_logs_trace_id ON llm_logs (trace_id, "timestamp" DESC) WHERE trace_id IS NOT NULL;

COMMIT;
