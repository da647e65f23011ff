import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ARCHIVE_RESTORE_HOURS } from "../backup/transfer";
import { AwsSettings } from "./settings";
import { BackupRole } from "./backup-role";
import { BucketReplication } from "./bucket-replication";
import { ManagedCache, ManagedCacheArgs } from "./cache";
import { DnsValidatedCertificate } from "./certificate";
import { Database, POSTGRES_PORT } from "./database";
import type { AppDatabaseRoles, AppDatabaseServer } from "../apps/apps";
import { AppDatabaseMigration } from "./app-database-migration";
import { AwsFoundation } from "./foundation";
import { HardenedBucket } from "./hardened-bucket";
import { KmsKey } from "./kms-key";
import { LoadBalancer, LoadBalancerArgs, loadBalancerName } from "./load-balancer";
import { albAccessLogGrant, S3_ACCESS_LOG_PREFIX, serverAccessLogGrant } from "./log-delivery";
import { keptNames, partitionOf } from "./names";
import { WebAcl } from "./web-acl";

export interface AwsProductionArgs {
    readonly config: AwsSettings;
    readonly foundation: AwsFoundation;
    readonly namePrefix: string;
    /** The proxy's public names: the certificate's names and the DNS records to the ALB. */
    readonly hostnames: readonly string[];
    readonly kubernetes: { readonly provider: k8s.Provider; readonly namespace: pulumi.Input<string>; readonly namespaceName: string };
    readonly proxy: LoadBalancerArgs["proxy"];
    /** How long the app database's migration (its snapshot included) may take. */
    readonly migrationDeadlineMinutes: number;
    /** How long the migration Jobs `npm run migrate` creates stay after they finished. */
    readonly migrationJobTtlHours: number;
    /** ServiceAccounts an operator runs database pods as that archive to the backup bucket (a CloudNativePG cluster's). */
    readonly operatorBackupAccounts?: readonly string[];
    /** The apps' logins and databases on RDS (`apps[].databases.postgres.store: rds`), created by the migrate Job. */
    readonly appDatabases?: AppDatabaseRoles;
}

/** What the stack exports under `aws` (and the lead's backup CronJobs read). */
export interface ProductionOutputs {
    readonly loadBalancerDnsName: string;
    readonly certificateArn: string;
    readonly backups: { bucket: string; prefix: string; roleArn: string; serviceAccount: string; identity: string; kmsKeyArn: string; replicaBucket?: string };
    readonly logBucket: string;
    readonly database: { host: string; port: number; database: string; username: string; masterUserSecretArn: string; connectionSecret: string };
}

const ALB_LOG_PREFIX = "alb";

/**
 * The AWS pieces of prod: KMS keys, the backup and log buckets, the backup jobs' role, RDS
 * PostgreSQL, and the ALB with its certificate (and WAF) in front of the proxy.
 */
export class AwsProduction extends pulumi.ComponentResource {
    readonly outputs: pulumi.Output<ProductionOutputs>;
    /** RDS as the apps' databases are reached on it: ready once the migrate Job created their logins. */
    readonly appDatabaseServer: AppDatabaseServer;
    /** For the backup CronJobs: where they write, and the role their ServiceAccount gets (IRSA: as its `eks.amazonaws.com/role-arn` annotation). */
    private readonly cacheArgs: Omit<ManagedCacheArgs, "platformUser" | "appUsers" | "evictionPolicy">;
    private readonly awsProvider: pulumi.ProviderResource;
    readonly backups: {
        readonly bucket: pulumi.Output<string>;
        readonly prefix: string;
        readonly roleArn: pulumi.Output<string>;
        readonly serviceAccount: string;
        readonly identity: "pod-identity" | "irsa";
        readonly region: string;
        /** The slowest restore from the bucket's archive class (GLACIER: Bulk, 12 hours; GLACIER_IR reads at once). */
        readonly archiveRestoreHours: number;
        /** The role and its Pod Identity association: pods started before them get no credentials. */
        readonly ready: pulumi.Resource[];
    };


    constructor(name: string, args: AwsProductionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("llm-platform:aws:Production", name, {}, opts);
        const { provider, network, accountId, region, clusterName, adoption } = args.foundation;
        const a = args.config;
        const child = { parent: this, provider };
        const prefix = args.namePrefix;
        const names = keptNames(prefix);
        const bucketName = (purpose: "backups" | "logs") => names.bucket(accountId, region, purpose);

        const backupKey = new KmsKey(`${name}-backups-key`, { description: `${prefix} backups`, alias: names.backupsKeyAlias, adoption }, child);
        const databaseKey = new KmsKey(`${name}-database-key`, { description: `${prefix} RDS PostgreSQL`, alias: names.databaseKeyAlias, adoption }, child);
        // The stores' key: ElastiCache's storage and snapshots too (redis.engine elasticache).
        this.cacheArgs = { namePrefix: prefix, config: a.cache, network, kmsKeyArn: databaseKey.arn, adoption };
        this.awsProvider = provider;

        // ALB access logs and S3 access logs can only be delivered to SSE-S3 buckets.
        const logs = new HardenedBucket(
            `${name}-logs`,
            {
                bucketName: bucketName("logs"),
                lifecycle: a.backupBucket,
                policyStatements: (arn) => [
                    albAccessLogGrant(arn, ALB_LOG_PREFIX, accountId, region, loadBalancerName(prefix)),
                    serverAccessLogGrant(arn, [bucketName("backups")], accountId, partitionOf(region)),
                ],
                adoption,
            },
            child,
        );
        // Every backup version locked as long as the lifecycle keeps it (Object Lock, docs/aws.md).
        const objectLock = { mode: a.backupBucket.objectLockMode, days: a.backupBucket.expireDays };
        const backups = new HardenedBucket(
            `${name}-backups`,
            {
                bucketName: bucketName("backups"),
                kmsKeyArn: backupKey.arn,
                lifecycle: a.backupBucket,
                accessLogs: { bucket: logs.bucketName, prefix: `${S3_ACCESS_LOG_PREFIX}backups/`, ready: logs.ready },
                objectLock,
                adoption,
            },
            child,
        );
        const replicaRegion = a.backupBucket.replicaRegion;
        const replication =
            args.foundation.replicaProvider === undefined || replicaRegion === undefined
                ? undefined
                : new BucketReplication(
                      `${name}-backups-replica`,
                      {
                          namePrefix: prefix,
                          replicaRegion,
                          source: backups,
                          sourceBucketName: bucketName("backups"),
                          sourceKmsKeyArn: backupKey.arn,
                          sourceRegion: region,
                          lifecycle: a.backupBucket,
                          objectLock,
                          accountId,
                          replicaProvider: args.foundation.replicaProvider,
                          adoption,
                      },
                      child,
                  );
        const backupRole = new BackupRole(
            `${name}-backup-role`,
            {
                roleName: names.backupRole,
                bucket: { bucketArn: backups.arn, region, kmsKeyArn: backupKey.arn },
                replica: replication && replicaRegion ? { bucketArn: replication.replicaBucketArn, region: replicaRegion, kmsKeyArn: replication.replicaKmsKeyArn } : undefined,
                prefix: a.backupBucket.prefix,
                clusterName,
                namespace: args.kubernetes.namespaceName,
                serviceAccount: a.backupBucket.serviceAccount,
                operatorServiceAccounts: args.operatorBackupAccounts,
                identity: a.backupBucket.identity,
                oidcIssuer: network.oidcIssuer,
                accountId,
            },
            child,
        );

        const database = new Database(
            `${name}-postgres`,
            { namePrefix: prefix, config: a.database, network, kmsKeyArn: databaseKey.arn, kubernetes: args.kubernetes, adoption },
            child,
        );
        // The roles and schema an app needs, as versioned changes, after a fresh snapshot.
        const migration = new AppDatabaseMigration(
            `${name}-app-database-migrate`,
            {
                namePrefix: prefix,
                instance: database.instance,
                databaseName: a.database.databaseName,
                masterUsername: a.database.masterUsername,
                masterUserSecretArn: database.masterUserSecretArn,
                kmsKeyArn: databaseKey.arn,
                privateSubnetCidrs: network.privateSubnetCidrs,
                identity: a.backupBucket.identity,
                oidcIssuer: network.oidcIssuer,
                clusterName,
                accountId,
                region,
                jobDeadlineMinutes: args.migrationDeadlineMinutes,
                jobTtlHours: args.migrationJobTtlHours,
                kubernetes: args.kubernetes,
                appDatabases: args.appDatabases,
            },
            child,
        );
        this.appDatabaseServer = {
            host: database.address,
            port: POSTGRES_PORT,
            ready: [migration.job],
            sslMode: "require",
            outside: { cidrs: network.privateSubnetCidrs, port: POSTGRES_PORT },
        };

        const lb = a.loadBalancer;
        const certificate =
            lb.certificateArn === undefined
                ? new DnsValidatedCertificate(`${name}-certificate`, { hostnames: args.hostnames, route53ZoneId: lb.route53ZoneId as string }, child)
                : undefined;
        const loadBalancer = new LoadBalancer(
            `${name}-alb`,
            {
                namePrefix: prefix,
                config: lb,
                network,
                certificateArn: certificate?.certificateArn ?? (lb.certificateArn as string),
                certificateReady: certificate ? [certificate.validation] : [],
                accessLogs: { bucket: logs.bucketName, prefix: ALB_LOG_PREFIX, ready: logs.ready },
                proxy: args.proxy,
                kubernetes: args.kubernetes,
            },
            child,
        );
        if (lb.route53ZoneId !== undefined) {
            // Keyed by hostname, as the certificate's validation records (certificate.ts); the alias
            // adopts the record a stack made under its old positional name.
            args.hostnames
                .filter((h) => !h.startsWith("*."))
                .forEach((hostname, i) =>
                    new aws.route53.Record(
                        `${name}-dns-${hostname}`,
                        { zoneId: lb.route53ZoneId as string, name: hostname, type: "A", aliases: [{ name: loadBalancer.dnsName, zoneId: loadBalancer.zoneId, evaluateTargetHealth: true }] },
                        { ...child, aliases: [{ name: `${name}-dns-${i}` }] },
                    ),
                );
        }
        if (lb.waf.enabled) {
            new WebAcl(`${name}-waf`, { aclName: prefix, loadBalancerArn: loadBalancer.arn, rateLimitPer5Minutes: lb.waf.rateLimitPer5Minutes }, child);
        }

        this.backups = {
            bucket: backups.bucketName,
            prefix: a.backupBucket.prefix,
            roleArn: backupRole.arn,
            serviceAccount: a.backupBucket.serviceAccount,
            identity: a.backupBucket.identity,
            region,
            archiveRestoreHours: a.backupBucket.glacierStorageClass === "GLACIER" ? ARCHIVE_RESTORE_HOURS.Bulk : 0,
            // The role and its association, and the bucket's policy and Object Lock: no upload before them.
            ready: [backupRole, ...backups.ready],
        };
        this.outputs = pulumi.output({
            loadBalancerDnsName: loadBalancer.dnsName,
            certificateArn: certificate?.certificateArn ?? (lb.certificateArn as string),
            backups: {
                bucket: backups.bucketName,
                prefix: a.backupBucket.prefix,
                roleArn: backupRole.arn,
                serviceAccount: a.backupBucket.serviceAccount,
                identity: a.backupBucket.identity,
                kmsKeyArn: backupKey.arn,
                replicaBucket: replication?.replicaBucketName,
            },
            logBucket: logs.bucketName,
            database: {
                host: database.address,
                port: POSTGRES_PORT,
                database: a.database.databaseName,
                username: a.database.masterUsername,
                masterUserSecretArn: database.masterUserSecretArn,
                connectionSecret: "postgres-connection",
            },
        });
        this.registerOutputs({ outputs: this.outputs });
    }

    /** ElastiCache for Valkey (`redis.engine: elasticache`): the Redis service brings its users and eviction policy. */
    valkey(users: Pick<ManagedCacheArgs, "platformUser" | "appUsers">, evictionPolicy: string): ManagedCache {
        return new ManagedCache("aws-valkey", { ...this.cacheArgs, ...users, evictionPolicy }, { parent: this, provider: this.awsProvider as aws.Provider });
    }
}
