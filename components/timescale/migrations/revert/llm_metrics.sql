-- Revert llm_observatory:llm_metrics from pg
-- Drops the table and every row in it.

BEGIN;

DROP TABLE llm_metrics;

COMMIT;
