import type { PolicyConfigSchema, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { K8S_NETWORK_POLICY, namespaceOf, podTemplateOf, selectsAll } from "./support/kubernetes";
import { eachKnown, UnknownValueError } from "./support/unknowns";
import { asArray, asRecord } from "./support/values";

const schema: PolicyConfigSchema = {
    properties: {
        exemptNamespaces: {
            type: "array",
            items: { type: "string" },
            default: [],
            description: "Namespaces with workloads that need no default-deny policy (e.g. one another team manages).",
        },
    },
};

/** The directions a NetworkPolicy denies to every pod of its namespace: empty podSelector, the type listed, no rules. */
function deniedDirections(policy: PolicyResource): string[] {
    const spec = asRecord(policy.props.spec);
    if (!selectsAll(spec.podSelector)) return [];
    // Without policyTypes Kubernetes assumes Ingress, plus Egress when egress rules are given.
    const types = spec.policyTypes === undefined ? ["Ingress", ...(spec.egress !== undefined ? ["Egress"] : [])] : asArray(spec.policyTypes);
    return types.filter((t) => (t === "Ingress" ? asArray(spec.ingress).length === 0 : t === "Egress" ? asArray(spec.egress).length === 0 : false));
}

export const defaultDenyNetworkPolicy: StackValidationPolicy = {
    name: "kubernetes-default-deny-network-policy",
    description:
        "Every namespace that runs workloads of the stack has a default-deny NetworkPolicy: podSelector {} with policyTypes " +
        "[Ingress, Egress] and no ingress or egress rules (one policy, or one per direction), so only the flows other " +
        "policies allow exist. On EKS, NetworkPolicies are enforced only with the VPC CNI's network policy support on.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateStack: (args, reportViolation) => {
        const { exemptNamespaces } = configOf<{ exemptNamespaces: string[] }>(schema, args);
        const denied = new Map<string, Set<string>>();
        // A policy not known yet (preview) might be the namespace's default deny: its namespace is not judged.
        const pendingNamespaces = new Set<string>();
        let pending: Error | undefined;
        for (const p of args.resources.filter((r) => r.type === K8S_NETWORK_POLICY)) {
            let namespace: string | undefined;
            try {
                namespace = namespaceOf(p.props);
                const set = denied.get(namespace) ?? new Set<string>();
                for (const direction of deniedDirections(p)) set.add(direction);
                denied.set(namespace, set);
            } catch (e) {
                if (!(e instanceof UnknownValueError)) throw e;
                pending ??= e;
                pendingNamespaces.add(namespace ?? "*");
            }
        }
        const reported = new Set<string>();
        eachKnown(args.resources, (r) => {
            const template = podTemplateOf(r.type, r.props);
            if (!template || exemptNamespaces.includes(template.namespace) || reported.has(template.namespace)) return;
            if (pendingNamespaces.has(template.namespace) || pendingNamespaces.has("*")) return;
            const missing = ["Ingress", "Egress"].filter((d) => !denied.get(template.namespace)?.has(d));
            if (missing.length === 0) return;
            reported.add(template.namespace);
            reportViolation(
                `namespace ${template.namespace} runs workloads (e.g. ${r.type.split(":").pop()} "${r.name}") without a default-deny NetworkPolicy for ${missing.join(" and ")}; ` +
                    "required: a NetworkPolicy in it with podSelector {}, policyTypes [Ingress, Egress] and no ingress/egress rules",
                r.urn,
            );
        });
        if (pending) throw pending;
    },
};
