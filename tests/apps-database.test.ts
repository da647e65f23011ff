/**
 * An app's database and role on TimescaleDB's PostgreSQL, as the step `app-roles` creates them
 * (the same script), under a real server with password logins over TCP: the role logs in with
 * its generated password, owns its database, and can read neither the platform's tables nor
 * another app's database.
 */
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseConfig } from "../components/config/load";
import { appDatabaseRoles } from "../components/apps/databases";
import { renderAppRolesSql } from "../components/timescale/app-roles-sql";
import { postgresBinDir, startPostgres, TestPostgres } from "./helpers/postgres";
import { requireTool } from "./helpers/tools";

describe("apps' PostgreSQL roles under a real PostgreSQL", function () {
    this.timeout(60000);
    let pg: TestPostgres | undefined;
    let psql: string;
    const config = parseConfig({
        apps: [
            { name: "courses-api", upstream: { address: "a:1" }, routes: [{ pathPrefix: "/courses" }], databases: { postgres: { store: "timescale" } } },
            { name: "lab", upstream: { address: "b:1" }, routes: [{ pathPrefix: "/lab" }], databases: { postgres: { store: "timescale", database: "labs", role: "user" } } },
        ],
    });
    const roles = appDatabaseRoles(config.apps, "timescale");
    const passwords: Record<string, string> = { [roles[0].passwordEnv]: "Gen-erated_Pass.word~1", [roles[1].passwordEnv]: "An0ther-Generated_Pass" };

    /** A login over TCP as a client of the platform network would make it (scram-sha-256). */
    const login = (role: string, password: string, database: string, sql: string) =>
        spawnSync(psql, ["-v", "ON_ERROR_STOP=1", "-tA", "-h", "127.0.0.1", "-p", pg!.env.PGPORT, "-U", role, "-d", database, "-c", sql], {
            encoding: "utf8",
            env: { PATH: process.env.PATH, PGPASSWORD: password },
        });

    const runStep = (env: Record<string, string>) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-app-roles-"));
        const file = path.join(dir, "app-roles.sql");
        fs.writeFileSync(file, renderAppRolesSql(roles));
        const r = spawnSync(psql, ["-v", "ON_ERROR_STOP=1", "-d", "llm_observatory", "-f", file], { encoding: "utf8", env: { ...process.env, ...pg!.env, ...env } });
        fs.rmSync(dir, { recursive: true, force: true });
        assert.equal(r.status, 0, r.stderr);
    };

    before(async function () {
        psql = requireTool(this, "psql", "postgresql-client");
        pg = await startPostgres(postgresBinDir() ?? path.dirname(requireTool(this, "initdb", "postgresql")), { passwordOverTcp: true });
        // The platform's database and a table of it, owned by the owner as the migrations leave it.
        pg.psql("postgres", "CREATE DATABASE llm_observatory");
        pg.psql("llm_observatory", "CREATE TABLE llm_traces (id bigint PRIMARY KEY, prompt text); INSERT INTO llm_traces VALUES (1, 'secret prompt')");
        runStep(passwords);
    });

    after(() => pg?.stop());

    it("names each app's database and role after the app unless the config names them", () => {
        assert.deepEqual(
            roles.map((r) => [r.app, r.database, r.role]),
            [
                ["courses-api", "courses_api", "courses_api"],
                ["lab", "labs", "user"],
            ],
        );
    });

    it("lets each role log in with its generated password and work in its own database", () => {
        const r = login("courses_api", passwords[roles[0].passwordEnv], "courses_api", "CREATE TABLE courses (id int); INSERT INTO courses VALUES (1); SELECT count(*) FROM courses");
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim().split("\n").at(-1), "1");
        assert.equal(login("user", passwords[roles[1].passwordEnv], "labs", "SELECT current_user").stdout.trim(), "user", "a reserved word is quoted");
        assert.notEqual(login("courses_api", "wrong-password", "courses_api", "SELECT 1").status, 0);
    });

    it("keeps the platform's tables and the other apps' databases out of reach", () => {
        const platform = login("courses_api", passwords[roles[0].passwordEnv], "llm_observatory", "SELECT prompt FROM llm_traces");
        assert.notEqual(platform.status, 0);
        assert.match(platform.stderr, /permission denied for table llm_traces/);
        const other = login("courses_api", passwords[roles[0].passwordEnv], "labs", "SELECT 1");
        assert.notEqual(other.status, 0);
        assert.match(other.stderr, /permission denied for database "labs"/);
        const attrs = pg!.psql("postgres", "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication FROM pg_roles WHERE rolname = 'courses_api'");
        assert.equal(attrs, "f|f|f|f");
    });

    it("runs again with a new password: the role takes it, the data stays", () => {
        runStep({ ...passwords, [roles[0].passwordEnv]: "Rotated-Password_2" });
        assert.notEqual(login("courses_api", passwords[roles[0].passwordEnv], "courses_api", "SELECT 1").status, 0);
        assert.equal(login("courses_api", "Rotated-Password_2", "courses_api", "SELECT count(*) FROM courses").stdout.trim(), "1");
    });
});
