-- Deploy llm_observatory:llm_metrics to pg
-- One row per measurement a service reports (latency, tokens per second, queue depth...).

BEGIN;

CREATE TABLE llm_metrics (
    "timestamp" TIMESTAMPTZ NOT NULL,
    service_name TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    unit TEXT,
    model TEXT,
    tags JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX idx_llm_metrics_name_time ON llm_metrics (metric_name, "timestamp" DESC);
CREATE INDEX idx_llm_metrics_service_time ON llm_metrics (service_name, "timestamp" DESC);

COMMIT;
