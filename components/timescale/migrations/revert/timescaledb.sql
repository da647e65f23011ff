-- Revert llm_observatory:timescaledb from pg
-- Only after every hypertable and continuous aggregate was reverted (they require this change).

DROP EXTENSION timescaledb;
