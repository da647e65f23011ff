import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MONITOR_PASSWORD_ENV, renderMonitorRoleSql } from "../../components/timescale/monitor-role-sql";
import { postgresBinDir, startPostgres, TestPostgres } from "../helpers/postgres";
import { requireTool } from "../helpers/tools";

describe("TimescaleDB's monitoring role under a real PostgreSQL", function () {
    this.timeout(60000);
    let pg: TestPostgres | undefined;
    let psql: string;

    before(async function () {
        psql = requireTool(this, "psql", "postgresql-client");
        // Not on PATH: requireTool then skips (or fails in CI) naming the package.
        pg = await startPostgres(postgresBinDir() ?? path.dirname(requireTool(this, "initdb", "postgresql")));
    });

    after(() => pg?.stop());

    it("creates a pg_monitor login with the password from env, and runs again without error", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "llm-role-")), "role.sql");
        fs.writeFileSync(file, renderMonitorRoleSql());
        for (const password of ["FirstPassword123", "SecondPassword456"]) {
            const r = spawnSync(psql, ["-v", "ON_ERROR_STOP=1", "-d", "postgres", "-f", file], {
                encoding: "utf8",
                env: { ...process.env, ...pg!.env, [MONITOR_PASSWORD_ENV]: password },
            });
            assert.equal(r.status, 0, r.stderr);
        }
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
        const role = pg!.psql(
            "postgres",
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin, pg_has_role('llm_monitor', 'pg_monitor', 'member') FROM pg_roles WHERE rolname = 'llm_monitor'",
        );
        assert.equal(role, "f|f|f|t|t");
    });
});
