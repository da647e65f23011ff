-- Verify app_database:app_roles on pg

DO $$
BEGIN
    IF (SELECT count(*) FROM pg_roles
        WHERE rolname IN ('app_owner', 'app_readwrite', 'app_readonly') AND NOT rolcanlogin AND NOT rolsuper) <> 3 THEN
        RAISE EXCEPTION 'app_owner, app_readwrite and app_readonly must exist as group roles (NOLOGIN, not superuser)';
    END IF;
    IF NOT pg_has_role(current_user, 'app_owner', 'MEMBER') THEN
        RAISE EXCEPTION '% is not a member of app_owner', current_user;
    END IF;
END
$$;
