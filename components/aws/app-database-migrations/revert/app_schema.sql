-- Revert app_database:app_schema from pg
-- Drops the schema and every object in it: the application's data goes with it.

BEGIN;

DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM app_owner, app_readwrite, app_readonly', current_database());
    -- PostgreSQL's default: everyone may connect and create temporary tables.
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
END
$$;

ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA app REVOKE SELECT ON SEQUENCES FROM app_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA app REVOKE USAGE, SELECT ON SEQUENCES FROM app_readwrite;
ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA app REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM app_readwrite;
ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA app REVOKE SELECT ON TABLES FROM app_readonly;
DROP SCHEMA app CASCADE;

COMMIT;
