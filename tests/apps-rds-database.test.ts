/**
 * Apps' databases on RDS (`apps[].databases.postgres.store: rds`): the RDS app database's migrate
 * Job runs the real Sqitch runner as RDS's master user (not a superuser: CREATEROLE, CREATEDB,
 * as tests/migrations/app-database.test.ts models it), then the apps' script as its after-deploy
 * step. Under a real PostgreSQL with password logins over TCP: each app's login signs in with its
 * generated password, owns its database, and reaches neither the platform's app database nor
 * another app's; a second run with a rotated password changes only the password.
 */
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { appDatabaseRoles } from "../components/apps/databases";
import { APP_DATABASE_MIGRATIONS } from "../components/aws/app-database-plan";
import { parseConfig } from "../components/config/load";
import { renderAppRolesSql } from "../components/timescale/app-roles-sql";
import { createDatabase, runMigrate } from "./helpers/migrations";
import { postgresBinDir, startPostgres, TestPostgres } from "./helpers/postgres";
import { requireTool } from "./helpers/tools";
import { withExampleUserValues } from "../harness/example-user-values";
import { stackConfigValues } from "../harness/run-stack";

describe("apps' PostgreSQL logins on RDS, made by the app database's migrate step under real Sqitch and PostgreSQL", function () {
    this.timeout(180000);
    let pg: TestPostgres | undefined;
    let psql: string;
    let dir: string;
    const prod = withExampleUserValues(stackConfigValues("prod")).values;
    const config = parseConfig({
        ...Object.fromEntries(Object.entries(prod).map(([k, v]) => [k.replace(/^llm-platform:/, ""), v])),
        apps: [
            { name: "courses-api", upstream: { service: "api.courses:8000" }, routes: [{ pathPrefix: "/courses" }], databases: { postgres: { store: "rds" } } },
            { name: "lab", upstream: { service: "lab.labs:8000" }, routes: [{ pathPrefix: "/lab" }], databases: { postgres: { store: "rds", database: "labs", role: "user" } } },
        ],
    });
    const roles = appDatabaseRoles(config.apps, "rds");
    const passwords: Record<string, string> = { [roles[0].passwordEnv]: "Gen-erated_Pass.word~1", [roles[1].passwordEnv]: "An0ther-Generated_Pass" };
    const master = { PGUSER: "master" };
    const deploy = (env: Record<string, string>) => runMigrate(pg!, "app", APP_DATABASE_MIGRATIONS, ["deploy"], { ...master, MIGRATE_AFTER_DEPLOY: path.join(dir, "after-deploy.sql"), ...env });

    const login = (role: string, password: string, database: string, sql: string) =>
        spawnSync(psql, ["-X", "-v", "ON_ERROR_STOP=1", "-tA", "-h", "127.0.0.1", "-p", pg!.env.PGPORT, "-U", role, "-d", database, "-c", sql], {
            encoding: "utf8",
            env: { PATH: process.env.PATH, PGPASSWORD: password },
        });

    before(async function () {
        requireTool(this, "sqitch", "sqitch");
        psql = requireTool(this, "psql", "postgresql-client");
        pg = await startPostgres(postgresBinDir() ?? path.dirname(requireTool(this, "initdb", "postgresql")), { passwordOverTcp: true });
        // RDS's master user: CREATEROLE and CREATEDB, no superuser; rds_iam as RDS has it.
        pg.psql("postgres", "CREATE ROLE master LOGIN CREATEROLE CREATEDB; CREATE ROLE rds_iam NOLOGIN; GRANT rds_iam TO master WITH ADMIN OPTION");
        createDatabase(pg, "app", "master");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-rds-app-roles-"));
        fs.chmodSync(dir, 0o755);
        fs.writeFileSync(path.join(dir, "after-deploy.sql"), renderAppRolesSql(roles, "createrole"));
    });

    after(() => {
        pg?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("deploys the plan, then creates each app's login and database as the master user", () => {
        const r = deploy(passwords);
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, /applying after-deploy\.sql/);
        assert.deepEqual(
            roles.map((x) => [x.app, x.database, x.role]),
            [
                ["courses-api", "courses_api", "courses_api"],
                ["lab", "labs", "user"],
            ],
        );
        assert.equal(pg!.psql("postgres", "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'courses_api'"), "courses_api");
        assert.equal(pg!.psql("postgres", "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = 'courses_api'"), "f|f|f|f|f");
    });

    it("lets each login sign in with its generated password and work in its own database", () => {
        const r = login("courses_api", passwords[roles[0].passwordEnv], "courses_api", "CREATE TABLE courses (id int); INSERT INTO courses VALUES (1); SELECT count(*) FROM courses");
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim().split("\n").at(-1), "1");
        assert.equal(login("user", passwords[roles[1].passwordEnv], "labs", "SELECT current_user").stdout.trim(), "user", "a reserved word is quoted");
        assert.notEqual(login("courses_api", "wrong-password", "courses_api", "SELECT 1").status, 0);
    });

    it("keeps the platform's app database and the other apps' databases out of reach", () => {
        pg!.psql("app", "SET ROLE app_owner; CREATE TABLE app.notes (id int, body text); INSERT INTO app.notes VALUES (1, 'platform data'); RESET ROLE");
        const platform = login("courses_api", passwords[roles[0].passwordEnv], "app", "SELECT body FROM app.notes");
        assert.notEqual(platform.status, 0);
        assert.match(platform.stderr, /permission denied for database "app"/);
        const other = login("courses_api", passwords[roles[0].passwordEnv], "labs", "SELECT 1");
        assert.notEqual(other.status, 0);
        assert.match(other.stderr, /permission denied for database "labs"/);
    });

    it("runs again with a rotated password: nothing to deploy, the login takes the new password, the data stays", () => {
        const r = deploy({ ...passwords, [roles[0].passwordEnv]: "Rotated-Password_2" });
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, /Nothing to deploy \(up-to-date\)/);
        assert.notEqual(login("courses_api", passwords[roles[0].passwordEnv], "courses_api", "SELECT 1").status, 0);
        assert.equal(login("courses_api", "Rotated-Password_2", "courses_api", "SELECT count(*) FROM courses").stdout.trim(), "1");
    });
});
