/**
 * The IAM policy whoever runs `pulumi up` for a stack needs, from what the stack's program
 * declares and looks up (run under mocks from its own Pulumi.<stack>.yaml): the types it
 * registers and the functions it calls, each granted as components/aws/deployer-permissions.ts
 * says, scoped to the stack's names. What the stack file leaves to its owner (cluster,
 * region, hosted zone) and the account stay `*`.
 */
import { deployerPolicy } from "../components/aws/deployer-permissions";
import { partitionOf } from "../components/aws/names";
import { withExampleUserValues } from "./example-user-values";
import { runStack, stackConfigValues, StackRun } from "./run-stack";

export async function stackDeployerPolicy(stack: string): Promise<{ policy: ReturnType<typeof deployerPolicy>; run: StackRun }> {
    const { filled } = withExampleUserValues(stackConfigValues(stack));
    const run = await runStack(stack, { exampleUserValues: true });
    const a = run.config.aws;
    if (a === undefined) throw new Error(`stack ${stack} has no aws object: its deployer needs no AWS permissions beyond reaching the cluster`);
    const known = (key: string, value: string | undefined) => (value === undefined || filled.some((f) => f.startsWith(`${key} =`)) ? "*" : value);
    const region = known("kubernetes.awsRegion", a.region ?? run.config.kubernetes.awsRegion);
    const types = [...run.resources.filter((r) => r.custom && (r.type.startsWith("aws:") || r.type === "pulumi:providers:aws")).map((r) => r.type), ...run.calls.filter((c) => c.startsWith("aws:"))];
    const policy = deployerPolicy(types, {
        prefix: `llm-platform-${stack}`,
        partition: partitionOf(region === "*" ? "" : region),
        region,
        account: "*",
        clusterName: known("kubernetes.eksClusterName", a.network.eksClusterName ?? run.config.kubernetes.eksClusterName),
        route53ZoneId: known("aws.loadBalancer.route53ZoneId", a.loadBalancer.route53ZoneId),
        stack,
    });
    return { policy, run };
}
