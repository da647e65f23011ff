-- Revert llm_observatory:llm_metrics_hypertable from pg
-- TimescaleDB cannot turn a hypertable back into a plain table: the rows move into a new
-- plain one with the same columns and indexes (what llm_metrics deployed). Compressed
-- chunks are read back transparently; the copy needs the table's size again in free space.

BEGIN;

CREATE TABLE llm_metrics_plain (LIKE llm_metrics INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO llm_metrics_plain SELECT * FROM llm_metrics;
DROP TABLE llm_metrics;
ALTER TABLE llm_metrics_plain RENAME TO llm_metrics;
CREATE INDEX idx_llm_metrics_name_time ON llm_metrics (metric_name, "timestamp" DESC);
CREATE INDEX idx_llm_metrics_service_time ON llm_metrics (service_name, "timestamp" DESC);

COMMIT;
