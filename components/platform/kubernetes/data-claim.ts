import * as k8s from "@pulumi/kubernetes";
import { SIZED_BY_ANNOTATION } from "./claims";
import { ADOPT_ANNOTATIONS } from "./labels";
import { ObjectPlace } from "./pod";
import { storageQuantity } from "./quantities";

/**
 * A claim that holds data, on the retained class: kept by `pulumi destroy` and adopted by the next
 * `up` (ADOPT_ANNOTATIONS); a bigger size grows it in place (the provider updates a claim's
 * resources, diff.go forces a new one only for accessModes, selector, storageClassName, volumeName).
 */
export function dataClaim(
    place: ObjectPlace,
    name: string,
    sizeGb: number,
    sizedBy: string | undefined,
    storageClassName: string,
    dataClass: k8s.storage.v1.StorageClass | undefined,
): k8s.core.v1.PersistentVolumeClaim {
    return new k8s.core.v1.PersistentVolumeClaim(
        name,
        {
            metadata: {
                name,
                namespace: place.namespace,
                labels: place.labels,
                annotations: { ...ADOPT_ANNOTATIONS, ...(sizedBy ? { [SIZED_BY_ANNOTATION]: sizedBy } : {}) },
            },
            spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName,
                resources: { requests: { storage: storageQuantity(sizeGb) } },
            },
        },
        // The provider reads the claim's class to know it may stay Pending (WaitForFirstConsumer; await/awaiters.go pvcBindMode).
        { ...place.opts, retainOnDelete: true, dependsOn: dataClass ? [dataClass] : [] },
    );
}
