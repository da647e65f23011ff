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
/** A CloudNativePG cluster: `instances` pods, each with the spec's resources and the sidecars its plugins add. */
const CNPG_CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster";
/** The Barman Cloud plugin's ObjectStore: its instanceSidecarConfiguration sizes the sidecar in each instance of the clusters naming it. */
const OBJECT_STORE = "kubernetes:barmancloud.cnpg.io/v1:ObjectStore";

/** The sidecars the Barman Cloud plugin adds to a cluster's instances: one per plugin entry naming an ObjectStore of its namespace. */
function sidecarsOf(cluster: RegisteredResource, stores: RegisteredResource[]): { resources?: any }[] {
    return (cluster.inputs.spec.plugins ?? []).flatMap((p: any) => {
        const store = stores.find((s) => s.inputs.metadata.name === p.parameters?.barmanObjectName && s.inputs.metadata.namespace === cluster.inputs.metadata.namespace);
        return store ? [{ resources: store.inputs.spec.instanceSidecarConfiguration?.resources }] : [];
    });
}

/** Copies and containers of a workload, or of an operator's cluster. */
function podsOf(w: RegisteredResource, stores: RegisteredResource[]): { copies: number; containers: { resources?: any }[] } {
    if (w.type === CNPG_CLUSTER) return { copies: w.inputs.spec.instances ?? 1, containers: [{ resources: w.inputs.spec.resources }, ...sidecarsOf(w, stores)] };
    return { copies: w.type === DAEMON_SET ? 1 : (w.inputs.spec.replicas ?? 1), containers: w.inputs.spec.template.spec.containers };
}

function sum(workloads: RegisteredResource[], stores: RegisteredResource[]): KubernetesTotals {
    const t = { pods: 0, cpu: 0, memoryMb: 0, cpuRequest: 0, memoryRequestMb: 0 };
    for (const w of workloads) {
        const { copies, containers } = podsOf(w, stores);
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
        cluster: sum(run.resources.filter((r) => REPLICATED.includes(r.type) || r.type === CNPG_CLUSTER), run.ofType(OBJECT_STORE)),
        perNode: sum(run.ofType(DAEMON_SET), []),
    };
}
