import type { PolicyConfigSchema, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { K8S_ROLE_BINDING, K8S_SERVICE_ACCOUNT, namespaceOf, podTemplateOf } from "./support/kubernetes";
import { globToRegExp } from "./support/patterns";
import { eachKnown } from "./support/unknowns";
import { asArray, asRecord, isRecord } from "./support/values";

const schema: PolicyConfigSchema = {
    properties: {
        apiServiceAccounts: {
            type: "array",
            items: { type: "string" },
            default: [],
            description:
                "ServiceAccounts (\"namespace/name\", `*` matches any run of characters) whose pods call the Kubernetes API with " +
                "permissions granted outside the stack; one a RoleBinding or ClusterRoleBinding of the stack names counts already.",
        },
    },
};

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/** ServiceAccounts some binding of the stack grants permissions to: their pods use the API. */
function boundAccounts(resources: readonly PolicyResource[]): Set<string> {
    const bound = new Set<string>();
    for (const binding of resources.filter((r) => K8S_ROLE_BINDING.test(r.type))) {
        for (const subject of asArray(binding.props.subjects).filter(isRecord)) {
            if (subject.kind !== "ServiceAccount" || typeof subject.name !== "string") continue;
            bound.add(key(typeof subject.namespace === "string" ? subject.namespace : namespaceOf(binding.props), subject.name));
        }
    }
    return bound;
}

export const kubernetesServiceAccountTokens: StackValidationPolicy = {
    name: "kubernetes-service-account-token",
    description:
        "Pods mount no Kubernetes API token unless they use the API: the effective automountServiceAccountToken (the pod " +
        "spec's, else its ServiceAccount's, else true) is false, or the pod's ServiceAccount is granted permissions by a " +
        "RoleBinding/ClusterRoleBinding of the stack or listed in apiServiceAccounts. A token nobody needs is a credential " +
        "for whoever breaks into the container. A *Patch that sets it true is judged too.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateStack: (args, reportViolation) => {
        const { apiServiceAccounts } = configOf<{ apiServiceAccounts: string[] }>(schema, args);
        const accounts = new Map<string, unknown>();
        eachKnown(args.resources.filter((r) => r.type === K8S_SERVICE_ACCOUNT), (sa) => {
            const name = asRecord(sa.props.metadata).name;
            if (typeof name === "string") accounts.set(key(namespaceOf(sa.props), name), sa.props.automountServiceAccountToken);
        });
        const bound = boundAccounts(args.resources);
        const allowed = (account: string) => bound.has(account) || apiServiceAccounts.some((p) => globToRegExp(p).test(account));
        eachKnown(args.resources, (r) => {
            const template = podTemplateOf(r.type, r.props, { patches: true });
            if (!template) return;
            const spec = template.spec;
            const podSetting = spec.automountServiceAccountToken;
            if (template.patch && podSetting !== true) return;
            const name = typeof spec.serviceAccountName === "string" ? spec.serviceAccountName : typeof spec.serviceAccount === "string" ? spec.serviceAccount : "default";
            const account = key(template.namespace, name);
            const accountSetting = accounts.get(account);
            const effective = podSetting ?? accountSetting ?? true;
            if (effective !== true || allowed(account)) return;
            const why =
                podSetting === true
                    ? "spec.automountServiceAccountToken is true"
                    : accounts.has(account)
                      ? `neither the pod spec nor ServiceAccount ${account} sets automountServiceAccountToken false`
                      : `the pod spec does not set automountServiceAccountToken and ServiceAccount ${account} is not part of the stack (Kubernetes mounts by default)`;
            reportViolation(
                `${describeResource(r.type, r.name)}: mounts a Kubernetes API token: ${why}, and no binding of the stack grants ${account} permissions; ` +
                    "required: automountServiceAccountToken false on the pod spec (or on its ServiceAccount), or the account in apiServiceAccounts",
                r.urn,
            );
        });
    },
};
