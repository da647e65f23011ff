-- Deploy llm_observatory:timescaledb to pg
-- The image's first start creates the extension in its database already: IF NOT EXISTS.

CREATE EXTENSION IF NOT EXISTS timescaledb;
