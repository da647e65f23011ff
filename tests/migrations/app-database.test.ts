import assert from "node:assert/strict";
import * as path from "path";
import { APP_DATABASE_MIGRATIONS } from "../../components/aws/app-database-plan";
import { planChanges } from "../../components/migrations/add";
import { createDatabase, runMigrate } from "../helpers/migrations";
import { postgresBinDir, startPostgres, TestPostgres } from "../helpers/postgres";
import { requireTool } from "../helpers/tools";

const changes = planChanges(APP_DATABASE_MIGRATIONS);

describe("RDS app database migrations under real Sqitch and PostgreSQL", function () {
    this.timeout(180000);
    let pg: TestPostgres | undefined;
    // As RDS's master user: not a superuser, CREATEROLE, owner of the database; rds_iam as RDS has it.
    const master = { PGUSER: "master" };
    const migrate = (...args: string[]) => runMigrate(pg!, "app", APP_DATABASE_MIGRATIONS, args, master);
    const yes = (condition: string) => assert.equal(pg!.psql("app", `SELECT ${condition}`), "t", condition);

    before(async function () {
        requireTool(this, "sqitch", "sqitch");
        requireTool(this, "psql", "postgresql-client");
        pg = await startPostgres(postgresBinDir() ?? path.dirname(requireTool(this, "initdb", "postgresql")));
        pg.psql("postgres", "CREATE ROLE master LOGIN CREATEROLE CREATEDB; CREATE ROLE rds_iam NOLOGIN; GRANT rds_iam TO master WITH ADMIN OPTION");
        createDatabase(pg, "app", "master");
    });

    after(() => pg?.stop());

    it("deploys, verifies, reverts and redeploys every change, one at a time, as a non-superuser", () => {
        assert.deepEqual(changes, ["app_roles", "app_schema", "app_login"]);
        for (const c of changes) {
            const r = migrate("deploy", "--to", c);
            assert.equal(r.status, 0, r.out);
            assert.match(r.out, new RegExp(`\\+ ${c} \\.+ ok`));
        }
        assert.equal(migrate("verify").status, 0);
        for (const c of [...changes].reverse()) {
            const r = migrate("revert", "--yes");
            assert.equal(r.status, 0, r.out);
            assert.match(r.out, new RegExp(`- ${c} \\.+ ok`));
        }
        yes("NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname IN ('app', 'app_owner', 'app_readwrite', 'app_readonly'))");
        yes("has_database_privilege('public', 'app', 'CONNECT')");
        assert.equal(migrate("deploy").status, 0);
        assert.equal(migrate("verify").status, 0);
    });

    it("gives the app what it needs and no more: its login reads and writes what app_owner creates, readers only read, others cannot connect", () => {
        // What an application's own migration does: create its tables as app_owner.
        pg!.psql("app", "SET ROLE app_owner; CREATE TABLE app.notes (id serial PRIMARY KEY, body text); RESET ROLE");
        yes("has_table_privilege('app', 'app.notes', 'INSERT') AND has_table_privilege('app', 'app.notes', 'DELETE')");
        yes("has_sequence_privilege('app', 'app.notes_id_seq', 'USAGE')");
        yes("has_table_privilege('app_readonly', 'app.notes', 'SELECT') AND NOT has_table_privilege('app_readonly', 'app.notes', 'INSERT')");
        yes("NOT has_table_privilege('app', 'app.notes', 'TRUNCATE') AND NOT has_schema_privilege('app', 'app', 'CREATE')");
        yes("pg_has_role('app', 'rds_iam', 'MEMBER')");
        yes("(SELECT rolcanlogin AND NOT rolsuper AND NOT rolcreaterole FROM pg_roles WHERE rolname = 'app')");
        pg!.psql("postgres", "CREATE ROLE stranger LOGIN");
        yes("NOT has_database_privilege('stranger', 'app', 'CONNECT')");
        yes("(SELECT 'search_path=app' = ANY (setconfig) FROM pg_db_role_setting WHERE setrole = 'app'::regrole)");
    });

    it("runs nothing on a second deploy", () => {
        assert.match(migrate("deploy").out, /Nothing to deploy \(up-to-date\)/);
    });
});
