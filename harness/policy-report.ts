import { StackRun } from "./run-stack";
import { describeTotals, stackTotals } from "./stack-totals";
import { OfflineResource, OfflineViolation, runPolicyPack } from "../policies/rules/offline";

export interface PolicyReport {
    readonly text: string;
    readonly violations: OfflineViolation[];
    readonly mandatory: number;
}

/** What the stack declares: resource counts by type, and every container's limits and image. */
export function stackSummary(run: StackRun): string {
    const custom = run.resources.filter((r) => r.custom);
    const lines = [`stack ${run.stack} (platform ${run.config.platform}): ${custom.length} resources`];
    const byType = new Map<string, number>();
    for (const r of custom) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    for (const [type, count] of [...byType].sort()) lines.push(`  ${String(count).padStart(3)}  ${type}`);

    const images = new Map(run.ofType("docker:index/remoteImage:RemoteImage").map((i) => [i.state.imageId, i.inputs.name]));
    const containers = run.ofType("docker:index/container:Container");
    if (containers.length > 0) {
        lines.push("", "  container                      cpu  memory MB (reserved)  image");
        for (const { name, inputs: i } of containers) {
            const memory = `${String(i.memory ?? "-").padStart(9)} (${String(i.memoryReservation ?? "-").padStart(5)})`;
            lines.push(`  ${name.padEnd(28)} ${String(i.cpus ?? "-").padStart(5)}  ${memory}  ${images.get(i.image) ?? i.image}`);
        }
        lines.push("", describeTotals(stackTotals(run)));
    }
    const workloads = run.resources.filter((r) => r.custom && /^kubernetes:(apps|batch)\/v1:/.test(r.type));
    if (workloads.length > 0) {
        lines.push("", "  workload                       container              cpu  memory (requested)  image");
        for (const w of workloads) {
            // A CronJob keeps its pod template one level down; init containers (backups) count too.
            const pod = (w.inputs.spec?.template ?? w.inputs.spec?.jobTemplate?.spec?.template)?.spec ?? {};
            for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
                const { limits = {}, requests = {} } = c.resources ?? {};
                const kind = w.type.slice(w.type.lastIndexOf(":") + 1);
                lines.push(`  ${`${kind}/${w.name}`.padEnd(30)} ${String(c.name).padEnd(20)} ${String(limits.cpu ?? "-").padStart(5)}  ${String(limits.memory ?? "-").padStart(6)} (${String(requests.memory ?? "-").padStart(7)})  ${c.image}`);
            }
        }
    }
    return lines.join("\n");
}

function describeViolation(v: OfflineViolation): string {
    const where = v.resource ? `${v.resource.type} ${v.resource.name}` : "stack";
    return `  [${v.enforcementLevel}] ${v.policy}: ${where}\n      ${v.message.replace(/\n/g, "\n      ")}`;
}

/** What the offline check feeds the pack: every custom resource with its inputs, and its (mocked) outputs for stack policies. */
export function policyResources(run: StackRun): OfflineResource[] {
    return run.resources.filter((r) => r.custom).map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs, outputs: r.state }));
}

/**
 * The pack's config derived from the stack's: a GPU stack must request its GPU, and the
 * node-agent namespace is the one the stack configures (`kubernetes.nodeAgentNamespace`).
 */
export function packConfigFor(run: StackRun): Record<string, Record<string, unknown>> {
    const config: Record<string, Record<string, unknown>> = { "gpu-requested": { gpuServices: run.config.ollama.gpu ? ["ollama"] : [] } };
    const nodeAgentNamespace = (run.config as { kubernetes?: { nodeAgentNamespace?: string } }).kubernetes?.nodeAgentNamespace;
    if (nodeAgentNamespace) config["no-host-access"] = { nodeAgentNamespaces: [nodeAgentNamespace] };
    return config;
}

/** Feeds every resource of a mocked stack to the policy pack, with the pack's config derived from the stack's. */
export async function policyReport(run: StackRun): Promise<PolicyReport> {
    const resources = policyResources(run);
    const violations = await runPolicyPack(resources, packConfigFor(run));
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
    const text = [
        stackSummary(run),
        "",
        `policy pack llm-platform: ${violations.length} violation(s), ${mandatory} mandatory`,
        ...violations.map(describeViolation),
    ].join("\n");
    return { text, violations, mandatory };
}
