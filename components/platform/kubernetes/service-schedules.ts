import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../../config/load";
import { BackupJob, ServiceSpec } from "../types";
import type { BackupDestination } from "./backup-destination";
import { sharedBackupsClaimName, StoreBackups, storeBackups } from "./backups";
import { taskCronJob } from "./scheduled-tasks";

export interface ServiceSchedulesArgs {
    readonly spec: ServiceSpec;
    readonly backups: readonly BackupJob[];
    readonly config: PlatformConfig["kubernetes"];
    readonly namespace: { readonly name: string; readonly ref: pulumi.Input<string> };
    readonly commonLabels: Record<string, string>;
    /** The service's pods' selector (SQL Server's backup pods must run beside them). */
    readonly selector: Record<string, string>;
    /** Where the backups upload; undefined when the platform has no destination. */
    readonly destination?: BackupDestination;
    /** The backup ServiceAccount's name (created with the first store that uploads backups). */
    readonly backupAccount: (d: BackupDestination) => pulumi.Output<string>;
    /** The ServiceAccount the service's own tasks run as. */
    readonly account: pulumi.Output<string>;
    readonly pushgatewayUrl?: string;
    /** Whether the store shares a retained claim with its backup jobs. */
    readonly sharedClaim: boolean;
    /** The service's workload: the CronJobs are created after it. */
    readonly after: pulumi.Resource;
    readonly opts: pulumi.CustomResourceOptions;
}

/** A service's CronJobs: its backups with their restore drills (backups.ts), then its other scheduled tasks (scheduled-tasks.ts). */
export function serviceSchedules(a: ServiceSchedulesArgs): StoreBackups | undefined {
    const { spec, config: k, namespace, after, opts } = a;
    const tasks = spec.scheduledTasks ?? [];
    let storeBackupJobs: StoreBackups | undefined;
    if (a.backups.length > 0 && a.destination) {
        storeBackupJobs = storeBackups({
            drills: tasks.filter((t) => t.restoresBackup),
            spec,
            destination: a.destination,
            config: k,
            namespace,
            commonLabels: a.commonLabels,
            storeSelector: a.selector,
            serviceAccount: a.backupAccount(a.destination),
            sharedClaim: a.sharedClaim ? sharedBackupsClaimName(spec.name) : undefined,
            after,
            opts,
        });
    }
    for (const task of tasks.filter((t) => !t.restoresBackup)) {
        taskCronJob({ spec, task, config: k, namespace, commonLabels: a.commonLabels, serviceAccount: a.account, pushgatewayUrl: a.pushgatewayUrl, after, opts });
    }
    return storeBackupJobs;
}
