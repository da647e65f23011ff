import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import Batch = k8s.types.input.batch.v1;

export interface JobTemplateMetadata {
    readonly name: string;
    readonly namespace: pulumi.Input<string>;
    readonly labels: Record<string, string>;
}

/**
 * A CronJob that never runs on its own: the template of the Jobs an operator (or `npm run
 * restore`/`migrate`) creates from it with `kubectl create job --from=cronjob/<name>`. Those
 * Jobs are not in Pulumi's state: the cluster deletes them `jobTtlHours` after they finished.
 */
export function suspendedJobTemplate(
    resourceName: string,
    metadata: JobTemplateMetadata,
    jobSpec: Batch.JobSpec,
    jobTtlHours: number,
    opts: pulumi.CustomResourceOptions,
): k8s.batch.v1.CronJob {
    return new k8s.batch.v1.CronJob(
        resourceName,
        {
            metadata,
            spec: {
                suspend: true,
                // Required by the API; never reached while suspended.
                schedule: "0 0 1 1 *",
                timeZone: "Etc/UTC",
                concurrencyPolicy: "Forbid",
                successfulJobsHistoryLimit: 3,
                failedJobsHistoryLimit: 3,
                jobTemplate: { metadata: { labels: metadata.labels }, spec: { ...jobSpec, ttlSecondsAfterFinished: jobTtlHours * 3600 } },
            },
        },
        opts,
    );
}
