import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { cronSchedule } from "../../backup/cron";
import { PlatformConfig } from "../../config/load";
import { pullPolicyFor } from "../../../policies/shared/image-reference";
import { ReplicatedPostgres, Resources, ServiceSpec } from "../types";
import type { BackupDestination } from "./backup-destination";
import { chartRelease } from "./chart-release";
import { archivingPlugins, BARMAN_CLOUD_PLUGIN, objectStoreName, objectStoreSpec } from "./barman-cloud-plugin";
import { FlowTarget, inNamespace, podIdentityEgress, tcp } from "./flows";
import { ADOPT_ANNOTATIONS } from "./labels";
import { containerResources, storageQuantity } from "./quantities";
import { rolloutTimeouts } from "./rollout";

import Networking = k8s.types.input.networking.v1;

/**
 * The pinned operator: chart cloudnative-pg 0.28.3 of https://cloudnative-pg.github.io/charts is
 * appVersion 1.29.1 (charts/cloudnative-pg/Chart.yaml at tag cloudnative-pg-v0.28.3). Its CRDs are
 * the ones tests/cloudnative-pg.test.ts validates against: @kubernetes-models/cloudnative-pg 1.0.0 was
 * generated from cnpg-1.29.0.yaml, and 1.29.0 → 1.29.1 changed one description of the Cluster CRD
 * (config/crd/bases/postgresql.cnpg.io_clusters.yaml) and nothing of ScheduledBackup.
 */
export const CLOUDNATIVE_PG = {
    chart: "cloudnative-pg",
    chartVersion: "0.28.3",
    repo: "https://cloudnative-pg.github.io/charts",
    operatorVersion: "1.29.1",
} as const;

/** The operator's own pod: it reconciles, it does not hold data. */
const OPERATOR_RESOURCES: Resources = { cpu: 0.5, memoryMb: 512, cpuReservation: 0.1, memoryReservationMb: 256 };

/** PostgreSQL's port, and the instance manager's status port the operator and the other instances call. */
const POSTGRES_PORT = 5432;
const INSTANCE_STATUS_PORT = 8000;

/** The label CloudNativePG puts on every pod of a cluster (pkg/utils/labels_annotations.go ClusterLabelName). */
export const CNPG_CLUSTER_LABEL = "cnpg.io/cluster";

/**
 * How flows pick a cluster's instances: by the operator's own label. Not by the platform's name label:
 * the operator sets app.kubernetes.io/name and /component itself (pkg/specs/pods.go buildInstance), and
 * on the claims it puts its values back after any inherited ones (pkg/reconciler/persistentvolumeclaim/
 * metadata.go newLabelReconciler), so inheriting ours would have it rewrite the claims' labels forever.
 */
export const clusterPods = (cluster: string): Record<string, string> => ({ [CNPG_CLUSTER_LABEL]: cluster });

/** A flow to `service` from a pod of `spec`'s own (its backups, its tasks): to the operator's pods when the store is a cluster. */
export function ownFlowTarget(spec: Pick<ServiceSpec, "name" | "replicatedPostgres">, service: string, namespace: string): FlowTarget {
    return service === spec.name && spec.replicatedPostgres ? { service, namespace, podLabels: clusterPods(service) } : { service, namespace };
}

/** The installed operator (CRDs, webhooks, controller) in its own namespace. */
export function cloudnativePgOperator(config: PlatformConfig["kubernetes"], opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    return chartRelease(
        CLOUDNATIVE_PG,
        {
            namespace: config.cloudnativePg.namespace,
            createNamespace: true,
            values: {
                // The chart's appVersion, said once more so a chart bump cannot move the operator silently.
                image: { tag: CLOUDNATIVE_PG.operatorVersion },
                crds: { create: true },
                resources: containerResources(OPERATOR_RESOURCES),
                // The platform scrapes the databases through its own exporter; no Prometheus Operator here.
                monitoring: { podMonitorEnabled: false, grafanaDashboard: { create: false } },
            },
        },
        opts,
    );
}

export interface PostgresClusterArgs {
    readonly name: string;
    readonly namespace: pulumi.Input<string>;
    readonly labels: Record<string, string>;
    readonly postgres: ReplicatedPostgres;
    readonly resources: Resources;
    readonly storageClassName: string;
    readonly destination: BackupDestination;
}

/**
 * The `Cluster` spec. Only fields the program means are sent, each in the form the operator keeps:
 * its defaulting webhook (api/v1/cluster_defaults.go setDefaults) adds fields and parameters beside
 * them, and the provider diffs the live object pruned to the fields sent (pulumi-kubernetes
 * provider/pkg/provider/provider.go Diff → pruneLiveState, util.go pruneMap), so what it adds never
 * shows as a change. The two defaults that touch a field sent are sent as the webhook would set them:
 * synchronous.dataDurability (`required`) and affinity.podAntiAffinityType.
 */
export function clusterSpec(a: PostgresClusterArgs) {
    const pg = a.postgres;
    const d = a.destination;
    return {
        instances: pg.instances,
        imageName: pg.image,
        imagePullPolicy: pullPolicyFor(pg.image),
        postgresUID: pg.runAs.uid,
        postgresGID: pg.runAs.gid,
        // The platform's generated password for the superuser the steps, backups and clients log in as.
        enableSuperuserAccess: true,
        superuserSecret: { name: superuserSecretName(a.name) },
        bootstrap: { initdb: { database: pg.database, owner: pg.database } },
        postgresql: {
            shared_preload_libraries: [...pg.preloadLibraries],
            parameters: { ...pg.settings },
            // Quorum commit: a commit returns once any one standby has it (docs/src/replication.md, "Quorum-based").
            synchronous: { method: "any", number: 1, dataDurability: "required" },
            // TCP without TLS refused: the user's rules come before the operator's closing `host all all all`
            // (pkg/postgres/configuration.go hbaTemplateString, USER-DEFINED before DEFAULT RULES).
            pg_hba: [REFUSE_PLAIN_TCP],
        },
        // The platform's certificate instead of one from the operator's CA: clients verify one CA whatever the engine.
        // The operator checks it against serverCASecret without the name (pkg/certs/tls.go newTLSConfigFromSecret),
        // and reconciles when either Secret changes (api/v1/cluster_funcs.go UsesSecret): a renewal reaches the instances.
        ...(pg.tls ? { certificates: { serverTLSSecret: serverTlsSecretName(a.name), serverCASecret: serverCaSecretName(a.name) } } : {}),
        // A bigger size grows every instance's claim; a smaller one the webhook refuses (internal/webhook/v1/cluster_webhook.go validateStorageChange).
        storage: { size: storageQuantity(pg.storageGb), storageClass: a.storageClassName },
        resources: containerResources(a.resources),
        // One instance per node, spread over zones: a node or a zone lost takes one instance at most.
        affinity: { enablePodAntiAffinity: true, topologyKey: "kubernetes.io/hostname", podAntiAffinityType: "required" },
        topologySpreadConstraints: [
            {
                maxSkew: 1,
                topologyKey: "topology.kubernetes.io/zone",
                whenUnsatisfiable: "DoNotSchedule",
                labelSelector: { matchLabels: clusterPods(a.name) },
            },
        ],
        primaryUpdateStrategy: "unsupervised",
        primaryUpdateMethod: "switchover",
        // Clients keep the service's name: a read-write Service of that name follows the primary, in the server certificate too (api/v1/cluster_funcs.go GetClusterAltDNSNames).
        managed: { services: { additional: [{ selectorType: "rw", serviceTemplate: { metadata: { name: a.name, labels: a.labels } } }] } },
        // IRSA: the cluster's ServiceAccount (named after it) names the role; Pod Identity: an association does (components/aws/backup-role.ts).
        ...(d.identity === "irsa" ? { serviceAccountTemplate: { metadata: { annotations: { "eks.amazonaws.com/role-arn": d.roleArn } } } } : {}),
        // WAL archived by the Barman Cloud plugin's sidecar to the cluster's ObjectStore (retention there too).
        plugins: archivingPlugins(a.name),
    };
}

/** The cluster `npm run restore -- <stack> <store> --to <time>` recovers into (scripts/restore.sh): the backup role trusts its ServiceAccount, its flows exist ahead. */
export const restoredClusterName = (cluster: string) => `${cluster}-pitr`;
export const superuserSecretName = (cluster: string) => `${cluster}-superuser`;
export const serverTlsSecretName = (cluster: string) => `${cluster}-server-tls`;
export const serverCaSecretName = (cluster: string) => `${cluster}-server-ca`;
/** pg_hba: a TCP connection without TLS is refused before it authenticates. */
export const REFUSE_PLAIN_TCP = "hostnossl all all all reject";
export const scheduledBackupName = (cluster: string) => `${cluster}-daily`;

/** CronJob's 5 fields with seconds in front: the ScheduledBackup's schedule is robfig/cron's 6-field form (api/v1/scheduledbackup_types.go). */
export function scheduledBackupSchedule(dailyAtUtc: string): string {
    return `0 ${cronSchedule({ dailyAtUtc })}`;
}

/**
 * The ScheduledBackup spec: a base backup through the Barman Cloud plugin now and every day, from a
 * standby when one is healthy, owned by itself (kept when the cluster is deleted).
 */
export function scheduledBackupSpec(cluster: string, dailyAtUtc: string) {
    return {
        schedule: scheduledBackupSchedule(dailyAtUtc),
        cluster: { name: cluster },
        method: "plugin",
        pluginConfiguration: { name: BARMAN_CLOUD_PLUGIN.pluginName },
        target: "prefer-standby",
        immediate: true,
        backupOwnerReference: "self",
    };
}

/** The flows the engine needs besides the clients': instance to instance, the operator to the instances, the API server and S3. */
export function clusterFlows(cluster: string, operatorNamespace: string, podIdentity: boolean): Networking.NetworkPolicySpec {
    const peers = { podSelector: { matchLabels: clusterPods(cluster) } };
    const ports = tcp([POSTGRES_PORT, INSTANCE_STATUS_PORT]);
    return {
        podSelector: { matchLabels: clusterPods(cluster) },
        policyTypes: ["Ingress", "Egress"],
        ingress: [
            { from: [peers], ports },
            { from: [{ namespaceSelector: inNamespace(operatorNamespace) }], ports },
        ],
        egress: [
            { to: [peers], ports },
            // The instance manager watches the API server, Barman Cloud writes to S3: both HTTPS, at addresses the policy cannot name.
            { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] },
            ...(podIdentity ? [podIdentityEgress] : []),
        ],
    };
}

export interface PostgresCluster {
    readonly cluster: k8s.apiextensions.CustomResource;
}

/** The superuser Secret, the Cluster (ready once its instances are), its ScheduledBackup and its flows. */
export function postgresCluster(a: PostgresClusterArgs & { readonly operatorNamespace: string; readonly rolloutMinutes: number; readonly after: pulumi.Resource[] }, opts: pulumi.CustomResourceOptions): PostgresCluster {
    const metadata = (name: string) => ({ name, namespace: a.namespace, labels: a.labels });
    const secret = new k8s.core.v1.Secret(
        `${a.name}-superuser`,
        {
            metadata: metadata(superuserSecretName(a.name)),
            type: "kubernetes.io/basic-auth",
            stringData: { username: a.postgres.superuser, password: a.postgres.superuserPassword },
        },
        opts,
    );
    const tls = a.postgres.tls;
    const certificates = tls
        ? [
              new k8s.core.v1.Secret(
                  `${a.name}-server-tls`,
                  // The operator reads the keys tls.crt and tls.key, whatever the type (internal/controller/cluster_pki.go
                  // ensureServerLeafCertificate → validateLeafCertificate); Opaque, as the platform's other certificate Secrets.
                  { metadata: metadata(serverTlsSecretName(a.name)), type: "Opaque", stringData: { "tls.crt": tls.certPem, "tls.key": pulumi.secret(tls.keyPem) } },
                  opts,
              ),
              new k8s.core.v1.Secret(`${a.name}-server-ca`, { metadata: metadata(serverCaSecretName(a.name)), type: "Opaque", stringData: { "ca.crt": tls.caCertPem } }, opts),
          ]
        : [];
    // The archive's settings, kept by destroy as the Cluster is: a retained cluster whose ObjectStore is gone archives nothing.
    const store = new k8s.apiextensions.CustomResource(
        `${a.name}-archive`,
        {
            apiVersion: "barmancloud.cnpg.io/v1",
            kind: "ObjectStore",
            metadata: { ...metadata(objectStoreName(a.name)), annotations: ADOPT_ANNOTATIONS },
            spec: objectStoreSpec(a.destination, a.postgres.retentionDays),
        },
        { ...opts, dependsOn: [...a.after, ...a.destination.ready], retainOnDelete: true },
    );
    const cluster = new k8s.apiextensions.CustomResource(
        a.name,
        {
            apiVersion: "postgresql.cnpg.io/v1",
            kind: "Cluster",
            metadata: {
                ...metadata(a.name),
                annotations: {
                    // Kept by destroy, adopted by the next up (server-side apply, forcing the fields it sets).
                    ...ADOPT_ANNOTATIONS,
                    // The provider waits for the operator's Ready condition (provider/pkg/metadata/overrides.go ReadyCondition).
                    "pulumi.com/waitFor": "condition=Ready",
                },
            },
            spec: clusterSpec(a),
        },
        // The data lives in the cluster's claims: a destroy or a rename leaves it (and them) in place.
        // How long: customTimeouts, as for the platform's workloads (kubernetes/rollout.ts says why).
        { ...opts, dependsOn: [secret, ...certificates, store, ...a.after, ...a.destination.ready], retainOnDelete: true, customTimeouts: rolloutTimeouts(a.rolloutMinutes) },
    );
    new k8s.apiextensions.CustomResource(
        `${a.name}-daily-backup`,
        { apiVersion: "postgresql.cnpg.io/v1", kind: "ScheduledBackup", metadata: metadata(scheduledBackupName(a.name)), spec: scheduledBackupSpec(a.name, a.postgres.baseBackupDailyAtUtc) },
        { ...opts, dependsOn: [cluster] },
    );
    for (const name of [a.name, restoredClusterName(a.name)]) {
        new k8s.networking.v1.NetworkPolicy(
            `${name}-cluster-flows`,
            { metadata: metadata(`${name}-cluster`), spec: clusterFlows(name, a.operatorNamespace, a.destination.identity === "pod-identity") },
            opts,
        );
    }
    return { cluster };
}
