/**
 * The smoke Job's last container (components/platform/kubernetes/smoke-job.ts), transpiled into
 * its ConfigMap beside checks.js and run by the pinned node image. Before it, each client check's
 * runs ran in their store's own image (record-run.sh: output, exit status, time into
 * SMOKE_RESULTS_DIR/<check>/<run>/). This runs the Node checks live, judges the recorded runs
 * with the same code a workstation uses, and prints the table, then the JSON report after
 * REPORT_MARKER (what `npm run smoke -- <stack>` reads from the Job's log); exits 1 naming what failed.
 *
 * Environment: SMOKE_TARGET_FILE (the target without its secrets), SMOKE_API_KEY and
 * SMOKE_QDRANT_API_KEY (from the stack's Secret), SMOKE_RUN_ID (the pod's UID, which the client
 * runs' arguments carry too), SMOKE_RESULTS_DIR.
 */
import * as fs from "fs";
import * as path from "path";
import { ClientExecutor, failureLine, formatTable, runChecks, SmokeTarget } from "./checks";

/** The line before the JSON report in the Job's log. */
export const REPORT_MARKER = "--- smoke report (JSON) ---";

/** The runs a client check made in the pod, read back from `dir` in order; a failed run fails the check as spawning it here would. */
export function recordedClients(dir: string): ClientExecutor {
    return async (check, runs) => {
        const outputs: string[] = [];
        let ms = 0;
        for (let i = 0; i < runs.length; i++) {
            const run = path.join(dir, check.name, String(i));
            const read = (file: string) => (fs.existsSync(path.join(run, file)) ? fs.readFileSync(path.join(run, file), "utf8").trim() : undefined);
            const rc = read("rc");
            if (rc === undefined) throw new Error(`${runs[i].tool} did not run (no ${path.join(run, "rc")}): did its container start?`);
            const [start, end] = (read("uptime") ?? "0 0").split(/\s+/).map(Number);
            ms += Math.round((end - start) * 1000);
            if (rc !== "0") throw new Error(`${runs[i].tool} exited ${rc}: ${read("err") || read("out") || ""}`);
            outputs.push(read("out") ?? "");
        }
        return { outputs, ms };
    };
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
    const need = (name: string) => {
        const value = env[name];
        if (!value) throw new Error(`${name} is not set`);
        return value;
    };
    const base = JSON.parse(fs.readFileSync(need("SMOKE_TARGET_FILE"), "utf8"));
    const target: SmokeTarget = { ...base, apiKey: need("SMOKE_API_KEY"), qdrant: { ...base.qdrant, apiKey: need("SMOKE_QDRANT_API_KEY") } };
    const results = await runChecks(target, undefined, recordedClients(need("SMOKE_RESULTS_DIR")), need("SMOKE_RUN_ID"));
    const passed = results.every((r) => r.ok);
    console.log(formatTable(results));
    console.log(REPORT_MARKER);
    console.log(JSON.stringify({ entry: target.proxyUrl, at: new Date().toISOString(), passed, checks: results }, null, 2));
    const failed = failureLine(results);
    if (failed) console.log(failed);
    return failed ? 1 : 0;
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (e) => {
            console.log(`smoke: ${(e as Error).message}`);
            process.exit(2);
        },
    );
}
