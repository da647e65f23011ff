import type { PolicyConfigSchema, StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { K8S_PDB, namespaceOf, podTemplateOf, selectorMatches, WorkloadKind } from "./support/kubernetes";
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

export const podDisruptionBudgets: StackValidationPolicy = {
    name: "kubernetes-pod-disruption-budgets",
    description:
        "Every long-running workload (Deployment, StatefulSet, ReplicaSet, ReplicationController) is selected by a " +
        "PodDisruptionBudget of the stack in its namespace (policy/v1, spec.selector matching the pod template's labels, " +
        "minAvailable or maxUnavailable set), so a node drain or cluster upgrade does not take all its pods at once.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateStack: (args, reportViolation) => {
        const { workloadKinds } = configOf<{ workloadKinds: string[] }>(schema, args);
        const budgets = args.resources.filter((r) => K8S_PDB.test(r.type));
        eachKnown(args.resources, (r) => {
            const template = podTemplateOf(r.type, r.props);
            if (!template || !workloadKinds.includes(template.kind as WorkloadKind)) return;
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
    },
};
