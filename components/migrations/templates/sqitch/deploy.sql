-- Deploy {{project}}:{{change}} to pg
-- {{note}}
-- Runs once, in plan order, then verify/{{change}}.sql runs; a failed verify runs
-- revert/{{change}}.sql. Keep it one transaction, so a failure leaves nothing behind
-- (a TimescaleDB continuous aggregate cannot be created in one: drop BEGIN/COMMIT then).

BEGIN;

-- e.g. ALTER TABLE llm_traces ADD COLUMN user_id TEXT;

COMMIT;
