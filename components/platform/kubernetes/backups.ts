import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { cronSchedule, schedulePeriodSeconds } from "../../backup/cron";
import { BACKUP_ROOT, BACKUP_SCRIPT_PATH } from "../../backup/scheduler";
import { DOWNLOAD_SCRIPT, DOWNLOAD_SCRIPT_PATH, PUSHGATEWAY, UPLOAD_SCRIPT, UPLOAD_SCRIPT_PATH } from "../../backup/transfer";
import { defaultImages } from "../../config/images";
import { PlatformConfig } from "../../config/load";
import { BackupJob, Env, Resources, ServiceSpec } from "../types";
import { talksToLabels, workloadFlows } from "./flows";
import { COMPONENT_LABEL, CONTENT_HASH_ANNOTATION, SERVICE_LABEL } from "./labels";
import { containerSecurityContext, ObjectPlace, podInputs, podSecurityContext } from "./pod";
import { containerResources, storageQuantity } from "./quantities";

import Core = k8s.types.input.core.v1;
import Batch = k8s.types.input.batch.v1;

/** Where the backups go: the S3 bucket and the role of the AwsProduction component. */
export interface BackupDestination {
    readonly bucket: pulumi.Input<string>;
    /** Ends in `/`. */
    readonly prefix: string;
    readonly region: string;
    /** The ServiceAccount the role trusts (Pod Identity association or IRSA trust). */
    readonly serviceAccount: string;
    readonly identity: "pod-identity" | "irsa";
    readonly roleArn: pulumi.Input<string>;
    /** The role and its Pod Identity association: a pod created before them gets no credentials. */
    readonly ready: pulumi.Resource[];
    /** The Pushgateway's base URL when metrics are on: the jobs push their last-success metric there. */
    readonly pushgatewayUrl?: string;
    /** Longest a backup job may run (a periodic one: at most its period). */
    readonly jobDeadlineMinutes: number;
}

/** The label that tells backup from restore pods (the policy pack looks for `backup` CronJobs). */
export const BACKUP_ROLE_LABEL = "llm-platform.role";
/** The volume keeps a day of backups (and the newest keepLatest) for quick restores; the bucket keeps the rest. */
const STAGING_RETENTION_DAYS = "1";
/** The EKS Pod Identity agent on every node (link-local, outside the internet-egress rule). */
const POD_IDENTITY_AGENT = "169.254.170.23/32";
/** The AWS CLI streams multipart uploads: more room than the store's own small backup step. */
const transferResources: Resources = { cpu: 1, memoryMb: 512, cpuReservation: 0.1, memoryReservationMb: 128 };

export interface StoreBackupsArgs {
    readonly spec: ServiceSpec;
    readonly destination: BackupDestination;
    readonly config: PlatformConfig["kubernetes"];
    readonly namespace: pulumi.Input<string>;
    /** The labels every object of the stack carries. */
    readonly commonLabels: Record<string, string>;
    /** The store's pods' selector (SQL Server's backup pods must run beside them). */
    readonly storeSelector: Record<string, string>;
    /** The backup ServiceAccount's name. */
    readonly serviceAccount: pulumi.Input<string>;
    /** The claim the store and its jobs share (`serviceWritesBackups`), else the jobs use an emptyDir. */
    readonly sharedClaim?: string;
    /** The store's workload: jobs are created after it. */
    readonly after: pulumi.Resource;
    readonly opts: pulumi.CustomResourceOptions;
}

/** The claim a StatefulSet's volumeClaimTemplate gives its only pod. */
export const statefulClaimName = (service: string, volume: string) => `${volume}-${service}-0`;

/** The retained claim a store that writes its own backup files shares with its jobs. */
export const sharedBackupsClaimName = (service: string) => `${service}-backups`;

/**
 * A store's backups on Kubernetes: a CronJob per backup kind (the store's image takes the
 * backup into BACKUP_ROOT, then the AWS CLI uploads it to S3 and reports the metric), and
 * a suspended restore CronJob an operator instantiates with `kubectl create job --from`.
 */
export function storeBackups(args: StoreBackupsArgs): void {
    const { spec } = args;
    const jobs = spec.backups ?? [];
    if (jobs.length === 0) return;
    const d = args.destination;
    const s3Destination = pulumi.interpolate`s3://${d.bucket}/${d.prefix}`;
    const dataGb = (spec.volumes ?? []).reduce((sum, v) => sum + v.sizeGb, 0);
    const work: Core.Volume = args.sharedClaim
        ? { name: "backups", persistentVolumeClaim: { claimName: args.sharedClaim } }
        : // A dump is never larger than the data it comes from.
          { name: "backups", emptyDir: { sizeLimit: storageQuantity(Math.max(1, dataGb)) } };
    const scratch: Core.Volume = { name: "tmp", emptyDir: { sizeLimit: "1Gi" } };
    const awsEnv: Env = {
        BACKUP_ROOT,
        STORE: spec.name,
        S3_DESTINATION: s3Destination,
        AWS_REGION: d.region,
        // The image's user may be anyone: the CLI's home is the scratch volume.
        HOME: "/tmp",
    };
    // SQL Server's jobs share its RWO volume: they must run on its node.
    const affinity: Core.Affinity | undefined = args.sharedClaim
        ? {
              podAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: args.storeSelector }, topologyKey: "kubernetes.io/hostname" }],
              },
          }
        : undefined;
    const targets = [spec.name, ...(d.pushgatewayUrl ? [PUSHGATEWAY.service] : [])];

    const pod = (
        role: "backup" | "restore",
        component: string,
        inputs: ReturnType<typeof podInputs>,
        body: Pick<Core.PodSpec, "initContainers" | "containers">,
        extraVolumes: Core.Volume[],
        deadlineSeconds: number,
    ): Batch.JobSpec => ({
        // A failed restore is looked at before it runs again.
        backoffLimit: role === "backup" ? args.config.jobBackoffLimit : 0,
        activeDeadlineSeconds: deadlineSeconds,
        ttlSecondsAfterFinished: args.config.jobTtlHours * 3600,
        template: {
            metadata: {
                labels: { ...labelsOf(role, component), ...talksToLabels(targets) },
                annotations: { [CONTENT_HASH_ANNOTATION]: inputs.contentHash },
            },
            spec: {
                restartPolicy: "Never",
                serviceAccountName: args.serviceAccount,
                // Pod Identity and IRSA inject their own projected tokens; no pod here calls the API server.
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                securityContext: podSecurityContext(spec.runAs),
                affinity,
                ...body,
                volumes: [work, scratch, ...inputs.volumes, ...extraVolumes],
            },
        },
    });
    const labelsOf = (role: "backup" | "restore", component: string) => ({
        ...args.commonLabels,
        [SERVICE_LABEL]: spec.name,
        [COMPONENT_LABEL]: component,
        [BACKUP_ROLE_LABEL]: role,
    });
    const place = (base: string, role: "backup" | "restore", component: string): ObjectPlace => ({
        base,
        namespace: args.namespace,
        labels: labelsOf(role, component),
        opts: args.opts,
    });
    const workMount = { name: "backups", mountPath: BACKUP_ROOT };
    const tmpMount = { name: "tmp", mountPath: "/tmp" };
    const awsContainer = (name: string, script: string, env: Env, mounts: Core.VolumeMount[]): Core.Container => ({
        name,
        image: defaultImages.awsCli,
        command: ["sh", script],
        env: Object.entries(env).map(([n, value]) => ({ name: n, value })),
        resources: containerResources(transferResources),
        volumeMounts: [workMount, tmpMount, ...mounts],
        securityContext: containerSecurityContext(spec.runAs, true),
    });

    for (const job of jobs) {
        const base = `${spec.name}-backup-${job.name}`;
        const component = `backup-${job.name}`;
        const where = place(base, "backup", component);
        const env: Env = {
            ...job.env,
            BACKUP_ROOT,
            STORE: spec.name,
            JOB: job.name,
            ...(args.sharedClaim ? { KEEP_UNTIL_UPLOADED: "1", RETENTION_DAYS: STAGING_RETENTION_DAYS } : {}),
        };
        const inputs = podInputs(where, env, job.secretEnv, [
            { path: BACKUP_SCRIPT_PATH, content: job.script, mode: "0755" },
            { path: UPLOAD_SCRIPT_PATH, content: UPLOAD_SCRIPT, mode: "0755" },
        ]);
        const period = schedulePeriodSeconds(job.schedule);
        const deadline = Math.min(d.jobDeadlineMinutes * 60, period);
        new k8s.batch.v1.CronJob(
            base,
            {
                metadata: { name: base, namespace: args.namespace, labels: where.labels },
                spec: {
                    schedule: cronSchedule(job.schedule),
                    timeZone: "Etc/UTC",
                    concurrencyPolicy: "Forbid",
                    // A run missed by more than half its period (at most an hour) waits for the next slot.
                    startingDeadlineSeconds: Math.min(period / 2, 3600),
                    successfulJobsHistoryLimit: 3,
                    failedJobsHistoryLimit: 3,
                    jobTemplate: {
                        metadata: { labels: where.labels },
                        spec: pod(
                                "backup",
                                component,
                                inputs,
                                {
                                    // The backup and its manifest first; the upload only runs after it verified.
                                    initContainers: [
                                        {
                                            name: "backup",
                                            image: job.image,
                                            command: ["sh", BACKUP_SCRIPT_PATH, "backup", job.name],
                                            env: inputs.env,
                                            resources: containerResources(job.resources),
                                            volumeMounts: [workMount, tmpMount, ...inputs.volumeMounts],
                                            securityContext: containerSecurityContext(spec.runAs, spec.readOnlyRootFilesystem ?? false),
                                        },
                                    ],
                                    containers: [
                                        awsContainer(
                                            "upload",
                                            UPLOAD_SCRIPT_PATH,
                                            { ...awsEnv, JOB: job.name, ...(d.pushgatewayUrl ? { PUSHGATEWAY_URL: d.pushgatewayUrl } : {}) },
                                            inputs.volumeMounts,
                                        ),
                                    ],
                                },
                                [],
                                deadline,
                            ),
                    },
                },
            },
            { ...args.opts, dependsOn: [args.after, ...d.ready] },
        );
    }
    restoreTemplate(args, jobs, { awsEnv, awsContainer, pod, place, workMount, tmpMount });
    flows(args, targets);
}

interface Shared {
    awsEnv: Env;
    awsContainer(name: string, script: string, env: Env, mounts: Core.VolumeMount[]): Core.Container;
    pod(
        role: "restore",
        component: string,
        inputs: ReturnType<typeof podInputs>,
        body: Pick<Core.PodSpec, "initContainers" | "containers">,
        extraVolumes: Core.Volume[],
        deadlineSeconds: number,
    ): Batch.JobSpec;
    place(base: string, role: "restore", component: string): ObjectPlace;
    workMount: Core.VolumeMount;
    tmpMount: Core.VolumeMount;
}

/**
 * The restore Job template: a suspended CronJob that never runs on its own. The AWS CLI
 * downloads and verifies the backup (BACKUP_ID, `latest` by default) and, for SQL Server,
 * the log backups after it; then the store's image runs `backup.sh restore`, which
 * verifies the manifest again. A restore that writes the service's volumes (Valkey) mounts
 * its claims: the StatefulSet must be scaled to 0 first (README).
 */
function restoreTemplate(args: StoreBackupsArgs, jobs: readonly BackupJob[], s: Shared): void {
    const { spec } = args;
    const [first, ...rest] = jobs;
    const base = `${spec.name}-restore`;
    const where = s.place(base, "restore", "restore");
    const writesVolumes = jobs.some((j) => j.restoreWritesServiceVolumes);
    const serviceVolumes: Core.Volume[] = writesVolumes
        ? (spec.volumes ?? []).map((v) => ({ name: `service-${v.name}`, persistentVolumeClaim: { claimName: statefulClaimName(spec.name, v.name) } }))
        : [];
    const serviceMounts = writesVolumes ? (spec.volumes ?? []).map((v) => ({ name: `service-${v.name}`, mountPath: v.mountPath })) : [];
    const choice: Env = { BACKUP_ID: "latest", RESTORE_TO: "" };
    const inputs = podInputs(where, { ...first.env, BACKUP_ROOT, STORE: spec.name, ...choice }, first.secretEnv, [
        { path: BACKUP_SCRIPT_PATH, content: first.script, mode: "0755" },
        { path: DOWNLOAD_SCRIPT_PATH, content: DOWNLOAD_SCRIPT, mode: "0755" },
    ]);
    const download = s.awsContainer(
        "download",
        DOWNLOAD_SCRIPT_PATH,
        { ...s.awsEnv, ...choice, RESTORE_KIND: first.name, CHAIN_KINDS: [...new Set(rest.map((j) => j.name))].join(" ") },
        inputs.volumeMounts,
    );
    new k8s.batch.v1.CronJob(
        base,
        {
            metadata: { name: base, namespace: args.namespace, labels: where.labels },
            spec: {
                // Never scheduled: `kubectl create job --from=cronjob/<store>-restore` runs it.
                suspend: true,
                schedule: "0 0 1 1 *",
                timeZone: "Etc/UTC",
                concurrencyPolicy: "Forbid",
                successfulJobsHistoryLimit: 1,
                failedJobsHistoryLimit: 1,
                jobTemplate: {
                    metadata: { labels: where.labels },
                    spec: s.pod(
                            "restore",
                            "restore",
                            inputs,
                            {
                                initContainers: [download],
                                containers: [
                                    {
                                        name: "restore",
                                        image: first.image,
                                        // Exactly what the download fetched and verified.
                                        command: ["sh", "-c", `exec sh ${BACKUP_SCRIPT_PATH} restore "$(cat ${BACKUP_ROOT}/.restore-id)" \${RESTORE_TO:+"$RESTORE_TO"}`],
                                        env: inputs.env,
                                        resources: containerResources(first.resources),
                                        volumeMounts: [s.workMount, s.tmpMount, ...inputs.volumeMounts, ...serviceMounts],
                                        securityContext: containerSecurityContext(spec.runAs, spec.readOnlyRootFilesystem ?? false),
                                    },
                                ],
                            },
                            serviceVolumes,
                            args.destination.jobDeadlineMinutes * 60,
                        ),
                },
            },
        },
        { ...args.opts, dependsOn: [args.after, ...args.destination.ready] },
    );
}

/** Backup and restore pods reach their store, S3 over HTTPS (and the Pod Identity agent), and the Pushgateway. */
function flows(args: StoreBackupsArgs, targets: string[]): void {
    for (const role of ["backup", "restore"] as const) {
        const name = `${args.spec.name}-${role}-pods`;
        const policy = workloadFlows({
            service: name,
            podLabels: { [SERVICE_LABEL]: args.spec.name, [BACKUP_ROLE_LABEL]: role },
            ports: [],
            targets,
            publicIngress: false,
            internetEgress: true,
        });
        if (args.destination.identity === "pod-identity") {
            (policy.egress as k8s.types.input.networking.v1.NetworkPolicyEgressRule[]).push({
                to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT } }],
                ports: [{ protocol: "TCP", port: 80 }],
            });
        }
        new k8s.networking.v1.NetworkPolicy(
            `${name}-flows`,
            { metadata: { name, namespace: args.namespace, labels: { ...args.commonLabels, [SERVICE_LABEL]: args.spec.name, [BACKUP_ROLE_LABEL]: role } }, spec: policy },
            args.opts,
        );
    }
}
