-- Revert llm_observatory:llm_traces from pg
-- Drops the table and every row in it.

BEGIN;

DROP TABLE llm_traces;

COMMIT;
