import type { PolicyResource } from "@pulumi/policy";
import { K8S_HPA, namespaceOf } from "./kubernetes";
import { eachKnown } from "./unknowns";
import { asRecord } from "./values";

/** What a HorizontalPodAutoscaler scales: `spec.scaleTargetRef` in its own namespace. */
export interface ScaleTarget {
    readonly hpa: PolicyResource;
    readonly namespace: string;
    readonly kind: string;
    readonly name: string;
    /** spec.minReplicas (1 when unset): the fewest pods the workload runs. */
    readonly minReplicas: number;
}

export function scaleTargets(resources: readonly PolicyResource[]): ScaleTarget[] {
    const targets: ScaleTarget[] = [];
    eachKnown(resources.filter((r) => K8S_HPA.test(r.type)), (hpa) => {
        const spec = asRecord(hpa.props.spec);
        const ref = asRecord(spec.scaleTargetRef);
        if (typeof ref.kind !== "string" || typeof ref.name !== "string") return;
        targets.push({ hpa, namespace: namespaceOf(hpa.props), kind: ref.kind, name: ref.name, minReplicas: typeof spec.minReplicas === "number" ? spec.minReplicas : 1 });
    });
    return targets;
}

/** The autoscaler of a workload, matched by namespace, kind (case-insensitive, as kube-score does) and metadata.name. */
export function scalerOf(targets: readonly ScaleTarget[], kind: string, props: Record<string, any>): ScaleTarget | undefined {
    const name = asRecord(props.metadata).name;
    const namespace = namespaceOf(props);
    return targets.find((t) => t.namespace === namespace && t.name === name && t.kind.toLowerCase() === kind.toLowerCase());
}
