import { createHash } from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../../config/load";
import { InitStep } from "../types";
import { StoreBackups } from "./backups";
import { FlowTarget, talksToLabels, workloadFlows } from "./flows";
import { suspendedJobTemplate } from "./job-template";
import { CONTENT_HASH_ANNOTATION } from "./labels";
import { ObjectPlace, PodInputs, podSecurityContext, stepContainer } from "./pod";

import Batch = k8s.types.input.batch.v1;

export interface StepJobArgs {
    readonly step: InitStep;
    /** What the step runs after: its service ready, or the step it names. */
    readonly after: pulumi.Resource;
    readonly config: PlatformConfig["kubernetes"];
    /** `<service>-<step>`: the Job's name. */
    readonly base: string;
    readonly namespace: { readonly name: string; readonly ref: pulumi.Output<string> };
    readonly labels: Record<string, string>;
    readonly selector: Record<string, string>;
    readonly place: ObjectPlace;
    /** The services it talks to: its own and the steps' it runs after. */
    readonly targets: string[];
    readonly inputs: PodInputs;
    readonly account: pulumi.Input<string>;
    readonly backups?: StoreBackups;
    readonly flowTargets: FlowTarget[];
    readonly callerNamespaces: string[];
    /** The resources of the steps it runs after. */
    readonly waitsFor: pulumi.Resource[];
}

/**
 * A one-shot step's objects: its flows, the Job (after a fresh backup for a migration), the
 * suspended template `npm run migrate` starts, and the step's outcome as `pulumi up` reports it.
 */
export function stepJob({ step, after, config: k, base, namespace, labels, selector, place, targets, inputs, account, backups, flowTargets, callerNamespaces, waitsFor }: StepJobArgs): {
    job: k8s.batch.v1.Job;
    result: pulumi.Output<string>;
} {
    const deadlineSeconds = (step.downloads ? k.downloadDeadlineMinutes : k.jobDeadlineMinutes) * 60;

    new k8s.networking.v1.NetworkPolicy(
        `${base}-flows`,
        {
            metadata: { name: base, namespace: namespace.ref, labels },
            spec: workloadFlows({
                service: base,
                podLabels: selector,
                ports: [],
                targets: flowTargets,
                callerNamespaces,
                publicPorts: [],
                internetEgress: false,
            }),
        },
        place.opts,
    );
    const container = stepContainer(step.name, step, inputs.env, inputs.volumeMounts);
    const jobSpec: Batch.JobSpec = {
        // A failed migration is looked at before it runs again.
        backoffLimit: step.migration ? 0 : k.jobBackoffLimit,
        activeDeadlineSeconds: deadlineSeconds,
        // No ttlSecondsAfterFinished: the Job is in Pulumi's state. Once the cluster deleted it, the
        // provider fails any in-place update (deadline, backoff: provider.go Update, "unable to get
        // cluster state"), and a refresh drops it, so the next `up` runs the step again (model pulls).
        template: {
            metadata: { labels: { ...labels, ...talksToLabels(targets) }, annotations: { [CONTENT_HASH_ANNOTATION]: inputs.contentHash } },
            spec: {
                restartPolicy: "Never",
                serviceAccountName: account,
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                securityContext: podSecurityContext(step.runAs),
                containers: [container],
                volumes: inputs.volumes,
            },
        },
    };
    const backupFirst = step.migration?.backupFirst;
    // The backup runs again exactly when the step does: when its files, secrets, image or command change.
    const stepInputs = inputs.contentHash.apply((files) => createHash("sha256").update(JSON.stringify([files, step.image, step.entrypoint, step.command])).digest("hex"));
    const freshBackup = backupFirst && backups ? backups.backupBeforeStep(backupFirst, step.name, stepInputs, [after]) : undefined;
    const job = new k8s.batch.v1.Job(
        base,
        {
            metadata: {
                name: base,
                namespace: namespace.ref,
                labels,
                annotations: {
                    // Pulumi waits for the Job to finish (10 minutes by default): as long as it may run, plus a margin.
                    "pulumi.com/timeoutSeconds": String(deadlineSeconds + 120),
                    // A Job that failed is replaced, so it runs again, on the next `pulumi up`.
                    "pulumi.com/replaceUnready": "true",
                },
            },
            spec: jobSpec,
        },
        // A Job's pod template cannot change: new inputs replace it, and its fixed name must go first.
        { ...place.opts, dependsOn: [after, ...waitsFor, ...(freshBackup ? [freshBackup] : [])], deleteBeforeReplace: true },
    );
    if (step.migration) {
        // `npm run migrate` creates a Job from it with the command it is asked for.
        suspendedJobTemplate(`${base}-template`, { name: base, namespace: namespace.ref, labels }, jobSpec, k.jobTtlHours, place.opts);
    }
    if (k.renderYamlToDirectory !== undefined) return { job, result: pulumi.output(`rendered to ${k.renderYamlToDirectory}, not run`) };
    // The provider already waits for the Job and fails on a failed one; this also catches a
    // Job saved without finishing (a timed-out create) instead of calling it done.
    const result = pulumi.all([job.status, job.urn]).apply(([status, urn]) => {
        const condition = (type: string) => (status?.conditions ?? []).find((c) => c.type === type && c.status === "True");
        const failed = condition("Failed");
        if (!failed && (condition("Complete") || (status?.succeeded ?? 0) > 0)) return "completed";
        const what = failed ? `failed${failed.reason ? ` (${failed.reason})` : ""}` : "has not completed";
        throw new Error(
            `one-shot step ${base} ${what}: see \`kubectl logs -n ${namespace.name} job/${base}\`, fix the cause, then run it ` +
                `again with \`pulumi up\` (a failed Job is replaced) or \`pulumi up --replace '${urn}'\` (the step is safe to re-run)`,
        );
    });
    return { job, result };
}
