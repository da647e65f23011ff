import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MONITOR_PASSWORD_ENV, renderMonitorRoleSql } from "../../components/timescale/monitor-role-sql";
import { freePort } from "../helpers/ports";
import { requireTool } from "../helpers/tools";

/** Debian keeps the server binaries out of PATH, under /usr/lib/postgresql/<major>/bin. */
function postgresBin(): string | undefined {
    const root = "/usr/lib/postgresql";
    if (!fs.existsSync(root)) return undefined;
    const majors = fs.readdirSync(root).filter((d) => fs.existsSync(path.join(root, d, "bin", "initdb")));
    return majors.length ? path.join(root, majors.sort().pop()!, "bin") : undefined;
}

describe("TimescaleDB's monitoring role under a real PostgreSQL", function () {
    this.timeout(60000);
    let dir: string;
    let bin: string;
    let psql: string;
    let port: number;
    /** PostgreSQL refuses to run as root: run the server as nobody then. */
    const asServer = (cmd: string, args: string[]) =>
        process.getuid?.() === 0 ? spawnSync("runuser", ["-u", "nobody", "--", cmd, ...args], { encoding: "utf8" }) : spawnSync(cmd, args, { encoding: "utf8" });

    before(async function () {
        psql = requireTool(this, "psql", "postgresql-client");
        // Not on PATH: requireTool then skips (or fails in CI) with the package to install.
        bin = postgresBin() ?? path.dirname(requireTool(this, "initdb", "postgresql"));
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-pg-"));
        fs.chmodSync(dir, 0o777);
        port = await freePort();
        const init = asServer(path.join(bin, "initdb"), ["-D", path.join(dir, "data"), "-U", "postgres", "--auth=trust"]);
        assert.equal(init.status, 0, init.stderr);
        const start = asServer(path.join(bin, "pg_ctl"), ["-D", path.join(dir, "data"), "-o", `-k ${dir} -p ${port} -c listen_addresses=''`, "-l", path.join(dir, "log"), "-w", "start"]);
        assert.equal(start.status, 0, start.stderr);
    });

    after(() => {
        if (bin && dir) asServer(path.join(bin, "pg_ctl"), ["-D", path.join(dir, "data"), "-m", "fast", "stop"]);
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const sql = (args: string[], env: Record<string, string> = {}) =>
        spawnSync(psql, ["-h", dir, "-p", String(port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", ...args], {
            encoding: "utf8",
            env: { ...process.env, ...env },
        });

    it("creates a pg_monitor login with the password from env, and runs again without error", () => {
        fs.writeFileSync(path.join(dir, "role.sql"), renderMonitorRoleSql());
        for (const password of ["FirstPassword123", "SecondPassword456"]) {
            const r = sql(["-f", path.join(dir, "role.sql")], { [MONITOR_PASSWORD_ENV]: password });
            assert.equal(r.status, 0, r.stderr);
        }
        const role = sql(["-Atc", "SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin, pg_has_role('llm_monitor', 'pg_monitor', 'member') FROM pg_roles WHERE rolname = 'llm_monitor'"]);
        assert.equal(role.stdout.trim(), "f|f|f|t|t");
    });
});
