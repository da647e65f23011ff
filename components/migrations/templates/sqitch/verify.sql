-- Verify {{project}}:{{change}} on pg
-- Fails (an error stops psql) when what deploy/{{change}}.sql made is not there. Read only.

-- e.g. SELECT user_id FROM llm_traces WHERE false;
-- e.g. SELECT 1 / count(*) FROM pg_indexes WHERE indexname = 'idx_llm_traces_user';
