import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { BackupDestination } from "./backup-destination";
import { COMPONENT_LABEL } from "./labels";
import { ObjectPlace } from "./pod";

/** `<base>-account`: one ServiceAccount per workload, its token never mounted (no workload calls the API server). */
export function serviceAccount(place: ObjectPlace, annotations?: Record<string, pulumi.Input<string>>): pulumi.Output<string> {
    return new k8s.core.v1.ServiceAccount(
        `${place.base}-account`,
        { metadata: { name: place.base, namespace: place.namespace, labels: place.labels, annotations }, automountServiceAccountToken: false },
        place.opts,
    ).metadata.name;
}

/** `backup-account`: the one ServiceAccount the backup role trusts; with IRSA it names the role. */
export function backupServiceAccount(d: BackupDestination, namespace: pulumi.Input<string>, commonLabels: Record<string, string>, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    return new k8s.core.v1.ServiceAccount(
        "backup-account",
        {
            metadata: {
                name: d.serviceAccount,
                namespace,
                labels: { ...commonLabels, [COMPONENT_LABEL]: "backup" },
                annotations: d.identity === "irsa" ? { "eks.amazonaws.com/role-arn": d.roleArn } : undefined,
            },
            automountServiceAccountToken: false,
        },
        opts,
    ).metadata.name;
}
