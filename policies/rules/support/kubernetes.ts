import { asArray, asRecord, isRecord } from "./values";

/** The label that names a workload's service, e.g. `app.kubernetes.io/name: sqlserver`. */
export const K8S_SERVICE_LABEL = "app.kubernetes.io/name";

export const K8S_SERVICE = "kubernetes:core/v1:Service";
export const K8S_SECRET = "kubernetes:core/v1:Secret";
export const K8S_CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
export const K8S_NAMESPACE = "kubernetes:core/v1:Namespace";
export const K8S_SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount";
export const K8S_PDB = /^kubernetes:policy\/v1(beta1)?:PodDisruptionBudget(Patch)?$/;
export const K8S_HPA = /^kubernetes:autoscaling\/v\w+:HorizontalPodAutoscaler(Patch)?$/;
export const K8S_ROLE_BINDING = /^kubernetes:rbac\.authorization\.k8s\.io\/v\w+:(Cluster)?RoleBinding$/;
export const K8S_NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
export const K8S_INGRESS = /^kubernetes:networking\.k8s\.io\/v1(beta1)?:Ingress$/;

/**
 * `*Patch` resources of @pulumi/kubernetes (DeploymentPatch, ConfigMapPatch, ...) apply a
 * partial object with server-side apply: what they set replaces the live value, what they
 * leave out stays as it is. Rules judge the values a patch sets, never the ones it omits.
 */
export function isPatch(type: string): boolean {
    return /^kubernetes:.*Patch$/.test(type);
}

/** The type a patch changes (`kubernetes:core/v1:ConfigMapPatch` changes `kubernetes:core/v1:ConfigMap`). */
export function patchedType(type: string): string {
    return isPatch(type) ? type.slice(0, -"Patch".length) : type;
}

// extensions/v1beta1 is the removed group old manifests (and @pulumi/kubernetes types) still name.
const WORKLOAD_TYPE = /^kubernetes:(core|apps|batch|extensions)\/v\w+:(Pod|Deployment|StatefulSet|DaemonSet|ReplicaSet|ReplicationController|Job|CronJob)(Patch)?$/;

export type WorkloadKind = "Pod" | "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController" | "Job" | "CronJob";

/** Workloads whose pods run until replaced (controllers that keep replicas up). */
export const LONG_RUNNING_KINDS: readonly WorkloadKind[] = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"];

/** The namespace of any namespaced object; the provider's default namespace is "default". */
export function namespaceOf(props: Record<string, any>): string {
    const namespace = asRecord(props.metadata).namespace;
    return typeof namespace === "string" && namespace.length > 0 ? namespace : "default";
}

/**
 * Whether a label selector (matchLabels + matchExpressions, or a plain map as in a
 * ReplicationController or Service) selects pods with these labels.
 */
export function selectorMatches(selector: unknown, labels: Record<string, unknown>): boolean {
    const s = asRecord(selector);
    const structured = "matchLabels" in s || "matchExpressions" in s;
    const matchLabels = structured ? asRecord(s.matchLabels) : s;
    for (const [key, value] of Object.entries(matchLabels)) if (labels[key] !== value) return false;
    for (const e of asArray(s.matchExpressions).filter(isRecord)) {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        const values = asArray(e.values);
        switch (e.operator) {
            case "In":
                if (!has || !values.includes(labels[e.key])) return false;
                break;
            case "NotIn":
                if (has && values.includes(labels[e.key])) return false;
                break;
            case "Exists":
                if (!has) return false;
                break;
            case "DoesNotExist":
                if (has) return false;
                break;
            default:
                return false;
        }
    }
    return true;
}

/** An empty selector (`{}`) selects every pod of its namespace. */
export function selectsAll(selector: unknown): boolean {
    const s = asRecord(selector);
    return Object.keys(asRecord(s.matchLabels)).length === 0 && asArray(s.matchExpressions).length === 0 && Object.keys(s).every((k) => k === "matchLabels" || k === "matchExpressions");
}

function workloadKind(type: string, patches: boolean): WorkloadKind | undefined {
    const match = WORKLOAD_TYPE.exec(type);
    if (!match || (match[3] !== undefined && !patches)) return undefined;
    return match[2] as WorkloadKind;
}

export interface PodTemplate {
    readonly kind: WorkloadKind;
    /** metadata.labels of the workload merged with those of its pod template. */
    readonly labels: Record<string, string>;
    /** The labels the pods themselves carry (what selectors of PDBs and NetworkPolicies see). */
    readonly podLabels: Record<string, string>;
    readonly namespace: string;
    readonly spec: Record<string, any>;
    /** metadata.annotations of the pod template (of the Pod itself for a Pod). */
    readonly annotations: Record<string, unknown>;
    /** A `*Patch` resource: only the fields it sets are known. */
    readonly patch: boolean;
}

/**
 * Where the pod spec lives in each workload kind. `*Patch` resources count only when asked
 * for (`patches: true`): a rule that requires a field to be present cannot judge a patch
 * that leaves it as it is.
 */
export function podTemplateOf(type: string, props: Record<string, any>, options: { patches?: boolean } = {}): PodTemplate | undefined {
    const kind = workloadKind(type, options.patches === true);
    if (!kind) return undefined;
    const spec = asRecord(props.spec);
    let template: Record<string, any>;
    switch (kind) {
        case "Pod":
            template = { metadata: props.metadata, spec };
            break;
        case "CronJob":
            template = asRecord(asRecord(asRecord(spec.jobTemplate).spec).template);
            break;
        default:
            template = asRecord(spec.template);
    }
    const metadata = asRecord(props.metadata);
    return {
        kind,
        labels: { ...asRecord(metadata.labels), ...asRecord(asRecord(template.metadata).labels) },
        podLabels: kind === "Pod" ? asRecord(metadata.labels) : asRecord(asRecord(template.metadata).labels),
        namespace: namespaceOf(props),
        spec: asRecord(template.spec),
        annotations: asRecord(asRecord(template.metadata).annotations),
        patch: isPatch(type),
    };
}

export interface PodContainer {
    readonly container: Record<string, any>;
    readonly name: string;
    readonly init: boolean;
}

export function podContainers(spec: Record<string, any>): PodContainer[] {
    const list = (value: unknown, init: boolean) =>
        asArray(value)
            .filter(isRecord)
            .map((container, i) => ({ container, init, name: typeof container.name === "string" ? container.name : `#${i}` }));
    return [...list(spec.initContainers, true), ...list(spec.containers, false)];
}

export function describeContainer(c: PodContainer): string {
    return `${c.init ? "init container" : "container"} "${c.name}"`;
}

/** The service a Kubernetes object belongs to: its name label, else its logical name. */
export function kubernetesServiceOf(name: string, labels: Record<string, unknown>): string {
    const label = labels[K8S_SERVICE_LABEL];
    return typeof label === "string" && label.length > 0 ? label : name;
}

/** The container that runs the service itself: the one named after it, else the first. */
export function mainContainerName(spec: Record<string, any>, service: string): string | undefined {
    const containers = asArray(spec.containers).filter(isRecord);
    return (containers.find((c) => c.name === service) ?? containers[0])?.name;
}
