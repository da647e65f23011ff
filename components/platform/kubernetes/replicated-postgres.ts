import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../../config/load";
import { ServiceSpec } from "../types";
import type { BackupDestination } from "./backup-destination";
import { barmanCloudPlugin } from "./barman-cloud-plugin";
import { certManager } from "./cert-manager";
import { cloudnativePgOperator, postgresCluster } from "./cloudnative-pg";

/*
 * A replicated PostgreSQL's objects (platform.ts `deployPostgresCluster`): the operators the
 * program installs once, then each service's CloudNativePG Cluster (with its ObjectStore and ScheduledBackup).
 */

/** How long `pulumi up` waits for a new CloudNativePG cluster's Ready condition unless the service says. */
const CLUSTER_ROLLOUT_TIMEOUT_MINUTES = 30;

/** The CloudNativePG operator, then the Barman Cloud plugin in its namespace, after cert-manager (its chart's certificates): clusters are created after both. */
export function postgresOperators(k: PlatformConfig["kubernetes"], opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release[] {
    const operator = cloudnativePgOperator(k, opts);
    const certManagerRelease = k.certManager.install ? [certManager(k.certManager.namespace, opts)] : [];
    const plugin = barmanCloudPlugin({ namespace: k.cloudnativePg.namespace, after: [operator, ...certManagerRelease] }, opts);
    return [operator, plugin];
}

export interface ServiceClusterArgs {
    readonly spec: ServiceSpec;
    readonly config: PlatformConfig["kubernetes"];
    readonly namespace: pulumi.Output<string>;
    readonly labels: Record<string, string>;
    readonly destination: BackupDestination;
    /** What the cluster waits for: the services it depends on, the operators, the data storage class. */
    readonly after: pulumi.Resource[];
    readonly opts: pulumi.CustomResourceOptions;
}

/** The service's ServiceSpec.replicatedPostgres as a Cluster of its name; the operator runs its instances. */
export function serviceCluster({ spec, config: k, namespace, labels, destination, after, opts }: ServiceClusterArgs): k8s.apiextensions.CustomResource {
    return postgresCluster(
        {
            name: spec.name,
            namespace,
            labels,
            postgres: spec.replicatedPostgres!,
            resources: spec.resources,
            storageClassName: k.storageClassName,
            destination,
            operatorNamespace: k.cloudnativePg.namespace,
            // Three instances start one after another, each a clone of the primary: longer than one pod's rollout.
            rolloutMinutes: spec.rolloutTimeoutMinutes ?? CLUSTER_ROLLOUT_TIMEOUT_MINUTES,
            after,
        },
        opts,
    ).cluster;
}
