-- Deploy app_database:app_roles to pg
-- Group roles, no logins: app_owner owns the application's objects (its migrations SET ROLE
-- to it), app_readwrite reads and writes rows, app_readonly reads them. The deployer (RDS's
-- master user, not a superuser) becomes a member of app_owner so that it may create the
-- schema for it and hand out its privileges.

BEGIN;

CREATE ROLE app_owner NOLOGIN;
CREATE ROLE app_readwrite NOLOGIN;
CREATE ROLE app_readonly NOLOGIN;
GRANT app_owner TO CURRENT_USER;

COMMIT;
