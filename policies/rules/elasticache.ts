import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { productionStack, productionStacksProperty } from "./support/production";
import { nonEmptyString } from "./support/values";

const REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";

const schema: PolicyConfigSchema = {
    properties: {
        minSnapshotRetentionDays: { type: "integer", minimum: 1, maximum: 35, default: 1, description: "Fewest days of automatic snapshots in production stacks." },
        productionStacks: productionStacksProperty,
    },
};

interface Config {
    minSnapshotRetentionDays: number;
    productionStacks: string[];
}

/** atRestEncryptionEnabled is a nullable bool in the provider (`"true"` in state, true as an input). */
const isTrue = (v: unknown) => v === true || v === "true";

/** Replicas behind the primary: numCacheClusters - 1 (cluster mode off) or replicasPerNodeGroup (cluster mode on). */
function replicas(p: Record<string, any>): number {
    if (typeof p.numCacheClusters === "number") return p.numCacheClusters - 1;
    if (typeof p.replicasPerNodeGroup === "number") return p.replicasPerNodeGroup;
    return 0;
}

export const elasticacheHardening: ResourceValidationPolicy = {
    name: "elasticache-hardening",
    description:
        "ElastiCache replication groups (Valkey, Redis OSS) are encrypted at rest and in transit with plain connections " +
        "refused (transitEncryptionMode not preferred) and authenticate clients (an AUTH token or an RBAC user group); " +
        "in productionStacks they also run Multi-AZ with automatic failover and at least one replica, and keep automatic " +
        "snapshots for at least minSnapshotRetentionDays (default 1).",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        if (args.type !== REPLICATION_GROUP) return;
        const config = configOf<Config>(schema, args);
        const p = args.props;
        const report = (message: string) => reportViolation(`${describeResource(args.type, args.name)}: ${message}`);
        if (!isTrue(p.atRestEncryptionEnabled)) report(`atRestEncryptionEnabled is ${p.atRestEncryptionEnabled ?? "not set (false)"}; required: true`);
        if (p.transitEncryptionEnabled !== true) report(`transitEncryptionEnabled is ${p.transitEncryptionEnabled ?? "not set (false)"}; required: true`);
        else if (p.transitEncryptionMode === "preferred") report('transitEncryptionMode is preferred, which still accepts plain connections; required: "required"');
        const stack = productionStack(args.urn, config.productionStacks);
        if (stack) {
            if (p.multiAzEnabled !== true) report(`multiAzEnabled is ${p.multiAzEnabled ?? "not set (false)"} in production stack ${stack}; required: true`);
            if (p.automaticFailoverEnabled !== true) report(`automaticFailoverEnabled is ${p.automaticFailoverEnabled ?? "not set (false)"} in production stack ${stack}; required: true`);
            if (replicas(p) < 1) report(`has no replica in production stack ${stack} (numCacheClusters ${p.numCacheClusters ?? "not set (1)"}), so nothing to fail over to; required: numCacheClusters at least 2`);
            const retention = p.snapshotRetentionLimit;
            if (typeof retention !== "number" || retention < config.minSnapshotRetentionDays) {
                report(`snapshotRetentionLimit is ${retention ?? "not set (0: no snapshots)"} in production stack ${stack}; required: at least ${config.minSnapshotRetentionDays} days`);
            }
        }
        // Last: a generated token is unknown in a first preview, which ends the check there.
        const rbac = Array.isArray(p.userGroupIds) && p.userGroupIds.length > 0;
        if (!rbac && !nonEmptyString(p.authToken) && typeof p.authTokenWoVersion !== "number") {
            report("has neither an authToken nor userGroupIds, so any client in its network may connect; required: an AUTH token or an RBAC user group");
        }
    },
};
