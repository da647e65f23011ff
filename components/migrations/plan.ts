import * as fs from "fs";
import * as path from "path";
import { ServiceFile } from "../platform/types";

/** The migration engines: Sqitch for PostgreSQL and TimescaleDB, Liquibase for SQL Server (docs/migrations.md says why). */
export type MigrationEngine = "sqitch" | "liquibase";

/** A store's migrations: the engine and the plan directory in the repository (beside the store's component). */
export interface MigrationPlan {
    readonly engine: MigrationEngine;
    /** Absolute path of the plan directory: sqitch.conf + sqitch.plan, or changelog.yaml; deploy/, revert/, verify/. */
    readonly dir: string;
}

/** Every file of a plan directory, relative, sorted: the same plan gives the same list. */
export function planFileNames(dir: string): string[] {
    const walk = (sub: string): string[] =>
        fs
            .readdirSync(path.join(dir, sub), { withFileTypes: true })
            .flatMap((e) => (e.isDirectory() ? walk(path.join(sub, e.name)) : [path.join(sub, e.name)]));
    return walk("").sort();
}

/**
 * The plan's files as the step's files below `mountDir`. They are the step's inputs: a second
 * `pulumi up` with the same plan runs no step, and a plan with one more change runs the step,
 * which deploys that change only (the engine's registry knows the rest).
 */
export function planFiles(plan: MigrationPlan, mountDir: string): ServiceFile[] {
    return planFileNames(plan.dir).map((name) => ({
        path: path.posix.join(mountDir, name.split(path.sep).join("/")),
        content: fs.readFileSync(path.join(plan.dir, name), "utf8"),
        mode: "0644",
    }));
}

/** The runner script of an engine: the shared command line (runner-common.sh), then components/migrations/<engine>.sh. */
export function runnerScript(engine: MigrationEngine): string {
    const part = (file: string) => fs.readFileSync(path.join(__dirname, file), "utf8");
    return `#!/bin/sh\n${part("runner-common.sh")}\n${part(`${engine}.sh`)}`;
}
