import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MigrationPlan, runnerScript } from "../../components/migrations/plan";
import { TestPostgres } from "./postgres";

export interface RunResult {
    readonly status: number | null;
    /** stdout and stderr, in that order. */
    readonly out: string;
    readonly stdout: string;
}

/** A scratch copy of a plan directory, removed by `cleanup`. */
export function copyPlan(plan: MigrationPlan): { plan: MigrationPlan; cleanup: () => void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-plan-"));
    fs.cpSync(plan.dir, dir, { recursive: true });
    return { plan: { ...plan, dir }, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Removes changes (and their tag-less lines) from a Sqitch plan copy; a tag after a removed change moves to the change before. */
export function dropSqitchChanges(plan: MigrationPlan, names: readonly string[]): void {
    const file = path.join(plan.dir, "sqitch.plan");
    const lines = fs.readFileSync(file, "utf8").split("\n");
    fs.writeFileSync(file, lines.filter((l) => !names.includes(l.split(/\s/)[0])).join("\n"));
}

/** The engine's runner, as the step gets it (runnerScript), under the real sh, against one database of `pg`. */
export function runMigrate(pg: TestPostgres, database: string, plan: MigrationPlan, args: string[], env: Record<string, string> = {}): RunResult {
    const runner = path.join(os.tmpdir(), `llm-migrate-${plan.engine}-${process.pid}.sh`);
    fs.writeFileSync(runner, runnerScript(plan.engine), { mode: 0o755 });
    const r = spawnSync("sh", [runner, ...args], {
        encoding: "utf8",
        env: { ...process.env, ...pg.env, PGDATABASE: database, MIGRATE_PLAN_DIR: plan.dir, ...env },
    });
    return { status: r.status, out: r.stdout + r.stderr, stdout: r.stdout };
}

/** psql on a file, stopping at the first error. */
export function psqlFile(pg: TestPostgres, database: string, file: string): RunResult {
    const r = spawnSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database, "-f", file], { encoding: "utf8", env: { ...process.env, ...pg.env } });
    return { status: r.status, out: r.stdout + r.stderr, stdout: r.stdout };
}

/**
 * The schema of `public` as pg_dump prints it (tables, columns, defaults, constraints,
 * indexes), with comments and blank lines left out, so two databases compare as text.
 */
export function schemaOf(pg: TestPostgres, database: string): string {
    const r = spawnSync("pg_dump", ["--schema-only", "--no-owner", "--no-privileges", "--schema=public", "-d", database], {
        encoding: "utf8",
        env: { ...process.env, ...pg.env },
    });
    if (r.status !== 0) throw new Error(`pg_dump failed: ${r.stderr}`);
    return r.stdout
        .split("\n")
        .filter((l) => l.trim() !== "" && !l.startsWith("--") && !l.startsWith("\\") && !l.startsWith("SET ") && !l.startsWith("SELECT pg_catalog.set_config"))
        .join("\n");
}

export function createDatabase(pg: TestPostgres, name: string, owner = "postgres"): void {
    pg.psql("postgres", `CREATE DATABASE ${name} OWNER ${owner}`);
}
