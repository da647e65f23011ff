import { spawnSync } from "child_process";

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
    ctx.skip();
    return "";
}
