import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { cronSchedule, overdueAfterSeconds, schedulePeriodSeconds } from "../../backup/cron";
import { TASK_REPORT_PATH, TASK_REPORT_SCRIPT, TASK_RUNNER_PATH, TASK_RUNNER_SCRIPT } from "../../backup/task-runner";
import { defaultImages } from "../../config/images";
import { pullPolicyFor } from "../../../policies/shared/image-reference";
import { PlatformConfig } from "../../config/load";
import { PUSHGATEWAY } from "../../pushed-metrics";
import { Env, Resources, RunAs, ScheduledTask, ServiceFile, ServiceSpec } from "../types";
import { talksToLabels, workloadFlows } from "./flows";
import { COMPONENT_LABEL, CONTENT_HASH_ANNOTATION, SERVICE_LABEL } from "./labels";
import { containerSecurityContext, ObjectPlace, podInputs, podSecurityContext } from "./pod";
import { containerResources } from "./quantities";
import { ownFlowTarget } from "./cloudnative-pg";

import Core = k8s.types.input.core.v1;
import Batch = k8s.types.input.batch.v1;

/** Where a task's container leaves its outcome for the report container (an emptyDir they share). */
const OUTCOME_DIR = "/task-outcome";
/** The report is curl and a file: as small as it gets. */
const reportResources: Resources = { cpu: 0.1, memoryMb: 64, cpuReservation: 0.01, memoryReservationMb: 16 };
/** The label that tells the tasks' pods apart (the backups' is `backup` / `restore`). */
export const TASK_ROLE = "task";

const taskScriptPath = (task: ScheduledTask) => `/opt/llm-platform/tasks/${task.name}.sh`;

/** The files a task's pod gets: the runner, the report, and the task's script unless it is the backup script. */
export function taskFiles(task: ScheduledTask): ServiceFile[] {
    return [
        { path: TASK_RUNNER_PATH, content: TASK_RUNNER_SCRIPT, mode: "0755" },
        { path: TASK_REPORT_PATH, content: TASK_REPORT_SCRIPT, mode: "0755" },
        ...(task.restoresBackup ? [] : [{ path: taskScriptPath(task), content: task.script, mode: "0755" }]),
        ...(task.files ?? []),
    ];
}

/** What run-task.sh needs to report a run: the task and its store, and that the report container decides the Job's status. */
export function taskRunEnv(store: string, task: ScheduledTask): Env {
    return {
        STORE: store,
        TASK: task.name,
        TASK_ON_FAILURE: task.failureSeverity,
        TASK_MAX_AGE_SECONDS: String(overdueAfterSeconds(task.schedule)),
        TASK_METRICS_DIR: OUTCOME_DIR,
        TASK_EXIT_ZERO: "1",
    };
}

export const outcomeVolume: Core.Volume = { name: "task-outcome", emptyDir: { sizeLimit: "1Mi" } };
export const outcomeMount: Core.VolumeMount = { name: "task-outcome", mountPath: OUTCOME_DIR };

/** The task's command: run-task.sh around its script (a drill: the backup script's `drill` on what was downloaded). */
export function taskCommand(task: ScheduledTask, backupScript?: string): string[] {
    const script = task.restoresBackup ? [backupScript!, "drill", "latest"] : [taskScriptPath(task)];
    return ["sh", TASK_RUNNER_PATH, "sh", ...script];
}

/** The last container: pushes the outcome to the Pushgateway (when metrics are on), then fails the Job if the task failed. */
export function reportContainer(store: string, task: ScheduledTask, pushgatewayUrl: string | undefined, mounts: Core.VolumeMount[], runAs: RunAs | undefined): Core.Container {
    const env: Env = { STORE: store, TASK: task.name, TASK_METRICS_DIR: OUTCOME_DIR, ...(pushgatewayUrl ? { PUSHGATEWAY_URL: pushgatewayUrl } : {}) };
    return {
        name: "report",
        image: defaultImages.curl,
        imagePullPolicy: pullPolicyFor(defaultImages.curl),
        command: ["sh", TASK_REPORT_PATH],
        env: Object.entries(env).map(([name, value]) => ({ name, value })),
        resources: containerResources(reportResources),
        volumeMounts: [outcomeMount, ...mounts],
        securityContext: containerSecurityContext(runAs, true),
    };
}

/**
 * The CronJob's schedule and bounds: UTC, one run at a time, a missed run skipped after half
 * its period (at most an hour), no retry (a failed task waits for its next time; the alert
 * says it failed), the last good run and three failed ones kept to read.
 */
export function taskCronSpec(task: ScheduledTask, jobTemplate: Batch.JobTemplateSpec) {
    return {
        schedule: cronSchedule(task.schedule),
        timeZone: "Etc/UTC",
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: Math.min(schedulePeriodSeconds(task.schedule) / 2, 3600),
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate,
    };
}

/** The longest a run may take: its deadline, and never into its next run. */
export const taskDeadlineSeconds = (task: ScheduledTask) => Math.min(task.deadlineMinutes * 60, schedulePeriodSeconds(task.schedule));

export function taskJobSpec(task: ScheduledTask, config: PlatformConfig["kubernetes"], template: Core.PodTemplateSpec): Batch.JobSpec {
    return {
        backoffLimit: 0,
        activeDeadlineSeconds: taskDeadlineSeconds(task),
        ttlSecondsAfterFinished: config.jobTtlHours * 3600,
        template,
    };
}

export interface TaskCronJobArgs {
    readonly spec: ServiceSpec;
    readonly task: ScheduledTask;
    readonly config: PlatformConfig["kubernetes"];
    readonly namespace: { readonly name: string; readonly ref: pulumi.Input<string> };
    readonly commonLabels: Record<string, string>;
    /** The service's own ServiceAccount (its token is never mounted). */
    readonly serviceAccount: pulumi.Input<string>;
    /** Where the outcome goes; undefined without metrics. */
    readonly pushgatewayUrl?: string;
    readonly after: pulumi.Resource;
    readonly opts: pulumi.CustomResourceOptions;
}

/**
 * A maintenance task as a CronJob `<service>-<task>`: the task runs in its image under the
 * service's user (an init container, so the report always runs after it), then the report
 * container pushes its outcome and gives the Job the task's status. The pod reaches its store
 * and the Pushgateway, nothing else.
 */
export function taskCronJob(a: TaskCronJobArgs): void {
    const { spec, task } = a;
    const base = `${spec.name}-${task.name}`;
    const labels = { ...a.commonLabels, [SERVICE_LABEL]: spec.name, [COMPONENT_LABEL]: `task-${task.name}`, "llm-platform.role": TASK_ROLE };
    const place: ObjectPlace = { base, namespace: a.namespace.ref, labels, opts: a.opts };
    const targets = [spec.name, ...(a.pushgatewayUrl ? [PUSHGATEWAY.service] : [])];
    const inputs = podInputs(place, { ...task.env, ...taskRunEnv(spec.name, task) }, task.secretEnv, taskFiles(task));
    const scratch: Core.Volume = { name: "tmp", emptyDir: { sizeLimit: "1Gi" } };
    const run: Core.Container = {
        name: "task",
        image: task.image,
        imagePullPolicy: pullPolicyFor(task.image),
        command: taskCommand(task),
        env: inputs.env,
        resources: containerResources(task.resources),
        volumeMounts: [outcomeMount, { name: "tmp", mountPath: "/tmp" }, ...inputs.volumeMounts],
        securityContext: containerSecurityContext(spec.runAs, spec.readOnlyRootFilesystem ?? false),
    };
    const template: Core.PodTemplateSpec = {
        metadata: { labels: { ...labels, ...talksToLabels(targets) }, annotations: { [CONTENT_HASH_ANNOTATION]: inputs.contentHash } },
        spec: {
            restartPolicy: "Never",
            serviceAccountName: a.serviceAccount,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurityContext(spec.runAs),
            initContainers: [run],
            containers: [reportContainer(spec.name, task, a.pushgatewayUrl, inputs.volumeMounts, spec.runAs)],
            volumes: [outcomeVolume, scratch, ...inputs.volumes],
        },
    };
    new k8s.batch.v1.CronJob(
        base,
        {
            metadata: { name: base, namespace: a.namespace.ref, labels },
            spec: taskCronSpec(task, { metadata: { labels }, spec: taskJobSpec(task, a.config, template) }),
        },
        { ...a.opts, dependsOn: [a.after] },
    );
    const podLabels = { [SERVICE_LABEL]: spec.name, [COMPONENT_LABEL]: `task-${task.name}` };
    new k8s.networking.v1.NetworkPolicy(
        `${base}-flows`,
        {
            metadata: { name: base, namespace: a.namespace.ref, labels },
            spec: workloadFlows({
                service: base,
                podLabels,
                ports: [],
                publicPorts: [],
                targets: targets.map((service) => ownFlowTarget(spec, service, a.namespace.name)),
                callerNamespaces: [],
                internetEgress: false,
            }),
        },
        a.opts,
    );
}
