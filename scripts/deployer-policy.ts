/**
 * Prints the IAM policy the identity that runs `pulumi up` for a stack needs, generated from
 * what the stack's program declares (harness/deployer-policy.ts). No cloud credentials needed.
 *
 *   npm run -s deployer-policy -- prod > deployer-policy.json
 *   aws iam create-policy --policy-name llm-platform-prod-deployer --policy-document file://deployer-policy.json
 */
import { stackDeployerPolicy } from "../harness/deployer-policy";

const stack = process.argv[2];
if (!stack) {
    console.error("usage: npm run deployer-policy -- <stack>   (a stack with the aws object, e.g. prod)");
    process.exit(2);
}
stackDeployerPolicy(stack).then(
    ({ policy }) => console.log(JSON.stringify(policy, null, 2)),
    (e) => {
        console.error(`deployer-policy: ${(e as Error).message}`);
        process.exit(2);
    },
);
