-- Revert llm_observatory:llm_logs_hypertable from pg
-- TimescaleDB cannot turn a hypertable back into a plain table: the rows move into a new
-- plain one with the same columns and indexes (what llm_logs deployed). Compressed chunks
-- are read back transparently; the copy needs the table's size again in free space.

BEGIN;

CREATE TABLE llm_logs_plain (LIKE llm_logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO llm_logs_plain SELECT * FROM llm_logs;
DROP TABLE llm_logs;
ALTER TABLE llm_logs_plain RENAME TO llm_logs;
CREATE INDEX idx_llm_logs_service_time ON llm_logs (service_name, "timestamp" DESC);
CREATE INDEX idx_llm_logs_level_time ON llm_logs (level, "timestamp" DESC);
CREATE INDEX idx_llm_logs_trace_id ON llm_logs (trace_id, "timestamp" DESC) WHERE trace_id IS NOT NULL;

COMMIT;
