-- Revert llm_observatory:llm_logs from pg
-- Drops the table and every row in it.

BEGIN;

DROP TABLE llm_logs;

COMMIT;
