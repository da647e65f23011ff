/** Kubernetes workloads shaped like a production platform would register them. */
import { resource } from "./run";

export const STATEFUL_SET = "kubernetes:apps/v1:StatefulSet";
export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const DAEMON_SET = "kubernetes:apps/v1:DaemonSet";
export const REPLICA_SET = "kubernetes:apps/v1:ReplicaSet";
export const POD = "kubernetes:core/v1:Pod";
export const JOB = "kubernetes:batch/v1:Job";
export const CRON_JOB = "kubernetes:batch/v1:CronJob";
export const SERVICE = "kubernetes:core/v1:Service";
export const SECRET = "kubernetes:core/v1:Secret";
export const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
export const REPLICATION_CONTROLLER = "kubernetes:core/v1:ReplicationController";
export const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
export const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
export const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";

export const NAMESPACE = "llm-platform";

export function appLabels(service: string) {
    return { "app.kubernetes.io/name": service, "app.kubernetes.io/part-of": "llm-platform", "app.kubernetes.io/managed-by": "pulumi" };
}

export function resources(cpuRequest: string, memoryRequest: string, cpuLimit: string, memoryLimit: string) {
    return { requests: { cpu: cpuRequest, memory: memoryRequest }, limits: { cpu: cpuLimit, memory: memoryLimit } };
}

export function k8sContainer(name: string, overrides: Record<string, any> = {}): Record<string, any> {
    return {
        name,
        image: "mcr.microsoft.com/mssql/server:2025-CU9-ubuntu-22.04",
        imagePullPolicy: "IfNotPresent",
        ports: [{ name: "tds", containerPort: 1433, protocol: "TCP" }],
        env: [{ name: "ACCEPT_EULA", value: "Y" }],
        resources: resources("1", "2Gi", "2", "4Gi"),
        securityContext: { runAsUser: 10001, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        readinessProbe: { tcpSocket: { port: "tds" }, periodSeconds: 10, failureThreshold: 3 },
        livenessProbe: { tcpSocket: { port: "tds" }, initialDelaySeconds: 30, periodSeconds: 20, failureThreshold: 6 },
        ...overrides,
    };
}

export function podSpec(containers: Record<string, any>[], initContainers: Record<string, any>[] = [], extra: Record<string, any> = {}) {
    return { securityContext: { fsGroup: 10001 }, ...(initContainers.length > 0 ? { initContainers } : {}), containers, ...extra };
}

/** A workload of any kind wrapping this pod spec where that kind keeps it. */
export function workload(type: string, service: string, spec: Record<string, any>, name = service, stack = "prod", namespace = NAMESPACE) {
    const labels = appLabels(service);
    const metadata = { name, namespace, labels };
    const template = { metadata: { labels }, spec };
    const kind = type.split(":").pop()!;
    const apiVersion = type.startsWith("kubernetes:core/") ? "v1" : type.split(":")[1];
    let body: Record<string, any>;
    switch (kind) {
        case "Pod":
            body = { spec };
            break;
        case "CronJob":
            body = { spec: { schedule: "0 3 * * *", jobTemplate: { spec: { backoffLimit: 2, template } } } };
            break;
        case "Job":
            body = { spec: { backoffLimit: 2, template } };
            break;
        case "ReplicationController":
            body = { spec: { replicas: 1, selector: labels, template } };
            break;
        default:
            body = { spec: { replicas: 1, selector: { matchLabels: labels }, template, ...(kind === "StatefulSet" ? { serviceName: service } : {}) } };
    }
    return resource(type, name, { apiVersion, kind, metadata, ...body }, stack);
}

export function sqlServerStatefulSet(container: Record<string, any> = {}, initContainers: Record<string, any>[] = []) {
    return workload(STATEFUL_SET, "sqlserver", podSpec([k8sContainer("sqlserver", container)], initContainers));
}

export function k8sService(service: string, type: string, ports: Record<string, any>[], name = service) {
    return resource(
        SERVICE,
        name,
        { apiVersion: "v1", kind: "Service", metadata: { name, namespace: NAMESPACE, labels: appLabels(service) }, spec: { type, selector: { "app.kubernetes.io/name": service }, ports } },
        "prod",
    );
}

export function configMap(name: string, data: Record<string, string>) {
    return resource(CONFIG_MAP, name, { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: NAMESPACE }, data }, "prod");
}

/** The PodDisruptionBudget the platform gives a service: its pods, at most one down at a time. */
export function pdb(service: string, spec: Record<string, any> = { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": service } } }, namespace = NAMESPACE) {
    return resource(PDB, `${service}-pdb`, { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: service, namespace, labels: appLabels(service) }, spec }, "prod");
}

/** The namespace's default deny: every pod, both directions, no rules. */
export function defaultDeny(namespace = NAMESPACE, spec: Record<string, any> = { podSelector: {}, policyTypes: ["Ingress", "Egress"] }, name = "default-deny") {
    return resource(NETWORK_POLICY, `${namespace}-${name}`, { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace }, spec }, "prod");
}
