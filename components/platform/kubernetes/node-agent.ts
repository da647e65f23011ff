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
