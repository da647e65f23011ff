import { asArray, asRecord, isRecord } from "./values";

/** The label that names a workload's service, e.g. `app.kubernetes.io/name: sqlserver`. */
export const K8S_SERVICE_LABEL = "app.kubernetes.io/name";

export const K8S_SERVICE = "kubernetes:core/v1:Service";
export const K8S_SECRET = "kubernetes:core/v1:Secret";
export const K8S_CONFIG_MAP = "kubernetes:core/v1:ConfigMap";

const WORKLOAD_TYPE = /^kubernetes:(core|apps|batch)\/v\w+:(Pod|Deployment|StatefulSet|DaemonSet|ReplicaSet|Job|CronJob)$/;

export type WorkloadKind = "Pod" | "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob";

function workloadKind(type: string): WorkloadKind | undefined {
    const match = WORKLOAD_TYPE.exec(type);
    return match ? (match[2] as WorkloadKind) : undefined;
}

export interface PodTemplate {
    readonly kind: WorkloadKind;
    /** metadata.labels of the workload merged with those of its pod template. */
    readonly labels: Record<string, string>;
    readonly namespace: string;
    readonly spec: Record<string, any>;
}

/** Where the pod spec lives in each workload kind. */
export function podTemplateOf(type: string, props: Record<string, any>): PodTemplate | undefined {
    const kind = workloadKind(type);
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
        namespace: typeof metadata.namespace === "string" ? metadata.namespace : "default",
        spec: asRecord(template.spec),
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
