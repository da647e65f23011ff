-- Verify app_database:app_schema on pg

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'app' AND nspowner = 'app_owner'::regrole) THEN
        RAISE EXCEPTION 'schema app is missing or not owned by app_owner';
    END IF;
    IF NOT (has_schema_privilege('app_readwrite', 'app', 'USAGE') AND has_schema_privilege('app_readonly', 'app', 'USAGE')) THEN
        RAISE EXCEPTION 'app_readwrite or app_readonly cannot use schema app';
    END IF;
    IF has_database_privilege('public', current_database(), 'CONNECT') THEN
        RAISE EXCEPTION 'every role may connect to %: only the application''s roles should', current_database();
    END IF;
    IF (SELECT count(*) FROM pg_default_acl
        WHERE defaclrole = 'app_owner'::regrole AND defaclnamespace = 'app'::regnamespace) <> 2 THEN
        RAISE EXCEPTION 'the default privileges of app_owner in schema app (tables, sequences) are missing';
    END IF;
END
$$;
