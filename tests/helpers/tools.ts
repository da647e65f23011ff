import { spawnSync } from "child_process";
import { RunRecord } from "./run-record";

/** Set by .ci/run: there a missing tool fails the test instead of skipping it. */
export const TOOLS_REQUIRED = process.env.LLM_PLATFORM_REQUIRE_TOOLS === "1";

/** Finds an executable on PATH (or in sbin, where Debian puts nginx). */
export function findTool(name: string): string | undefined {
    for (const candidate of [name, `/usr/sbin/${name}`, `/usr/bin/${name}`]) {
        const r = spawnSync("sh", ["-c", `command -v ${candidate}`], { encoding: "utf8" });
        if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
    }
    return undefined;
}

/**
 * The tool's path; skips the test when it is missing, or fails it when tools are
 * required (CI). Call inside a mocha `before`/`it` with its `this`.
 */
export function requireTool(ctx: Mocha.Context, name: string, debianPackage: string): string {
    const found = findTool(name);
    if (found) return found;
    const message = `${name} not found: install Debian's ${debianPackage} (apt-get install ${debianPackage})`;
    if (TOOLS_REQUIRED) throw new Error(`${message}; LLM_PLATFORM_REQUIRE_TOOLS=1 makes this a failure`);
    skippedChecks.append({ check: ctx.currentTest?.fullTitle() ?? ctx.test?.parent?.fullTitle() ?? "(unknown)", tool: name, debianPackage });
    ctx.skip();
    return "";
}

export interface SkippedCheck {
    readonly check: string;
    readonly tool: string;
    /** The Debian package that brings the tool. */
    readonly debianPackage?: string;
    /** Else the command that installs it (what is not a Debian package). */
    readonly install?: string;
}

/** The checks a run skipped, from all its processes; opened and reported by tests/helpers/skip-summary.ts. */
export const skippedChecks = new RunRecord<SkippedCheck>("LLM_PLATFORM_SKIPPED_CHECKS");

/** The closing lines of a run that skipped checks: which, and the one command that installs what they need. */
export function skipSummary(skipped: readonly SkippedCheck[]): string | undefined {
    if (skipped.length === 0) return undefined;
    const packages = [...new Set(skipped.flatMap((s) => (s.debianPackage ? [s.debianPackage] : [])))].sort();
    const commands = [...new Set(skipped.flatMap((s) => (s.install ? [s.install] : [])))];
    return [
        `SKIPPED ${skipped.length} check group(s) that run real binaries, because a tool is missing:`,
        ...skipped.map((s) => `  - ${s.check} (needs ${s.tool})`),
        ...commands.map((c) => `Install what they need: ${c}`),
        ...(packages.length > 0 ? [`Install what they need and run npm test again: sudo apt-get install -y ${packages.join(" ")}`] : []),
    ].join("\n");
}
