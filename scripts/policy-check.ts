/**
 * Offline policy check: runs a stack's program from Pulumi.<stack>.yaml under mocks,
 * feeds every resource to the policy pack and prints what the stack declares and every
 * violation. Exits 1 on a mandatory violation, 2 when the stack cannot be built.
 * Needs no Pulumi CLI, no Docker and no cloud credentials (safe for forks' PRs).
 *
 *   npm run policy:check -- dev
 *   npm run policy:check -- prod
 *   npm run policy:check -- staging
 */
import { withExampleUserValues } from "../harness/example-user-values";
import type { StackRun } from "../harness/run-stack";
import { stackConfigValues } from "../harness/stack-config";

async function main(stack: string | undefined): Promise<number> {
    if (!stack) {
        console.error("usage: npm run policy:check -- <stack>   (e.g. dev)");
        return 2;
    }
    let run: StackRun;
    try {
        // The cluster and domain a stack leaves to its owner do not change what it declares.
        const { filled } = withExampleUserValues(stackConfigValues(stack), stack);
        if (filled.length > 0) console.log(`(offline example values for keys the stack leaves to its owner: ${filled.join(", ")})\n`);
        // The program and its providers load once the stack file is known: a wrong name is answered at once.
        const { runStack } = await import("../harness/run-stack");
        run = await runStack(stack, { exampleUserValues: true });
    } catch (e) {
        console.error(`policy check: stack ${stack} cannot be built:\n${(e as Error).message}`);
        return 2;
    }
    const { policyReport } = await import("../harness/policy-report");
    const report = await policyReport(run);
    console.log(report.text);
    return report.mandatory > 0 ? 1 : 0;
}

main(process.argv[2]).then(
    (code) => process.exit(code),
    (e) => {
        console.error(e);
        process.exit(2);
    },
);
