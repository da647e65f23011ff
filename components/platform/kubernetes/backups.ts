import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { cronSchedule, schedulePeriodSeconds } from "../../backup/cron";
import { BACKUP_ROOT, BACKUP_SCRIPT_PATH } from "../../backup/scheduler";
import { TASK_RUNNER_PATH } from "../../backup/task-runner";
import { ARCHIVE_RESTORE_DEFAULTS, DOWNLOAD_SCRIPT, DOWNLOAD_SCRIPT_PATH, restoreCommand, UPLOAD_SCRIPT, UPLOAD_SCRIPT_PATH } from "../../backup/transfer";
import { PUSHGATEWAY } from "../../pushed-metrics";
import { defaultImages } from "../../config/images";
import { pullPolicyFor } from "../../../policies/shared/image-reference";
import { PlatformConfig } from "../../config/load";
import { BackupJob, Env, Resources, ScheduledTask, ServiceSpec } from "../types";
import { outcomeMount, outcomeVolume, reportContainer, taskCronSpec, taskDeadlineSeconds, taskFiles, taskRunEnv } from "./scheduled-tasks";
import { BackupDestination } from "./backup-destination";
import { ownFlowTarget } from "./cloudnative-pg";
import { podIdentityEgress, talksToLabels, workloadFlows } from "./flows";
import { COMPONENT_LABEL, CONTENT_HASH_ANNOTATION, SERVICE_LABEL } from "./labels";
import { suspendedJobTemplate } from "./job-template";
import { containerSecurityContext, ObjectPlace, podInputs, podSecurityContext } from "./pod";
import { containerResources, storageQuantity } from "./quantities";

import Core = k8s.types.input.core.v1;
import Batch = k8s.types.input.batch.v1;
import Networking = k8s.types.input.networking.v1;

export type { BackupDestination };

/** The pod template annotation of a backup taken before a step: the step's inputs, so it runs again when they change. */
export const BEFORE_STEP_ANNOTATION = "llm-platform/before-step-inputs";

/** The label that tells backup from restore pods (the policy pack looks for `backup` CronJobs). */
export const BACKUP_ROLE_LABEL = "llm-platform.role";
/** The volume keeps a day of backups (and the newest keepLatest) for quick restores; the bucket keeps the rest. */
const STAGING_RETENTION_DAYS = "1";
/** The AWS CLI streams multipart uploads: more room than the store's own small backup step. */
const transferResources: Resources = { cpu: 1, memoryMb: 512, cpuReservation: 0.1, memoryReservationMb: 128 };

export interface StoreBackupsArgs {
    readonly spec: ServiceSpec;
    readonly destination: BackupDestination;
    readonly config: PlatformConfig["kubernetes"];
    /** The store's namespace: its name, and the Namespace's name as an output (objects wait for it). */
    readonly namespace: { readonly name: string; readonly ref: pulumi.Input<string> };
    /** The labels every object of the stack carries. */
    readonly commonLabels: Record<string, string>;
    /** The store's pods' selector (SQL Server's backup pods must run beside them). */
    readonly storeSelector: Record<string, string>;
    /** The backup ServiceAccount's name. */
    readonly serviceAccount: pulumi.Input<string>;
    /** The claim the store and its jobs share (`serviceWritesBackups`), else each job pod gets its own scratch claim. */
    readonly sharedClaim?: string;
    /** The store's workload: jobs are created after it. */
    readonly after: pulumi.Resource;
    readonly opts: pulumi.CustomResourceOptions;
    /** The store's restore drills (ScheduledTask.restoresBackup): CronJobs that download its newest backup. */
    readonly drills: readonly ScheduledTask[];
}

/** The claim a StatefulSet's volumeClaimTemplate gives its only pod. */
export const statefulClaimName = (service: string, volume: string) => `${volume}-${service}-0`;

/** The retained claim a store that writes its own backup files shares with its jobs. */
export const sharedBackupsClaimName = (service: string) => `${service}-backups`;

type Role = "backup" | "restore" | "drill";
type PodInputs = ReturnType<typeof podInputs>;

const workMount: Core.VolumeMount = { name: "backups", mountPath: BACKUP_ROOT };
const tmpMount: Core.VolumeMount = { name: "tmp", mountPath: "/tmp" };

/**
 * A store's backups on Kubernetes: a CronJob per backup kind (the store's image takes the
 * backup into BACKUP_ROOT, then the AWS CLI uploads it to S3 and reports the metric), a
 * suspended restore CronJob an operator instantiates with `kubectl create job --from`, and
 * the flows of both.
 */
export function storeBackups(args: StoreBackupsArgs): StoreBackups | undefined {
    const jobs = args.spec.backups ?? [];
    if (jobs.length === 0) return undefined;
    const store = new StoreBackups(args);
    for (const job of jobs) store.backupCronJob(job);
    store.restoreTemplate(jobs);
    for (const drill of args.drills) store.drillCronJob(drill, jobs[0]);
    store.flows();
    return store;
}

export class StoreBackups {
    private readonly spec: ServiceSpec;
    private readonly destination: BackupDestination;
    /** Where the backup is taken and downloaded: SQL Server's shared claim, or a scratch claim as large as the data. */
    private readonly work: Core.Volume;
    /** The store, and the Pushgateway when metrics are on. */
    private readonly targets: string[];
    private readonly awsEnv: Env;

    constructor(private readonly args: StoreBackupsArgs) {
        this.spec = args.spec;
        this.destination = args.destination;
        const dataGb = (this.spec.volumes ?? []).reduce((sum, v) => sum + v.sizeGb, 0);
        this.work = args.sharedClaim
            ? { name: "backups", persistentVolumeClaim: { claimName: args.sharedClaim } }
            : // A dump is never larger than the data it comes from. A generic ephemeral volume, not an
              // emptyDir: the node needs no free disk that large. The pod owns the claim, so both go when
              // the Job is cleaned up, and the Delete class removes the EBS volume.
              {
                  name: "backups",
                  ephemeral: {
                      volumeClaimTemplate: {
                          metadata: { labels: { ...args.commonLabels, [SERVICE_LABEL]: this.spec.name } },
                          spec: {
                              accessModes: ["ReadWriteOnce"],
                              storageClassName: args.config.scratchStorageClassName,
                              resources: { requests: { storage: storageQuantity(Math.max(1, dataGb)) } },
                          },
                      },
                  },
              };
        this.targets = [this.spec.name, ...(this.destination.pushgatewayUrl ? [PUSHGATEWAY.service] : [])];
        this.awsEnv = {
            BACKUP_ROOT,
            STORE: this.spec.name,
            S3_DESTINATION: pulumi.interpolate`s3://${this.destination.bucket}/${this.destination.prefix}`,
            AWS_REGION: this.destination.region,
            // The pod's user may be anyone: the CLI's home is the scratch volume.
            HOME: "/tmp",
        };
    }

    backupCronJob(job: BackupJob): void {
        const { spec, destination: d } = this;
        const base = `${spec.name}-backup-${job.name}`;
        const period = schedulePeriodSeconds(job.schedule);
        const { place, jobSpec } = this.backupPod(job, base, Math.min(d.jobDeadlineMinutes * 60, period));
        new k8s.batch.v1.CronJob(
            base,
            {
                metadata: { name: base, namespace: this.args.namespace.ref, labels: place.labels },
                spec: {
                    schedule: cronSchedule(job.schedule),
                    timeZone: "Etc/UTC",
                    concurrencyPolicy: "Forbid",
                    // A run missed by more than half its period (at most an hour) waits for the next slot.
                    startingDeadlineSeconds: Math.min(period / 2, 3600),
                    // A kept Job keeps its pod and so its scratch claim (as large as the data): a good run is in
                    // the bucket and its metric, so only the last one stays; failed runs stay to be read.
                    successfulJobsHistoryLimit: this.args.sharedClaim ? 3 : 1,
                    failedJobsHistoryLimit: 3,
                    jobTemplate: {
                        metadata: { labels: place.labels },
                        // A periodic backup ends before its next slot.
                        spec: jobSpec,
                    },
                },
            },
            { ...this.args.opts, dependsOn: [this.args.after, ...d.ready] },
        );
    }

    /**
     * A one-off run of backup job `jobName`'s pod, as a Job `pulumi up` waits for: the fresh
     * backup a migration step needs first. It is uploaded like any scheduled one (and reports its
     * success). Its pod template carries `trigger` (the step's inputs), so a changed step takes
     * a new backup before it runs; an unchanged one runs neither.
     */
    backupBeforeStep(jobName: string, step: string, trigger: pulumi.Input<string>, after: pulumi.Resource[]): k8s.batch.v1.Job {
        const job = (this.spec.backups ?? []).find((j) => j.name === jobName);
        if (!job) throw new Error(`service ${this.spec.name}: step ${step} needs a fresh '${jobName}' backup first, but the service declares no such backup job`);
        const base = `${this.spec.name}-backup-before-${step}`;
        const deadlineSeconds = this.destination.jobDeadlineMinutes * 60;
        const { place, jobSpec } = this.backupPod(job, base, deadlineSeconds, { [BEFORE_STEP_ANNOTATION]: trigger });
        return new k8s.batch.v1.Job(
            base,
            {
                metadata: {
                    name: base,
                    namespace: this.args.namespace.ref,
                    labels: place.labels,
                    annotations: {
                        // Pulumi waits for the backup (10 minutes by default): as long as it may run, plus a margin.
                        "pulumi.com/timeoutSeconds": String(deadlineSeconds + 120),
                        // A failed backup is taken again on the next `pulumi up`; the step waits for it.
                        "pulumi.com/replaceUnready": "true",
                    },
                },
                // No ttlSecondsAfterFinished on a Job in Pulumi's state (see the steps' Jobs in platform.ts).
                spec: { ...jobSpec, ttlSecondsAfterFinished: undefined },
            },
            // A Job's pod template cannot change: a new trigger replaces it, and its fixed name must go first.
            { ...this.args.opts, dependsOn: [this.args.after, ...this.destination.ready, ...after], deleteBeforeReplace: true },
        );
    }

    /** The backup pod of `job`: the store's image takes the backup and verifies it, then the AWS CLI uploads it. */
    private backupPod(
        job: BackupJob,
        base: string,
        deadlineSeconds: number,
        annotations: Record<string, pulumi.Input<string>> = {},
    ): { place: ObjectPlace; jobSpec: Batch.JobSpec } {
        const { spec, destination: d } = this;
        const component = `backup-${job.name}`;
        const place = this.place(base, "backup", component);
        const env: Env = {
            ...job.env,
            BACKUP_ROOT,
            STORE: spec.name,
            JOB: job.name,
            ...(this.args.sharedClaim ? { KEEP_UNTIL_UPLOADED: "1", RETENTION_DAYS: STAGING_RETENTION_DAYS } : {}),
        };
        const inputs = podInputs(place, env, job.secretEnv, [
            { path: BACKUP_SCRIPT_PATH, content: job.script, mode: "0755" },
            { path: UPLOAD_SCRIPT_PATH, content: UPLOAD_SCRIPT, mode: "0755" },
            ...(job.files ?? []),
        ]);
        // The backup and its manifest first; the upload runs only after it verified.
        const backup = this.storeContainer("backup", job, ["sh", BACKUP_SCRIPT_PATH, "backup", job.name], inputs, []);
        const upload = this.awsContainer(
            "upload",
            UPLOAD_SCRIPT_PATH,
            { ...this.awsEnv, JOB: job.name, ...(d.pushgatewayUrl ? { PUSHGATEWAY_URL: d.pushgatewayUrl } : {}) },
            inputs,
        );
        return { place, jobSpec: this.jobSpec("backup", component, inputs, [backup], [upload], [], deadlineSeconds, annotations) };
    }

    /**
     * The restore Job template: a suspended CronJob that never runs on its own. The AWS CLI
     * downloads and verifies the backup (BACKUP_ID, `latest` by default) and, for SQL Server,
     * the log backups after it; then the store's image runs `backup.sh restore` on exactly
     * that, which verifies the manifest again. A restore that writes the service's volumes
     * (Valkey) mounts its claims: the StatefulSet must be scaled to 0 first (README).
     */
    restoreTemplate(jobs: readonly BackupJob[]): void {
        const { spec } = this;
        const [first, ...rest] = jobs;
        const base = `${spec.name}-restore`;
        const place = this.place(base, "restore", "restore");
        const serviceVolumes = jobs.some((j) => j.restoreWritesServiceVolumes) ? (spec.volumes ?? []) : [];
        const choice: Env = { BACKUP_ID: "latest", RESTORE_TO: "" };
        const inputs = podInputs(place, { ...first.env, BACKUP_ROOT, STORE: spec.name, ...choice }, first.secretEnv, [
            { path: BACKUP_SCRIPT_PATH, content: first.script, mode: "0755" },
            { path: DOWNLOAD_SCRIPT_PATH, content: DOWNLOAD_SCRIPT, mode: "0755" },
            ...(first.files ?? []),
        ]);
        const download = this.awsContainer(
            "download",
            DOWNLOAD_SCRIPT_PATH,
            // The archive tier and how long S3 keeps restored copies: set like BACKUP_ID when creating the Job.
            { ...this.awsEnv, ...choice, ...ARCHIVE_RESTORE_DEFAULTS, RESTORE_KIND: first.name, CHAIN_KINDS: [...new Set(rest.map((j) => j.name))].join(" ") },
            inputs,
        );
        // Valkey's restore runs a temporary server that loads the whole dataset: it gets the
        // stopped service's own resources.
        const restoring = serviceVolumes.length > 0 ? { ...first, resources: spec.resources } : first;
        const restore = this.storeContainer(
            "restore",
            restoring,
            restoreCommand(BACKUP_SCRIPT_PATH, BACKUP_ROOT),
            inputs,
            serviceVolumes.map((v) => ({ name: `service-${v.name}`, mountPath: v.mountPath })),
        );
        // Never scheduled: `kubectl create job --from=cronjob/<store>-restore` runs it.
        suspendedJobTemplate(
            base,
            { name: base, namespace: this.args.namespace.ref, labels: place.labels },
            this.jobSpec(
                "restore",
                "restore",
                inputs,
                [download],
                [restore],
                serviceVolumes.map((v) => ({ name: `service-${v.name}`, persistentVolumeClaim: { claimName: statefulClaimName(spec.name, v.name) } })),
                this.destination.jobDeadlineMinutes * 60 + this.destination.archiveRestoreHours * 3600,
            ),
            this.args.config.jobTtlHours,
            { ...this.args.opts, dependsOn: [this.args.after, ...this.destination.ready] },
        );
    }

    /**
     * The restore drill: the AWS CLI downloads the newest backup of the first kind (as a restore
     * does; a failed download leaves nothing to drill, and the drill says so), then the store's
     * image runs `backup.sh drill` on it under run-task.sh, and the report container pushes the
     * outcome and gives the Job the drill's status.
     */
    drillCronJob(task: ScheduledTask, first: BackupJob): void {
        const { spec } = this;
        const base = `${spec.name}-${task.name}`;
        const place = this.place(base, "drill", task.name);
        const choice: Env = { BACKUP_ID: "latest", RESTORE_TO: "" };
        const inputs = podInputs(place, { ...task.env, BACKUP_ROOT, STORE: spec.name, ...taskRunEnv(spec.name, task) }, task.secretEnv, [
            { path: BACKUP_SCRIPT_PATH, content: task.script, mode: "0755" },
            { path: DOWNLOAD_SCRIPT_PATH, content: DOWNLOAD_SCRIPT, mode: "0755" },
            ...taskFiles(task),
        ]);
        const restoreId = `${BACKUP_ROOT}/.restore-id`;
        // A failed download leaves no backup id: the drill then fails and reports it.
        const download = {
            ...this.awsContainer("download", DOWNLOAD_SCRIPT_PATH, { ...this.awsEnv, ...choice, RESTORE_KIND: first.name, CHAIN_KINDS: "" }, inputs),
            command: ["sh", "-c", `rm -f ${restoreId}; sh ${DOWNLOAD_SCRIPT_PATH} || echo "llm-platform drill: the download failed (above)" >&2`],
        };
        const drill = this.storeContainer(
            "drill",
            { ...first, resources: task.resources },
            ["sh", "-c", `exec sh ${TASK_RUNNER_PATH} sh ${BACKUP_SCRIPT_PATH} drill "$(cat ${restoreId} 2>/dev/null || echo none-downloaded)"`],
            inputs,
            [outcomeMount],
        );
        new k8s.batch.v1.CronJob(
            base,
            {
                metadata: { name: base, namespace: this.args.namespace.ref, labels: place.labels },
                spec: taskCronSpec(task, {
                    metadata: { labels: place.labels },
                    spec: this.jobSpec(
                        "drill",
                        task.name,
                        inputs,
                        [download, drill],
                        [reportContainer(spec.name, task, this.destination.pushgatewayUrl, inputs.volumeMounts, spec.runAs)],
                        [outcomeVolume],
                        taskDeadlineSeconds(task),
                    ),
                }),
            },
            { ...this.args.opts, dependsOn: [this.args.after, ...this.destination.ready] },
        );
    }

    /** Backup, restore and drill pods reach their store, S3 over HTTPS (and the Pod Identity agent), and the Pushgateway. */
    flows(): void {
        for (const role of ["backup", "restore", "drill"] as const) {
            const name = `${this.spec.name}-${role}-pods`;
            const podLabels = { [SERVICE_LABEL]: this.spec.name, [BACKUP_ROLE_LABEL]: role };
            const targets = this.targets.map((service) => ownFlowTarget(this.spec, service, this.args.namespace.name));
            const policy = workloadFlows({ service: name, podLabels, ports: [], publicPorts: [], targets, callerNamespaces: [], internetEgress: true });
            const endpoints = this.destination.privateEndpointCidrs ?? [];
            const egress = [
                ...(policy.egress as Networking.NetworkPolicyEgressRule[]),
                ...(this.destination.identity === "pod-identity" ? [podIdentityEgress] : []),
                // HTTPS to the VPC: S3 and STS interface endpoints, where the VPC has them.
                ...(endpoints.length > 0 ? [{ to: endpoints.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: 443 }] }] : []),
            ];
            new k8s.networking.v1.NetworkPolicy(
                `${name}-flows`,
                { metadata: { name, namespace: this.args.namespace.ref, labels: { ...this.args.commonLabels, ...podLabels } }, spec: { ...policy, egress } },
                this.args.opts,
            );
        }
    }

    private jobSpec(
        role: Role,
        component: string,
        inputs: PodInputs,
        initContainers: Core.Container[],
        containers: Core.Container[],
        extraVolumes: Core.Volume[],
        deadlineSeconds: number,
        annotations: Record<string, pulumi.Input<string>> = {},
    ): Batch.JobSpec {
        return {
            // A failed restore is looked at before it runs again.
            backoffLimit: role === "backup" ? this.args.config.jobBackoffLimit : 0,
            activeDeadlineSeconds: deadlineSeconds,
            ttlSecondsAfterFinished: this.args.config.jobTtlHours * 3600,
            template: {
                metadata: {
                    labels: { ...this.labels(role, component), ...talksToLabels(this.targets) },
                    annotations: { [CONTENT_HASH_ANNOTATION]: inputs.contentHash, ...annotations },
                },
                spec: {
                    restartPolicy: "Never",
                    serviceAccountName: this.args.serviceAccount,
                    // Pod Identity and IRSA inject their own projected tokens; no pod here calls the API server.
                    automountServiceAccountToken: false,
                    enableServiceLinks: false,
                    // The store's own user: SQL Server reads what its jobs make, Valkey owns what its restore writes.
                    securityContext: podSecurityContext(this.spec.runAs),
                    // SQL Server's jobs share its ReadWriteOnce volume: they run on its node.
                    affinity: this.args.sharedClaim
                        ? {
                              podAffinity: {
                                  requiredDuringSchedulingIgnoredDuringExecution: [
                                      { labelSelector: { matchLabels: this.args.storeSelector }, topologyKey: "kubernetes.io/hostname" },
                                  ],
                              },
                          }
                        : undefined,
                    initContainers,
                    containers,
                    volumes: [this.work, { name: "tmp", emptyDir: { sizeLimit: "1Gi" } }, ...inputs.volumes, ...extraVolumes],
                },
            },
        };
    }

    private storeContainer(name: string, job: BackupJob, command: string[], inputs: PodInputs, extraMounts: Core.VolumeMount[]): Core.Container {
        return {
            name,
            image: job.image,
            imagePullPolicy: pullPolicyFor(job.image),
            command,
            env: inputs.env,
            resources: containerResources(job.resources),
            volumeMounts: [workMount, tmpMount, ...inputs.volumeMounts, ...extraMounts],
            securityContext: containerSecurityContext(this.spec.runAs, this.spec.readOnlyRootFilesystem ?? false),
        };
    }

    /** The AWS CLI: plain env only (the store's secrets stay with the store's container). */
    private awsContainer(name: string, script: string, env: Env, inputs: PodInputs): Core.Container {
        return {
            name,
            image: defaultImages.awsCli,
            imagePullPolicy: pullPolicyFor(defaultImages.awsCli),
            command: ["sh", script],
            env: Object.entries(env).map(([key, value]) => ({ name: key, value })),
            resources: containerResources(transferResources),
            volumeMounts: [workMount, tmpMount, ...inputs.volumeMounts],
            securityContext: containerSecurityContext(this.spec.runAs, true),
        };
    }

    private labels(role: Role, component: string): Record<string, string> {
        return { ...this.args.commonLabels, [SERVICE_LABEL]: this.spec.name, [COMPONENT_LABEL]: component, [BACKUP_ROLE_LABEL]: role };
    }

    private place(base: string, role: Role, component: string): ObjectPlace {
        return { base, namespace: this.args.namespace.ref, labels: this.labels(role, component), opts: this.args.opts };
    }
}
