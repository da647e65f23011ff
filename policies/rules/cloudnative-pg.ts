import type { PolicyConfigSchema, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { unpinnedReason } from "../shared/image-reference";
import { productionStack, productionStacksProperty } from "./support/production";
import { parseQuantity } from "./support/quantities";
import { eachKnown } from "./support/unknowns";
import { nonEmptyString } from "./support/values";

const CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster";
const SCHEDULED_BACKUP = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup";

const schema: PolicyConfigSchema = {
    properties: {
        minInstancesInProduction: {
            type: "integer",
            minimum: 1,
            default: 3,
            description: "Fewest instances of a production cluster: a primary and two standbys, so one synchronous standby remains when a node or zone is lost.",
        },
        productionStacks: productionStacksProperty,
    },
};

interface Config {
    minInstancesInProduction: number;
    productionStacks: string[];
}

/** WAL archived somewhere: the in-tree Barman object store, or a plugin that is the WAL archiver (the Barman Cloud plugin). */
function archivesWal(spec: Record<string, any>): boolean {
    if (nonEmptyString(spec.backup?.barmanObjectStore?.destinationPath)) return true;
    return (spec.plugins ?? []).some((p: Record<string, any>) => p?.isWALArchiver === true && p?.enabled !== false);
}

/** What is missing of the limits and requests of the instances' container. */
function resourceProblems(resources: Record<string, any> | undefined): string[] {
    const missing: string[] = [];
    for (const kind of ["limits", "requests"] as const) {
        for (const what of ["cpu", "memory"] as const) {
            if (parseQuantity(resources?.[kind]?.[what]) === undefined) missing.push(`resources.${kind}.${what}`);
        }
    }
    return missing;
}

export const cloudnativePgClusters: StackValidationPolicy = {
    name: "cloudnative-pg-clusters",
    description:
        "CloudNativePG Clusters set limits and requests (cpu, memory) for their instances and a pinned imageName; in " +
        "productionStacks they run at least minInstancesInProduction (default 3) instances, archive WAL (backup.barmanObjectStore " +
        "or a WAL-archiver plugin) and have a ScheduledBackup of the same namespace naming them.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateStack: (args, reportViolation) => {
        const config = configOf<Config>(schema, args);
        const scheduled = args.resources.filter((r) => r.type === SCHEDULED_BACKUP);
        const hasSchedule = (cluster: PolicyResource) =>
            scheduled.some((s) => s.props.spec?.cluster?.name === cluster.props.metadata?.name && s.props.metadata?.namespace === cluster.props.metadata?.namespace);
        eachKnown(
            args.resources.filter((r) => r.type === CLUSTER),
            (r) => {
                const report = (message: string) => reportViolation(`${describeResource(r.type, r.name)}: ${message}`, r.urn);
                const spec = r.props.spec ?? {};
                const missing = resourceProblems(spec.resources);
                if (missing.length > 0) report(`${missing.join(", ")} not set; required: limits and requests for cpu and memory`);
                const image = nonEmptyString(spec.imageName) ? unpinnedReason(spec.imageName) : "is not set (the operator's default image moves with the operator)";
                if (image) report(`imageName ${image}; required: an exact version tag or digest`);
                const stack = productionStack(r.urn, config.productionStacks);
                if (!stack) return;
                const instances = spec.instances ?? 1;
                if (instances < config.minInstancesInProduction) {
                    report(`has ${instances} instance(s) in production stack ${stack}; required: at least ${config.minInstancesInProduction} (spread over zones)`);
                }
                if (!archivesWal(spec)) report(`archives no WAL in production stack ${stack}; required: backup.barmanObjectStore or a WAL-archiver plugin`);
                if (!hasSchedule(r)) report(`has no ScheduledBackup in production stack ${stack}; required: base backups on a schedule`);
            },
        );
    },
};
