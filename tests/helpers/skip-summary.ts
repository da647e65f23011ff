/**
 * Mocha global fixtures: at the end of a run, which checks were skipped for a missing tool.
 * They run once, in mocha's main process; in parallel mode the test files run in worker
 * processes, which append what they skip to the run's record (tests/helpers/run-record.ts).
 */
import { skippedChecks, skipSummary } from "./tools";

export function mochaGlobalSetup() {
    skippedChecks.open();
}

export function mochaGlobalTeardown() {
    const summary = skipSummary(skippedChecks.close());
    if (summary) console.log(`\n${summary}\n`);
}
