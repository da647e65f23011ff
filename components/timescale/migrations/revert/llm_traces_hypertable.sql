-- Revert llm_observatory:llm_traces_hypertable from pg
-- TimescaleDB cannot turn a hypertable back into a plain table: the rows move into a new
-- plain one with the same columns, key and indexes (what llm_traces deployed). Compressed
-- chunks are read back transparently; the copy needs the table's size again in free space.

BEGIN;

CREATE TABLE llm_traces_plain (LIKE llm_traces INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO llm_traces_plain SELECT * FROM llm_traces;
DROP TABLE llm_traces;
ALTER TABLE llm_traces_plain RENAME TO llm_traces;
ALTER TABLE llm_traces ADD PRIMARY KEY (id, "timestamp");
CREATE INDEX idx_llm_traces_service_time ON llm_traces (service_name, "timestamp" DESC);
CREATE INDEX idx_llm_traces_trace_id ON llm_traces (trace_id, "timestamp" DESC);
CREATE INDEX idx_llm_traces_model_time ON llm_traces (model, "timestamp" DESC);

COMMIT;
