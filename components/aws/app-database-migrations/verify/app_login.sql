-- Verify app_database:app_login on pg

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app' AND rolcanlogin AND NOT rolsuper AND NOT rolcreaterole AND NOT rolcreatedb) THEN
        RAISE EXCEPTION 'login role app is missing, or has more than it needs';
    END IF;
    IF NOT pg_has_role('app', 'app_readwrite', 'MEMBER') THEN
        RAISE EXCEPTION 'app is not a member of app_readwrite';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') AND NOT pg_has_role('app', 'rds_iam', 'MEMBER') THEN
        RAISE EXCEPTION 'app cannot sign in with IAM authentication (not a member of rds_iam)';
    END IF;
END
$$;
