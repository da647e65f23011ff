-- Verify llm_observatory:timescaledb on pg

SELECT 1 / count(*) FROM pg_extension WHERE extname = 'timescaledb';
