import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BARMAN_CLOUD_PLUGIN_NAME } from "../../../policies/shared/markers";
import { Resources } from "../types";
import type { BackupDestination } from "./backup-destination";
import { chartRelease } from "./chart-release";
import { dnsEgress } from "./flows";
import { containerResources } from "./quantities";

import Networking = k8s.types.input.networking.v1;

/**
 * The Barman Cloud plugin (CNPG-I), which operator 1.26+ documents as the current backup method
 * (in-tree `barmanObjectStore` deprecated since 1.26). Chart plugin-barman-cloud 0.7.0 of
 * https://cloudnative-pg.github.io/charts (the newest in the repository's index.yaml) is appVersion
 * v0.13.0 (charts/plugin-barman-cloud/Chart.yaml at tag plugin-barman-cloud-v0.7.0); plugin v0.13.0
 * asks for operator 1.26 or newer and cert-manager (plugin-barman-cloud web/docs/installation.mdx at
 * v0.13.0), the pinned operator is 1.29.1 (CLOUDNATIVE_PG in cloudnative-pg.ts), cert-manager is
 * cert-manager.ts's. The chart's own cert-manager Issuer and Certificates secure the operator-to-plugin
 * gRPC (templates/certificate-issuer.yaml, server-certificate.yaml, client-certificate.yaml at that tag):
 * cert-manager renews them, the plugin reads them afresh for each connection (cnpg-i-machinery v0.4.2
 * pkg/pluginhelper/http/server.go getConfigForClient) and the operator re-reads them when their Secrets
 * change (operator v1.29.1 internal/controller/plugin_controller.go SetupWithManager, mapSecretToPlugin).
 */
export const BARMAN_CLOUD_PLUGIN = {
    chart: "plugin-barman-cloud",
    chartVersion: "0.7.0",
    repo: "https://cloudnative-pg.github.io/charts",
    /** The plugin's and its instance sidecar's image tag (the chart's appVersion, said once more). */
    version: "v0.13.0",
    /** The name Clusters, ScheduledBackups and externalClusters call it by (the Service's cnpg.io/pluginName label). */
    pluginName: BARMAN_CLOUD_PLUGIN_NAME,
    /** The chart's Service's port (values.yaml service.port), which the operator dials. */
    port: 9090,
} as const;

/** The plugin's pods, by the chart's selector labels (templates/_helpers.tpl plugin-barman-cloud.selectorLabels; the release is named after the chart: chart-release.ts). */
export const pluginPods = { "app.kubernetes.io/name": BARMAN_CLOUD_PLUGIN.chart, "app.kubernetes.io/instance": BARMAN_CLOUD_PLUGIN.chart };

/** The operator's pods, by its chart's selector labels (charts/cloudnative-pg templates/_helpers.tpl, release "cloudnative-pg"). */
export const operatorPods = { "app.kubernetes.io/name": "cloudnative-pg", "app.kubernetes.io/instance": "cloudnative-pg" };

/** The plugin's own pod: it answers the operator's gRPC calls and watches ObjectStores; the uploads run in the instances' sidecars. */
export const PLUGIN_RESOURCES: Resources = { cpu: 0.2, memoryMb: 256, cpuReservation: 0.05, memoryReservationMb: 64 };

/** The chart's values: images pinned, limits on its container; its certificates are the chart's defaults (cert-manager's). */
export function pluginValues() {
    return {
        image: { tag: BARMAN_CLOUD_PLUGIN.version },
        sidecarImage: { tag: BARMAN_CLOUD_PLUGIN.version },
        crds: { create: true },
        resources: containerResources(PLUGIN_RESOURCES),
    };
}

/**
 * Who may call the plugin: the operator, on the plugin's port, by its chart's labels (the plugin is
 * installed with the operator, in its namespace). The plugin calls the API server (HTTPS, at an
 * address the policy cannot name) and the cluster's DNS.
 */
export function pluginFlows(): Networking.NetworkPolicySpec {
    return {
        podSelector: { matchLabels: pluginPods },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: { matchLabels: operatorPods } }], ports: [{ protocol: "TCP", port: BARMAN_CLOUD_PLUGIN.port }] }],
        egress: [
            { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] },
            ...(dnsEgress().egress as Networking.NetworkPolicyEgressRule[]),
        ],
    };
}

export interface BarmanCloudPluginArgs {
    /** The operator's namespace: the operator only registers plugins whose Service is in it (internal/controller/plugin_predicates.go isPluginService). */
    readonly namespace: string;
    /** The operator's release (its CRDs and namespace) and cert-manager's (the CRDs of the chart's Issuer and Certificates), when the program installs them. */
    readonly after: pulumi.Resource[];
}

/** The plugin installed from its chart, with the flows its pod needs. */
export function barmanCloudPlugin(a: BarmanCloudPluginArgs, opts: pulumi.CustomResourceOptions) {
    new k8s.networking.v1.NetworkPolicy(
        "barman-cloud-plugin-flows",
        { metadata: { name: "barman-cloud-plugin", namespace: a.namespace }, spec: pluginFlows() },
        { ...opts, dependsOn: a.after },
    );
    return chartRelease(BARMAN_CLOUD_PLUGIN, { namespace: a.namespace, values: pluginValues() }, { ...opts, dependsOn: a.after });
}

/** Where a cluster's base backups and WAL live in the bucket (Barman's layout below it: <serverName>/base, <serverName>/wals). */
export function archivePath(destination: Pick<BackupDestination, "prefix">, bucket: string): string {
    return `s3://${bucket}/${destination.prefix}cloudnative-pg/`;
}

/**
 * Barman Cloud's store (barman-cloud pkg/api BarmanObjectStoreConfiguration): the backup bucket,
 * credentials from the pod's role (IRSA or Pod Identity), compressed.
 */
export function barmanConfiguration(destination: BackupDestination) {
    return {
        destinationPath: pulumi.output(destination.bucket).apply((bucket) => archivePath(destination, bucket)),
        s3Credentials: { inheritFromIAMRole: true },
        wal: { compression: "gzip", maxParallel: 4 },
        data: { compression: "gzip", jobs: 2 },
    };
}

/**
 * The sidecar the plugin adds to every instance pod (it archives WAL, takes base backups and restores):
 * gzip of WAL and base backups, up to 4 WAL uploads and 2 backup jobs at a time (objectStore's settings).
 */
export const SIDECAR_RESOURCES: Resources = { cpu: 1, memoryMb: 512, cpuReservation: 0.1, memoryReservationMb: 128 };

/** A cluster's ObjectStore: one per cluster, named after it. */
export const objectStoreName = (cluster: string) => `${cluster}-archive`;

/**
 * The ObjectStore (barmancloud.cnpg.io/v1): `configuration` is the in-tree `barmanObjectStore` as it
 * was (same destinationPath, IAM role credentials, compression: plugin-barman-cloud web/docs/migration.md
 * "a direct mapping"), the retention moves here from the Cluster, the sidecar gets its limits.
 * No `serverName` here: the CRD forbids it (x-kubernetes-validations "use the 'serverName' plugin
 * parameter in the Cluster resource"); it defaults to the cluster's name, as in-tree did.
 */
export function objectStoreSpec(destination: BackupDestination, retentionDays: number) {
    return {
        configuration: barmanConfiguration(destination),
        retentionPolicy: `${retentionDays}d`,
        instanceSidecarConfiguration: { resources: containerResources(SIDECAR_RESOURCES) },
    };
}

/**
 * The Cluster's `plugins`: the plugin archives its WAL to the cluster's ObjectStore. Sent in the form the
 * API server stores (the CRD defaults `enabled` to true: api/v1/cluster_types.go PluginConfiguration).
 * `serverName` omitted: the plugin takes the cluster's name (internal/cnpgi/operator/config/config.go NewFromCluster).
 */
export function archivingPlugins(cluster: string) {
    return [{ name: BARMAN_CLOUD_PLUGIN.pluginName, enabled: true, isWALArchiver: true, parameters: { barmanObjectName: objectStoreName(cluster) } }];
}
