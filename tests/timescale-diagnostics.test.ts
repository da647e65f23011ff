/**
 * TimescaleDB's diagnostics under Debian's PostgreSQL: the server settings the program
 * generates (TimescaleDB's own left out: Debian has no TimescaleDB), the init step's SQL, a
 * slow statement in the slow-query log, and pg_stat_statements read as the monitor role the
 * exporter logs in as.
 */
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import { postgresFlags } from "../components/timescale/timescale";
import { renderDiagnosticsSql } from "../components/timescale/diagnostics-sql";
import { postgresTlsSettings } from "../components/timescale/postgres-tls";
import { MONITOR_PASSWORD_ENV, MONITOR_ROLE, renderMonitorRoleSql } from "../components/timescale/monitor-role-sql";
import { requirePostgres, startPostgres, TestPostgres } from "./helpers/postgres";

/** The generated `-c key=value` flags as settings, without what only TimescaleDB's image has. */
function debianSettings(memoryMb: number, slowQueryMs: number): Record<string, string> {
    const flags = postgresFlags(memoryMb, slowQueryMs);
    const settings: Record<string, string> = {};
    for (let i = 0; i < flags.length; i += 2) {
        const [key, value] = flags[i + 1].split(/=(.*)/s);
        if (key.startsWith("timescaledb.")) continue;
        // TLS and pg_hba name the container's files: tests/store-tls.test.ts runs them with files of its own.
        if (key in postgresTlsSettings()) continue;
        settings[key] = key === "shared_preload_libraries" ? value.split(",").filter((l) => l !== "timescaledb").join(",") : value;
    }
    return settings;
}

describe("TimescaleDB diagnostics: pg_stat_statements and the slow-query log (Debian's PostgreSQL)", function () {
    this.timeout(60000);
    let pg: TestPostgres | undefined;
    const psqlFile = (sql: string, env: Record<string, string> = {}) => {
        const file = `${fs.mkdtempSync("/tmp/llm-diag-")}/step.sql`;
        fs.writeFileSync(file, sql);
        fs.chmodSync(file, 0o644);
        return spawnSync("psql", ["-d", "llm_observatory", "-v", "ON_ERROR_STOP=1", "-f", file], { encoding: "utf8", env: { ...process.env, ...pg!.env, ...env } });
    };

    before(async function () {
        const bin = requirePostgres(this, "psql");
        const settings = debianSettings(1024, 200);
        assert.equal(settings.shared_preload_libraries, "pg_stat_statements");
        pg = await startPostgres(bin, { settings });
        pg.psql("postgres", "CREATE DATABASE llm_observatory");
    });

    after(() => pg?.stop());

    it("loads pg_stat_statements at start and logs statements slower than timescale.slowQueryMs", () => {
        assert.equal(pg!.psql("llm_observatory", "SHOW log_min_duration_statement"), "200ms");
        assert.equal(pg!.psql("llm_observatory", "SHOW shared_preload_libraries"), "pg_stat_statements");
        assert.equal(pg!.psql("llm_observatory", "SHOW track_io_timing"), "on");
        pg!.psql("llm_observatory", "SELECT pg_sleep(0.3) AS slow_one");
        pg!.psql("llm_observatory", "SELECT 1 AS fast_one");
        const log = fs.readFileSync(pg!.logFile, "utf8");
        assert.match(log, /duration: \d{3}\.\d+ ms\s+statement: SELECT pg_sleep\(0\.3\) AS slow_one/);
        assert.doesNotMatch(log, /fast_one/, "only statements over the threshold are logged");
    });

    it("creates the extension in the database (the init step, twice) and the monitor role reads every statement", () => {
        for (let i = 0; i < 2; i++) {
            const step = psqlFile(renderDiagnosticsSql());
            assert.equal(step.status, 0, step.stderr);
            assert.match(step.stdout, /pg_stat_statements [\d.]+ ready/);
        }
        const role = psqlFile(renderMonitorRoleSql(), { [MONITOR_PASSWORD_ENV]: "monitor-secret" });
        assert.equal(role.status, 0, role.stderr);
        // As the superuser another role's statement; the monitor role (pg_monitor) sees its text.
        pg!.psql("llm_observatory", "SELECT count(*) FROM generate_series(1, 1000) AS diagnosed_statement");
        const asMonitor = spawnSync(
            "psql",
            ["-U", MONITOR_ROLE, "-d", "llm_observatory", "-tA", "-c", "SELECT calls, total_exec_time >= 0 FROM pg_stat_statements WHERE query LIKE '%diagnosed_statement%'"],
            { encoding: "utf8", env: { ...process.env, ...pg!.env } },
        );
        assert.equal(asMonitor.status, 0, asMonitor.stderr);
        assert.equal(asMonitor.stdout.trim(), "1|t");
    });
});

describe("TimescaleDB diagnostics in the stack", () => {
    it("creates pg_stat_statements in the migrate step, after every deploy, on both platforms", async () => {
        const { runStack } = await import("../harness/run-stack");
        const dev = await runStack("dev");
        const prod = await runStack("prod", { exampleUserValues: true });
        const migrate = [dev.named("docker:index/container:Container", "timescale-migrate"), prod.named("kubernetes:core/v1:ConfigMap", "timescale-migrate-files")];
        for (const r of migrate) assert.ok(JSON.stringify(r.inputs).includes(JSON.stringify(renderDiagnosticsSql()).slice(1, -1)), r.name);
    });
});
