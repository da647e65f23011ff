import type { PolicyConfigSchema, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { unpinnedReason } from "../shared/image-reference";
import { BARMAN_CLOUD_PLUGIN_NAME } from "../shared/markers";
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

const OBJECT_STORE = "kubernetes:barmancloud.cnpg.io/v1:ObjectStore";

type Spec = Record<string, any>;

/** The cluster's enabled WAL-archiver plugin, if any (the CRD defaults `enabled` to true). */
const walArchiverPlugin = (spec: Spec): Spec | undefined => (spec.plugins ?? []).find((p: Spec) => p?.isWALArchiver === true && p?.enabled !== false);

/**
 * How the cluster archives WAL, or why it does not: the in-tree Barman object store, or the Barman
 * Cloud plugin with an ObjectStore of the stack in the cluster's namespace (another WAL-archiver
 * plugin: taken as archiving, the pack cannot see what it needs).
 */
function archiveProblem(spec: Spec, namespace: string | undefined, stores: PolicyResource[]): string | undefined {
    const plugin = walArchiverPlugin(spec);
    if (!plugin) return nonEmptyString(spec.backup?.barmanObjectStore?.destinationPath) ? undefined : "archives no WAL";
    if (plugin.name !== BARMAN_CLOUD_PLUGIN_NAME) return undefined;
    const store = plugin.parameters?.barmanObjectName;
    if (!nonEmptyString(store)) return "archives WAL through the Barman Cloud plugin without parameters.barmanObjectName";
    const found = stores.some((s) => s.props.metadata?.name === store && s.props.metadata?.namespace === namespace && nonEmptyString(s.props.spec?.configuration?.destinationPath));
    return found ? undefined : `archives WAL through the Barman Cloud plugin to ObjectStore ${store}, which the stack does not declare in namespace ${namespace} with a destinationPath`;
}

/** The ScheduledBackup's method fits the archive: `plugin` (through the WAL archiver) for a plugin cluster, the in-tree one (the default) otherwise. */
function methodFits(schedule: Spec, cluster: Spec): boolean {
    const plugin = walArchiverPlugin(cluster);
    const method = schedule.method ?? "barmanObjectStore";
    return plugin ? method === "plugin" && schedule.pluginConfiguration?.name === plugin.name : method === "barmanObjectStore";
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
        "productionStacks they run at least minInstancesInProduction (default 3) instances, archive WAL (backup.barmanObjectStore, " +
        "or the Barman Cloud plugin as WAL archiver with an ObjectStore of the stack in their namespace) and have a ScheduledBackup " +
        "of the same namespace naming them whose method fits (plugin for a plugin-archived cluster).",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateStack: (args, reportViolation) => {
        const config = configOf<Config>(schema, args);
        const scheduled = args.resources.filter((r) => r.type === SCHEDULED_BACKUP);
        const stores = args.resources.filter((r) => r.type === OBJECT_STORE);
        const schedulesOf = (cluster: PolicyResource) =>
            scheduled.filter((s) => s.props.spec?.cluster?.name === cluster.props.metadata?.name && s.props.metadata?.namespace === cluster.props.metadata?.namespace);
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
                const archive = archiveProblem(spec, r.props.metadata?.namespace, stores);
                if (archive) report(`${archive} in production stack ${stack}; required: backup.barmanObjectStore, or the Barman Cloud plugin (isWALArchiver) with its ObjectStore`);
                const schedules = schedulesOf(r);
                if (schedules.length === 0) report(`has no ScheduledBackup in production stack ${stack}; required: base backups on a schedule`);
                else if (!schedules.some((s) => methodFits(s.props.spec ?? {}, spec))) {
                    const plugin = walArchiverPlugin(spec);
                    const wanted = plugin ? `method plugin with pluginConfiguration.name ${plugin.name}` : "method barmanObjectStore";
                    report(`has no ScheduledBackup whose method fits its archive in production stack ${stack}; required: ${wanted}`);
                }
            },
        );
    },
};
