import type { PolicyConfigSchema, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { scalerOf, scaleTargets } from "./support/autoscaling";
import { isPatch, K8S_PDB, namespaceOf, podTemplateOf, PodTemplate, selectorMatches, WorkloadKind } from "./support/kubernetes";
import { eachKnown } from "./support/unknowns";
import { asRecord } from "./support/values";

const schema: PolicyConfigSchema = {
    properties: {
        workloadKinds: {
            type: "array",
            items: { type: "string" },
            // DaemonSet pods are not evicted by a drain, so a budget would not protect them.
            default: ["Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"],
            description: "Workload kinds whose pods must be covered by a PodDisruptionBudget.",
        },
    },
};

/** `"25%"` → 25; an integer → undefined. */
const percentOf = (value: unknown) => (typeof value === "string" && /^\d+%$/.test(value.trim()) ? Number(value.trim().slice(0, -1)) : undefined);

/**
 * The pods a budget keeps available out of `replicas`, as the disruption controller
 * computes it (kubernetes pkg/controller/disruption/disruption.go, getExpectedPodCount:
 * percentages of minAvailable and maxUnavailable are rounded up).
 */
function desiredHealthy(spec: Record<string, any>, replicas: number): number | undefined {
    if (spec.maxUnavailable !== undefined) {
        const percent = percentOf(spec.maxUnavailable);
        const unavailable = percent !== undefined ? Math.ceil((percent * replicas) / 100) : Number(spec.maxUnavailable);
        return Number.isFinite(unavailable) ? Math.max(0, replicas - unavailable) : undefined;
    }
    if (spec.minAvailable !== undefined) {
        const percent = percentOf(spec.minAvailable);
        const available = percent !== undefined ? Math.ceil((percent * replicas) / 100) : Number(spec.minAvailable);
        return Number.isFinite(available) ? available : undefined;
    }
    return undefined;
}

/** A budget that allows no eviction whatever the scale: maxUnavailable 0 or 0%, minAvailable 100% (either, should both be written). */
function alwaysBlocks(spec: Record<string, any>): string | undefined {
    if (spec.maxUnavailable !== undefined && (percentOf(spec.maxUnavailable) === 0 || Number(spec.maxUnavailable) === 0)) {
        return `maxUnavailable is ${JSON.stringify(spec.maxUnavailable)}`;
    }
    return percentOf(spec.minAvailable) === 100 ? `minAvailable is "100%"` : undefined;
}

export const podDisruptionBudgets: StackValidationPolicy = {
    name: "kubernetes-pod-disruption-budgets",
    description:
        "Every long-running workload (Deployment, StatefulSet, ReplicaSet, ReplicationController) is selected by a " +
        "PodDisruptionBudget of the stack in its namespace (policy/v1, spec.selector matching the pod template's labels, " +
        "minAvailable or maxUnavailable set), so a node drain or cluster upgrade does not take all its pods at once; and no " +
        "budget (or PodDisruptionBudgetPatch) blocks every voluntary disruption: maxUnavailable 0 or \"0%\", minAvailable " +
        "\"100%\", or a minAvailable that, rounded up as the disruption controller does, reaches the replicas of a workload " +
        "it selects (its HorizontalPodAutoscaler's minReplicas when it has one), which stalls every drain and node upgrade.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateStack: (args, reportViolation) => {
        const { workloadKinds } = configOf<{ workloadKinds: string[] }>(schema, args);
        const allBudgets = args.resources.filter((r) => K8S_PDB.test(r.type));
        // A patch changes a budget that exists already: it does not add one.
        const budgets = allBudgets.filter((b) => !isPatch(b.type));
        const targets = scaleTargets(args.resources);
        const workloads: { r: PolicyResource; template: PodTemplate }[] = [];
        eachKnown(args.resources, (r) => {
            const template = podTemplateOf(r.type, r.props);
            if (!template || !workloadKinds.includes(template.kind as WorkloadKind)) return;
            workloads.push({ r, template });
            const selecting = budgets.filter((b) => namespaceOf(b.props) === template.namespace && selectorMatches(asRecord(b.props.spec).selector, template.podLabels));
            const where = describeResource(r.type, r.name);
            if (selecting.length === 0) {
                reportViolation(
                    `${where}: no PodDisruptionBudget in namespace ${template.namespace} selects its pods (labels ${JSON.stringify(template.podLabels)}); ` +
                        "required: a policy/v1 PodDisruptionBudget whose spec.selector.matchLabels match them, with minAvailable or maxUnavailable",
                    r.urn,
                );
                return;
            }
            for (const b of selecting) {
                const spec = asRecord(b.props.spec);
                if (spec.minAvailable === undefined && spec.maxUnavailable === undefined) {
                    reportViolation(`${where}: PodDisruptionBudget "${b.name}" sets neither minAvailable nor maxUnavailable; required: one of them`, r.urn);
                }
            }
        });
        eachKnown(allBudgets, (b) => {
            const spec = asRecord(b.props.spec);
            const where = describeResource(b.type, b.name);
            const required = "required: maxUnavailable of at least 1 (or a minAvailable below the replicas)";
            const blocks = alwaysBlocks(spec);
            if (blocks) {
                reportViolation(`${where}: ${blocks}, so no pod it selects may ever be evicted: node drains and upgrades stall; ${required}`, b.urn);
                return;
            }
            if (spec.selector === undefined) return;
            for (const { r, template } of workloads) {
                if (namespaceOf(b.props) !== template.namespace || !selectorMatches(spec.selector, template.podLabels)) continue;
                const scaler = scalerOf(targets, template.kind, r.props);
                const replicas = scaler?.minReplicas ?? (typeof r.props.spec?.replicas === "number" ? r.props.spec.replicas : 1);
                const desired = desiredHealthy(spec, replicas);
                if (desired === undefined || desired < replicas) continue;
                const of = scaler ? `the ${replicas} minReplicas of HorizontalPodAutoscaler "${scaler.hpa.name}" for` : `the ${replicas} replica(s) of`;
                reportViolation(
                    `${where}: minAvailable ${JSON.stringify(spec.minAvailable)} keeps ${desired} pod(s) available, all ${of} ${describeResource(r.type, r.name)}, ` +
                        `so none may be evicted: node drains and upgrades stall; ${required}`,
                    b.urn,
                );
            }
        });
    },
};
