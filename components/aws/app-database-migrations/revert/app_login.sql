-- Revert app_database:app_login from pg
-- The application can no longer sign in.

BEGIN;

DROP ROLE app;

COMMIT;
