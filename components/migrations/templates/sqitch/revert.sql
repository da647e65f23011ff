-- Revert {{project}}:{{change}} from pg
-- Undoes exactly what deploy/{{change}}.sql did, keeping the rows that came before it.

BEGIN;

-- e.g. ALTER TABLE llm_traces DROP COLUMN user_id;

COMMIT;
