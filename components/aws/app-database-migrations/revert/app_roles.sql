-- Revert app_database:app_roles from pg
-- Only after app_schema and app_login were reverted (they require this change).

BEGIN;

REVOKE app_owner FROM CURRENT_USER;
DROP ROLE app_readonly;
DROP ROLE app_readwrite;
DROP ROLE app_owner;

COMMIT;
