import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource, stackOfUrn } from "./support/describe";

const schema: PolicyConfigSchema = {
    properties: {
        minBackupRetentionDays: { type: "integer", minimum: 1, maximum: 35, default: 7, description: "Shortest automated-backup retention." },
        productionStacks: {
            type: "array",
            items: { type: "string" },
            default: ["prod"],
            description: "Stacks (from the URN) that also need deletion protection, Multi-AZ and a final snapshot.",
        },
        requireFinalSnapshotInProduction: {
            type: "boolean",
            default: true,
            description: "In production, skipFinalSnapshot must not be true (data outlives the program).",
        },
    },
};

interface Config {
    minBackupRetentionDays: number;
    productionStacks: string[];
    requireFinalSnapshotInProduction: boolean;
}

export const rdsInstanceHardening: ResourceValidationPolicy = {
    name: "rds-instance-hardening",
    description:
        "RDS instances are encrypted at rest, not publicly accessible and keep automated backups at least 7 days; in " +
        "production stacks they also have deletion protection, Multi-AZ and a final snapshot on delete.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        if (args.type !== "aws:rds/instance:Instance") return;
        const config = configOf<Config>(schema, args);
        const p = args.props;
        const stack = stackOfUrn(args.urn);
        const report = (message: string) => reportViolation(`${describeResource(args.type, args.name)}: ${message}`);

        if (p.storageEncrypted !== true) report(`storageEncrypted is ${p.storageEncrypted ?? "not set (false)"}; required: true`);
        if (p.publiclyAccessible === true) report("publiclyAccessible is true; required: false");
        const retention = p.backupRetentionPeriod;
        if (typeof retention !== "number" || retention < config.minBackupRetentionDays) {
            report(`backupRetentionPeriod is ${retention ?? "not set (AWS keeps 1 day)"}; required: at least ${config.minBackupRetentionDays} days`);
        }
        if (stack === undefined || !config.productionStacks.includes(stack)) return;
        if (p.deletionProtection !== true) report(`deletionProtection is ${p.deletionProtection ?? "not set (false)"} in production stack ${stack}; required: true`);
        if (p.multiAz !== true) report(`multiAz is ${p.multiAz ?? "not set (false)"} in production stack ${stack}; required: true`);
        if (config.requireFinalSnapshotInProduction && p.skipFinalSnapshot === true) {
            report(`skipFinalSnapshot is true in production stack ${stack}; required: false, with a finalSnapshotIdentifier`);
        }
    },
};
