-- Deploy app_database:app_login to pg
-- The login the application uses: reads and writes rows of schema app. On RDS it signs in with
-- an IAM authentication token (rds_iam; the instance has IAM authentication on), so no password
-- exists to store or rotate; the connection Secret names it.

BEGIN;

CREATE ROLE app LOGIN IN ROLE app_readwrite;
ALTER ROLE app SET search_path = app;
DO $$
BEGIN
    -- rds_iam exists on RDS only.
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN
        GRANT rds_iam TO app;
    END IF;
END
$$;

COMMIT;
