import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Resources } from "../types";
import type { BackupDestination } from "./backups";
import { objectStore, scheduledBackupSpec } from "./cloudnative-pg";
import { dnsEgress } from "./flows";
import { containerResources } from "./quantities";

import Networking = k8s.types.input.networking.v1;

/**
 * The Barman Cloud plugin (CNPG-I), which operator 1.26+ documents as the current backup method
 * (in-tree `barmanObjectStore` deprecated since 1.26). Chart plugin-barman-cloud 0.7.0 of
 * https://cloudnative-pg.github.io/charts (the newest in the repository's index.yaml) is appVersion
 * v0.13.0 (charts/plugin-barman-cloud/Chart.yaml at tag plugin-barman-cloud-v0.7.0); plugin v0.13.0
 * asks for operator 1.26 or newer (plugin-barman-cloud web/docs/installation.mdx at v0.13.0), the
 * pinned one is 1.29.1 (CLOUDNATIVE_PG in cloudnative-pg.ts).
 *
 * Not yet installed by the platform: chart 0.7.0 renders a cert-manager `Issuer` whatever the values
 * (templates/certificate-issuer.yaml at tag plugin-barman-cloud-v0.7.0 has no condition), so Helm
 * refuses the release on a cluster without cert-manager's CRDs. The charts repository's main made it
 * optional (`certificate.createIssuer`, commit 743d023, 2026-07-15) after 0.7.0; `pluginValues` already
 * sets it false, which 0.7.0 ignores.
 */
export const BARMAN_CLOUD_PLUGIN = {
    chart: "plugin-barman-cloud",
    chartVersion: "0.7.0",
    repo: "https://cloudnative-pg.github.io/charts",
    /** The plugin's and its instance sidecar's image tag (the chart's appVersion, said once more). */
    version: "v0.13.0",
    /** The name Clusters, ScheduledBackups and externalClusters call it by (the Service's cnpg.io/pluginName label). */
    pluginName: "barman-cloud.cloudnative-pg.io",
    /**
     * The chart's Service: its name is fixed (values.yaml: "DO NOT CHANGE THE SERVICE NAME") and the
     * operator dials `<service>:<port>` with the service name as TLS server name (operator
     * internal/controller/plugin_controller.go reconcile, v1.29.1), so the server certificate names it.
     */
    service: "barman-cloud",
    port: 9090,
    /** The Secrets the chart's Deployment mounts and its Service's annotations name (templates/deployment.yaml, service.yaml). */
    serverSecret: "barman-cloud-server-tls",
    clientSecret: "barman-cloud-client-tls",
} as const;

/** The Helm release's name: it contains the chart's, so the chart's fullname is exactly it (templates/_helpers.tpl). */
export const PLUGIN_RELEASE = BARMAN_CLOUD_PLUGIN.chart;

/** The plugin's pods, by the chart's selector labels (templates/_helpers.tpl plugin-barman-cloud.selectorLabels). */
export const pluginPods = { "app.kubernetes.io/name": BARMAN_CLOUD_PLUGIN.chart, "app.kubernetes.io/instance": PLUGIN_RELEASE };

/** The operator's pods, by its chart's selector labels (charts/cloudnative-pg templates/_helpers.tpl, release "cloudnative-pg"). */
export const operatorPods = { "app.kubernetes.io/name": "cloudnative-pg", "app.kubernetes.io/instance": "cloudnative-pg" };

/** The plugin's own pod: it answers the operator's gRPC calls and watches ObjectStores; the uploads run in the instances' sidecars. */
export const PLUGIN_RESOURCES: Resources = { cpu: 0.2, memoryMb: 256, cpuReservation: 0.05, memoryReservationMb: 64 };

/**
 * Every DNS name of the plugin's Service. The operator checks the first (its TLS ServerName, the
 * Service's bare name; the plugin must run in the operator's namespace: internal/controller/
 * plugin_predicates.go isPluginService); the others are its cluster names, for any other caller.
 */
export function pluginServerNames(namespace: string): string[] {
    const s = BARMAN_CLOUD_PLUGIN.service;
    return [s, `${s}.${namespace}`, `${s}.${namespace}.svc`, `${s}.${namespace}.svc.cluster.local`];
}

/** The operator's client certificate's name (the chart's cert-manager Certificate's commonName, templates/client-certificate.yaml). */
export const PLUGIN_CLIENT_NAME = "barman-cloud-client";

/** A certificate and its key, the PEM with the CA after the leaf (components/tls/certificates.ts issue). */
export interface IssuedCertificate {
    readonly certPem: pulumi.Input<string>;
    readonly keyPem: pulumi.Input<string>;
}

/** Issues a leaf from the platform's CA (Certificates.issue). */
export type Issue = (name: string, dnsNames: readonly string[], options?: { clientAuth?: boolean }) => IssuedCertificate;

/**
 * The chart's values: its cert-manager Certificates off (the platform's CA signs both, as TLS Secrets
 * of the names the chart mounts), images pinned, limits on its container.
 */
export function pluginValues() {
    return {
        image: { tag: BARMAN_CLOUD_PLUGIN.version },
        sidecarImage: { tag: BARMAN_CLOUD_PLUGIN.version },
        crds: { create: true },
        resources: containerResources(PLUGIN_RESOURCES),
        certificate: { createClientCertificate: false, createServerCertificate: false, createIssuer: false },
    };
}

/**
 * Who may call the plugin: the operator, on the plugin's port (by its chart's labels when the program
 * installs it; an operator already running is known by its namespace only, the plugin's own). The
 * plugin calls the API server (HTTPS, at an address the policy cannot name) and the cluster's DNS.
 */
export function pluginFlows(operatorInstalled: boolean): Networking.NetworkPolicySpec {
    return {
        podSelector: { matchLabels: pluginPods },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: operatorInstalled ? { matchLabels: operatorPods } : {} }], ports: [{ protocol: "TCP", port: BARMAN_CLOUD_PLUGIN.port }] }],
        egress: [
            { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] },
            ...(dnsEgress().egress as Networking.NetworkPolicyEgressRule[]),
        ],
    };
}

/** A kubernetes.io/tls Secret's data: the leaf with the CA after it, which the operator and the plugin also take as their trust (see `barmanCloudPlugin`). */
export function tlsSecretData(cert: IssuedCertificate) {
    return { "tls.crt": cert.certPem, "tls.key": cert.keyPem };
}

export interface BarmanCloudPluginArgs {
    /** The operator's namespace: the operator only registers plugins whose Service is in it. */
    readonly namespace: string;
    readonly issue: Issue;
    readonly operatorInstalled: boolean;
    /** The operator's release (installed by the program), so its CRDs and namespace exist first. */
    readonly after: pulumi.Resource[];
}

/**
 * The plugin installed from its chart, with TLS from the platform's CA instead of cert-manager's.
 * Both ends trust by the PEM in the other's Secret: the operator takes the server Secret's tls.crt as
 * its root pool (plugin_controller.go: RootCAs from tls.crt, MinVersion TLS 1.3), the plugin the
 * client Secret's tls.crt (--client-cert=/client/tls.crt, templates/deployment.yaml): the CA in
 * each bundle is what verifies the other's leaf.
 */
export function barmanCloudPlugin(a: BarmanCloudPluginArgs, opts: pulumi.CustomResourceOptions) {
    const server = a.issue("barman-cloud-server", pluginServerNames(a.namespace));
    const client = a.issue(PLUGIN_CLIENT_NAME, [PLUGIN_CLIENT_NAME], { clientAuth: true });
    const metadata = (name: string) => ({ name, namespace: a.namespace });
    const secrets = [
        new k8s.core.v1.Secret("barman-cloud-server-tls", { metadata: metadata(BARMAN_CLOUD_PLUGIN.serverSecret), type: "kubernetes.io/tls", stringData: tlsSecretData(server) }, { ...opts, dependsOn: a.after }),
        new k8s.core.v1.Secret("barman-cloud-client-tls", { metadata: metadata(BARMAN_CLOUD_PLUGIN.clientSecret), type: "kubernetes.io/tls", stringData: tlsSecretData(client) }, { ...opts, dependsOn: a.after }),
    ];
    new k8s.networking.v1.NetworkPolicy("barman-cloud-plugin-flows", { metadata: metadata("barman-cloud-plugin"), spec: pluginFlows(a.operatorInstalled) }, { ...opts, dependsOn: a.after });
    return new k8s.helm.v3.Release(
        PLUGIN_RELEASE,
        {
            name: PLUGIN_RELEASE,
            chart: BARMAN_CLOUD_PLUGIN.chart,
            version: BARMAN_CLOUD_PLUGIN.chartVersion,
            repositoryOpts: { repo: BARMAN_CLOUD_PLUGIN.repo },
            namespace: a.namespace,
            atomic: true,
            cleanupOnFail: true,
            timeout: 600,
            values: pluginValues(),
        },
        { ...opts, dependsOn: [...a.after, ...secrets] },
    );
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
        configuration: objectStore(destination),
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

/** The daily base backup through the plugin, from a standby when one is healthy (the in-tree Cluster's backup.target). */
export function pluginScheduledBackupSpec(cluster: string, dailyAtUtc: string) {
    return {
        ...scheduledBackupSpec(cluster, dailyAtUtc),
        method: "plugin",
        pluginConfiguration: { name: BARMAN_CLOUD_PLUGIN.pluginName },
        target: "prefer-standby",
    };
}
