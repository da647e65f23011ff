/** Mocha root hook: says at the end of a run which checks were skipped for a missing tool. */
import { skipSummary } from "./tools";

export const mochaHooks = {
    afterAll() {
        const summary = skipSummary();
        if (summary) console.log(`\n${summary}\n`);
    },
};
