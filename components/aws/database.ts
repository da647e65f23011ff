import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AwsSettings } from "./settings";
import { clusterOnlySecurityGroup } from "./cluster-only-security-group";
import { keptNames } from "./names";
import { Network } from "./network";
import { Adoption, guarded, retained } from "./retained";

export const POSTGRES_PORT = 5432;

export interface DatabaseArgs {
    readonly namePrefix: string;
    readonly config: AwsSettings["database"];
    readonly network: Network;
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Where the connection Secret goes: the platform's namespace through its provider. */
    readonly kubernetes: { readonly provider: k8s.Provider; readonly namespace: pulumi.Input<string> };
    readonly adoption: Adoption;
}

/** The DB instance identifier (CloudWatch's `DBInstanceIdentifier`). */

/** `17.6` -> `postgres17`, the parameter-group family. */
export const parameterGroupFamily = (engineVersion: string) => `postgres${engineVersion.split(".")[0]}`;

/**
 * The parameter group of a family, named after it: a new major (17 -> 18) creates the
 * group of the new family beside the old one (name and family are ForceNew:
 * terraform-provider-aws internal/service/rds/parameter_group.go schema). The instance keeps
 * using the old group until RDS applies the upgrade (in the maintenance window with
 * applyImmediately false), so the old group is retained, not deleted: RDS would refuse the
 * delete (InvalidDBParameterGroupState, which the provider's Delete retries for 3 minutes and
 * then fails the update). Delete it by hand once the upgrade ran (docs/aws.md).
 */
export const parameterGroupName = (prefix: string, engineVersion: string) => `${keptNames(prefix).database}-${parameterGroupFamily(engineVersion)}`;

/**
 * The provider keeps a configured `17` in its state while RDS runs 17.x, so minor upgrades
 * in the maintenance window leave the next `pulumi up` without a diff. A pinned `17.6` is
 * read back as whatever runs: after an automatic upgrade to 17.7 the next `pulumi up` would
 * ask for a downgrade, so a pinned minor version is upgraded by whoever pins it.
 */
export const autoMinorUpgrades = (engineVersion: string) => !engineVersion.includes(".");

/**
 * The relational application database: RDS PostgreSQL, Multi-AZ, encrypted, private,
 * admitting only the cluster's security group, its master password in Secrets Manager.
 * Apps find it through the `postgres-connection` Secret in the platform's namespace.
 */
export class Database extends pulumi.ComponentResource {
    readonly instance: aws.rds.Instance;
    readonly address: pulumi.Output<string>;
    readonly masterUserSecretArn: pulumi.Output<string>;

    constructor(name: string, args: DatabaseArgs, opts: pulumi.ComponentResourceOptions & { provider: aws.Provider }) {
        super("llm-platform:aws:Database", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const c = args.config;
        const a = args.adoption;
        const id = keptNames(args.namePrefix).database;

        // The groups and roles the database uses are retained with it (retained.ts): AWS
        // refuses to delete a group an instance uses, and the instance needs its roles.
        const securityGroup = clusterOnlySecurityGroup(name, { id, what: "PostgreSQL", port: POSTGRES_PORT, network: args.network, adoption: a }, child);
        const subnetGroup = new aws.rds.SubnetGroup(
            `${name}-subnets`,
            { name: id, description: `${id}: private subnets`, subnetIds: [...args.network.privateSubnetIds] },
            retained(child, a, id),
        );
        const parameterGroup = parameterGroupName(args.namePrefix, c.engineVersion);
        const parameters = new aws.rds.ParameterGroup(
            `${name}-parameters`,
            {
                name: parameterGroup,
                family: parameterGroupFamily(c.engineVersion),
                description: `${id}: slow-query log, TLS only, pg_stat_statements`,
                parameters: [
                    { name: "log_min_duration_statement", value: "1000" },
                    { name: "rds.force_ssl", value: "1" },
                    { name: "shared_preload_libraries", value: "pg_stat_statements", applyMethod: "pending-reboot" },
                    { name: "pg_stat_statements.track", value: "top" },
                    { name: "track_io_timing", value: "1" },
                    // Explicit, so the connections alarm knows the maximum (a static parameter: applied at the next reboot).
                    { name: "max_connections", value: String(c.maxConnections), applyMethod: "pending-reboot" },
                ],
            },
            retained(child, a, parameterGroup),
        );
        const monitoring = c.monitoringIntervalSeconds > 0 ? this.monitoringRole(`${name}-monitoring`, keptNames(args.namePrefix).databaseMonitoringRole, child, a) : undefined;
        this.instance = new aws.rds.Instance(
            name,
            {
                identifier: id,
                engine: "postgres",
                engineVersion: c.engineVersion,
                // A new major in aws.database.engineVersion is the upgrade: RDS refuses one without
                // this flag, which the provider sends with every engine_version change
                // (internal/service/rds/instance.go resourceInstanceUpdate). It grants nothing else.
                allowMajorVersionUpgrade: true,
                autoMinorVersionUpgrade: autoMinorUpgrades(c.engineVersion),
                instanceClass: c.instanceClass,
                storageType: "gp3",
                allocatedStorage: c.allocatedStorageGb,
                maxAllocatedStorage: c.maxAllocatedStorageGb,
                storageEncrypted: true,
                kmsKeyId: args.kmsKeyArn,
                multiAz: c.multiAz,
                dbSubnetGroupName: subnetGroup.name,
                vpcSecurityGroupIds: [securityGroup.id],
                parameterGroupName: parameters.name,
                publiclyAccessible: false,
                port: POSTGRES_PORT,
                dbName: c.databaseName,
                username: c.masterUsername,
                manageMasterUserPassword: true,
                masterUserSecretKmsKeyId: args.kmsKeyArn,
                iamDatabaseAuthenticationEnabled: true,
                backupRetentionPeriod: c.backupRetentionDays,
                backupWindow: c.preferredBackupWindow,
                maintenanceWindow: c.preferredMaintenanceWindow,
                copyTagsToSnapshot: true,
                deletionProtection: true,
                skipFinalSnapshot: false,
                finalSnapshotIdentifier: `${id}-final`,
                performanceInsightsEnabled: true,
                performanceInsightsKmsKeyId: args.kmsKeyArn,
                performanceInsightsRetentionPeriod: c.performanceInsightsRetentionDays,
                enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
                monitoringInterval: c.monitoringIntervalSeconds,
                monitoringRoleArn: monitoring?.arn,
                // Explicit: the server certificate's CA that clients verify (RDS's default for new instances).
                caCertIdentifier: "rds-ca-rsa2048-g1",
                applyImmediately: false,
            },
            { ...guarded(child, a, id), dependsOn: [subnetGroup, parameters, securityGroup] },
        );
        this.address = this.instance.address;
        this.masterUserSecretArn = this.instance.masterUserSecrets.apply((s) => s[0]?.secretArn ?? "");
        new k8s.core.v1.Secret(
            `${name}-connection`,
            {
                metadata: { name: "postgres-connection", namespace: args.kubernetes.namespace, labels: { "app.kubernetes.io/name": "postgres", "app.kubernetes.io/managed-by": "pulumi" } },
                type: "Opaque",
                // No password: it stays in Secrets Manager (masterUserSecretArn), or use IAM authentication.
                stringData: {
                    host: this.address,
                    port: String(POSTGRES_PORT),
                    database: c.databaseName,
                    username: c.masterUsername,
                    sslmode: "verify-full",
                    masterUserSecretArn: this.masterUserSecretArn,
                },
            },
            { parent: this, provider: args.kubernetes.provider },
        );
        this.registerOutputs({ address: this.address, masterUserSecretArn: this.masterUserSecretArn });
    }

    /** The role RDS Enhanced Monitoring publishes OS metrics with (AWS's managed policy for it). */
    private monitoringRole(name: string, roleName: string, opts: pulumi.CustomResourceOptions, adoption: Adoption): aws.iam.Role {
        const policyArn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole";
        const role = new aws.iam.Role(
            name,
            {
                name: roleName,
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "monitoring.rds.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
            },
            retained(opts, adoption, roleName),
        );
        new aws.iam.RolePolicyAttachment(`${name}-policy`, { role: role.name, policyArn }, retained(opts, adoption, `${roleName}/${policyArn}`));
        return role;
    }
}
