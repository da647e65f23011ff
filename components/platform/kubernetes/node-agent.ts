import * as k8s from "@pulumi/kubernetes";
import { ServiceSpec } from "../types";

import Core = k8s.types.input.core.v1;

/** The node directory the platform owns: node agents keep their per-node state below it. */
export const NODE_STATE_ROOT = "/var/lib/llm-platform";

/**
 * A node agent's volumes hold state about its own node (a log shipper's read offsets and
 * buffer), so they live on that node: a writable hostPath per volume under
 * NODE_STATE_ROOT/<namespace>/<service>/. Unlike an emptyDir it survives the pod being
 * replaced (every config change rolls the DaemonSet), so no line is shipped twice or lost;
 * unlike a PVC it needs no storage that follows one pod around.
 */
export function nodeStateVolumes(spec: ServiceSpec, namespace: string): Core.Volume[] {
    return (spec.volumes ?? []).map((v) => ({
        name: v.name,
        hostPath: { path: `${NODE_STATE_ROOT}/${namespace}/${spec.name}/${v.name}`, type: "DirectoryOrCreate" },
    }));
}

/**
 * A node agent runs on every node, the tainted ones too (the GPU node above all: its logs and
 * metrics matter most). The DaemonSet controller adds only the node.kubernetes.io/* tolerations
 * by itself (kubernetes pkg/controller/daemon/util AddOrUpdateDaemonPodTolerations); an empty key
 * with operator Exists tolerates every taint, NoExecute included.
 */
export const NODE_AGENT_TOLERATIONS: Core.Toleration[] = [{ operator: "Exists" }];

/**
 * The priority of the node agents' pods: above every workload pod (priority 0 unless a class says
 * otherwise), so on a full node the scheduler preempts a workload pod instead of leaving an agent
 * Pending (and `pulumi up` waiting on its DaemonSet). Our own class, not system-node-critical:
 * clusters may keep the system classes to kube-system (a ResourceQuota scoped to them, OpenShift's
 * admission), and user classes must stay at or below 1e9 (kubernetes pkg/apis/scheduling
 * HighestUserDefinablePriority).
 */
export const NODE_AGENT_PRIORITY = 1_000_000;
