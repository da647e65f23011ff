import { quantityToCores, quantityToMb } from "../policies/rules/support/quantities";
import { RegisteredResource, StackRun } from "./run-stack";

export interface KubernetesTotals {
    readonly pods: number;
    readonly cpu: number;
    readonly memoryMb: number;
    readonly cpuRequest: number;
    readonly memoryRequestMb: number;
}

const REPLICATED = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"];
const DAEMON_SET = "kubernetes:apps/v1:DaemonSet";
/** A CloudNativePG cluster: `instances` pods, each with the spec's resources. */
const CNPG_CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster";

/** Copies and containers of a workload, or of an operator's cluster. */
function podsOf(w: RegisteredResource): { copies: number; containers: { resources?: any }[] } {
    if (w.type === CNPG_CLUSTER) return { copies: w.inputs.spec.instances ?? 1, containers: [{ resources: w.inputs.spec.resources }] };
    return { copies: w.type === DAEMON_SET ? 1 : (w.inputs.spec.replicas ?? 1), containers: w.inputs.spec.template.spec.containers };
}

function sum(workloads: RegisteredResource[]): KubernetesTotals {
    const t = { pods: 0, cpu: 0, memoryMb: 0, cpuRequest: 0, memoryRequestMb: 0 };
    for (const w of workloads) {
        const { copies, containers } = podsOf(w);
        t.pods += copies;
        for (const c of containers) {
            t.cpu += copies * (quantityToCores(c.resources?.limits?.cpu) ?? 0);
            t.memoryMb += copies * (quantityToMb(c.resources?.limits?.memory) ?? 0);
            t.cpuRequest += copies * (quantityToCores(c.resources?.requests?.cpu) ?? 0);
            t.memoryRequestMb += copies * (quantityToMb(c.resources?.requests?.memory) ?? 0);
        }
    }
    // Rounded: 0.1 + 0.2 sums print as 0.30000000000000004 otherwise.
    return { ...t, cpu: Math.round(t.cpu * 1000) / 1000, cpuRequest: Math.round(t.cpuRequest * 1000) / 1000 };
}

/**
 * What a Kubernetes stack asks of the cluster (long-running pods, replicas counted; Jobs
 * excluded) and of every node on top (its DaemonSets: one pod per node).
 */
export function kubernetesTotals(run: StackRun): { cluster: KubernetesTotals; perNode: KubernetesTotals } {
    return {
        cluster: sum(run.resources.filter((r) => REPLICATED.includes(r.type) || r.type === CNPG_CLUSTER)),
        perNode: sum(run.ofType(DAEMON_SET)),
    };
}
