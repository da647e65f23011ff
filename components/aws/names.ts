/**
 * The names of the AWS objects a stack keeps across destroys: one place, so the program,
 * the adoption lookups and the deployer policy derive the same ones.
 */
export function keptNames(prefix: string) {
    return {
        backupsKeyAlias: `alias/${prefix}-backups`,
        databaseKeyAlias: `alias/${prefix}-database`,
        replicaKeyAlias: `alias/${prefix}-backups-replica`,
        /** The RDS identifier, and the subnet and security groups' names. */
        database: `${prefix}-postgres`,
        /** The ElastiCache replication group's id, and its subnet, security and parameter groups' names. */
        cache: `${prefix}-valkey`,
        databaseMonitoringRole: `${prefix}-postgres-monitoring`,
        replicationRole: `${prefix}-backup-replication`,
        backupRole: `${prefix}-backup`,
        /** `<prefix>-<account>-<region>-<purpose>`: bucket names are global. */
        bucket: (accountId: string, region: string, purpose: "backups" | "logs") => `${prefix}-${accountId}-${region}-${purpose}`,
    };
}

/** The ARN partition of a region (GovCloud and China have their own). */
export function partitionOf(region: string): "aws" | "aws-us-gov" | "aws-cn" {
    if (region.startsWith("us-gov-")) return "aws-us-gov";
    if (region.startsWith("cn-")) return "aws-cn";
    return "aws";
}
