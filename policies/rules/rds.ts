import type { PolicyConfigSchema, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { productionStack, productionStacksProperty } from "./support/production";
import { eachKnown } from "./support/unknowns";
import { nonEmptyString } from "./support/values";

const INSTANCE = "aws:rds/instance:Instance";
const CLUSTER = "aws:rds/cluster:Cluster";
const CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance";

const schema: PolicyConfigSchema = {
    properties: {
        minBackupRetentionDays: { type: "integer", minimum: 1, maximum: 35, default: 7, description: "Shortest automated-backup retention." },
        productionStacks: productionStacksProperty,
        requireFinalSnapshotInProduction: {
            type: "boolean",
            default: true,
            description: "In production, skipFinalSnapshot must not be true and a finalSnapshotIdentifier is set (data outlives the program).",
        },
    },
};

interface Config {
    minBackupRetentionDays: number;
    productionStacks: string[];
    requireFinalSnapshotInProduction: boolean;
}

type Report = (message: string) => void;

/** The longest automated-backup retention RDS accepts (@pulumi/aws 7 rds/instance.d.ts: "Must be between `0` and `35`"). */
const MAX_BACKUP_RETENTION_DAYS = 35;

/**
 * Aurora Serverless v1 (engineMode "serverless") is encrypted when storageEncrypted is not
 * given (@pulumi/aws 7 rds/cluster.d.ts: "The default is `false` for `provisioned` `engineMode`
 * and `true` for `serverless` `engineMode`").
 */
function encryptionProblem(p: Record<string, any>, cluster: boolean): string | undefined {
    const serverlessV1 = cluster && p.engineMode === "serverless";
    if (p.storageEncrypted === true || (serverlessV1 && p.storageEncrypted === undefined)) return undefined;
    if (serverlessV1) return "storageEncrypted is false on Aurora Serverless v1 (encrypted by default); required: true or not set";
    return `storageEncrypted is ${p.storageEncrypted ?? "not set (false)"}; required: true`;
}

/** Encryption at rest, retention and the final snapshot: what a primary (instance or Aurora cluster) owns. */
function checkPrimary(p: Record<string, any>, cluster: boolean, config: Config, stack: string | undefined, report: Report) {
    const encryption = encryptionProblem(p, cluster);
    if (encryption) report(encryption);
    const retention = p.backupRetentionPeriod;
    if (typeof retention !== "number" || retention < config.minBackupRetentionDays) {
        report(`backupRetentionPeriod is ${retention ?? "not set (AWS keeps 1 day)"}; required: at least ${config.minBackupRetentionDays} days`);
    } else if (retention > MAX_BACKUP_RETENTION_DAYS) {
        report(`backupRetentionPeriod is ${retention}, which RDS refuses (at most ${MAX_BACKUP_RETENTION_DAYS} days: the deploy would fail); required: ${config.minBackupRetentionDays} to ${MAX_BACKUP_RETENTION_DAYS} days (longer keeping: AWS Backup or snapshots copied to S3)`);
    }
    if (!stack) return;
    if (p.deletionProtection !== true) report(`deletionProtection is ${p.deletionProtection ?? "not set (false)"} in production stack ${stack}; required: true`);
    if (config.requireFinalSnapshotInProduction && (p.skipFinalSnapshot === true || !nonEmptyString(p.finalSnapshotIdentifier))) {
        const found = p.skipFinalSnapshot === true ? "skipFinalSnapshot is true" : "finalSnapshotIdentifier is not set";
        report(`${found} in production stack ${stack}; required: skipFinalSnapshot false and a finalSnapshotIdentifier`);
    }
}

export const rdsInstanceHardening: StackValidationPolicy = {
    name: "rds-instance-hardening",
    description:
        "RDS databases are not publicly accessible; primaries (aws.rds.Instance, Aurora aws.rds.Cluster) are encrypted at rest " +
        "(Aurora Serverless v1 is by default) and keep automated backups at least minBackupRetentionDays (default 7) and at " +
        "most the 35 days RDS accepts; in productionStacks they also have deletion " +
        "protection, a final snapshot on delete and Multi-AZ (an instance's multiAz, or an Aurora cluster with at least two " +
        "ClusterInstances). Read replicas (replicateSourceDb) inherit encryption and need no own backups or final snapshot.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateStack: (args, reportViolation) => {
        const config = configOf<Config>(schema, args);
        const reporter = (r: PolicyResource): Report => (message) => reportViolation(`${describeResource(r.type, r.name)}: ${message}`, r.urn);
        const clusterInstances = args.resources.filter((r) => r.type === CLUSTER_INSTANCE);
        eachKnown(args.resources, (r) => {
            const report = reporter(r);
            const p = r.props;
            const stack = productionStack(r.urn, config.productionStacks);
            if (r.type === INSTANCE) {
                if (p.publiclyAccessible === true) report("publiclyAccessible is true; required: false");
                if (nonEmptyString(p.replicateSourceDb)) {
                    if (stack && p.deletionProtection !== true) report(`deletionProtection is ${p.deletionProtection ?? "not set (false)"} in production stack ${stack}; required: true`);
                    return;
                }
                checkPrimary(p, false, config, stack, report);
                if (stack && p.multiAz !== true) report(`multiAz is ${p.multiAz ?? "not set (false)"} in production stack ${stack}; required: true`);
            } else if (r.type === CLUSTER_INSTANCE) {
                if (p.publiclyAccessible === true) report("publiclyAccessible is true; required: false");
            } else if (r.type === CLUSTER) {
                checkPrimary(p, true, config, stack, report);
                const keys = new Set([p.clusterIdentifier, p.id, r.name].filter(nonEmptyString));
                const members = clusterInstances.filter((i) => keys.has(i.props.clusterIdentifier));
                if (stack && members.length < 2) {
                    report(`has ${members.length} ClusterInstance(s) in production stack ${stack}, so no failover; required: at least 2 (in different availability zones)`);
                }
            }
        });
    },
};

const monitoringSchema: PolicyConfigSchema = {
    properties: {
        requireIamAuthentication: { type: "boolean", default: true, description: "Note databases without iamDatabaseAuthenticationEnabled." },
        requirePerformanceInsights: { type: "boolean", default: true, description: "Note databases without performanceInsightsEnabled." },
    },
};

export const rdsMonitoring: StackValidationPolicy = {
    name: "rds-monitoring",
    description:
        "Advisory: RDS databases use IAM database authentication (iamDatabaseAuthenticationEnabled on the instance or Aurora " +
        "cluster) and Performance Insights (performanceInsightsEnabled on the instance or each Aurora ClusterInstance).",
    enforcementLevel: "advisory",
    configSchema: monitoringSchema,
    validateStack: (args, reportViolation) => {
        const config = configOf<{ requireIamAuthentication: boolean; requirePerformanceInsights: boolean }>(monitoringSchema, args);
        eachKnown(args.resources, (r) => {
            const where = describeResource(r.type, r.name);
            if (config.requireIamAuthentication && (r.type === INSTANCE || r.type === CLUSTER) && r.props.iamDatabaseAuthenticationEnabled !== true) {
                reportViolation(`${where}: iamDatabaseAuthenticationEnabled is ${r.props.iamDatabaseAuthenticationEnabled ?? "not set (false)"}; recommended: true`, r.urn);
            }
            if (config.requirePerformanceInsights && (r.type === INSTANCE || r.type === CLUSTER_INSTANCE) && r.props.performanceInsightsEnabled !== true) {
                reportViolation(`${where}: performanceInsightsEnabled is ${r.props.performanceInsightsEnabled ?? "not set (false)"}; recommended: true`, r.urn);
            }
        });
    },
};
