import { z } from "zod";
import { awsRegion as region, cidr, clusterReported, dnsLabel, eksClusterName } from "./kubernetes";

const subnetId = z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "must be a subnet id such as subnet-0a1b2c3d4e5f60718");
const tagValue = z.string().min(1).max(256);

/** What the stack reads from AWS to place its pieces: from the cluster unless given here. */
const networkSchema = z
    .strictObject({
        /** Read VPC, subnets and security group from this EKS cluster (default: kubernetes.eksClusterName). */
        eksClusterName: eksClusterName.optional(),
        vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, "must be a VPC id such as vpc-0a1b2c3d4e5f60718").optional(),
        /** Database subnets (no route to an internet gateway). */
        privateSubnetIds: z.array(subnetId).optional(),
        /** Load-balancer subnets. */
        publicSubnetIds: z.array(subnetId).optional(),
        /** The cluster security group: the pods' and nodes' group, the only one RDS admits. */
        clusterSecurityGroupId: z.string().regex(/^sg-[0-9a-f]{8,17}$/, "must be a security group id such as sg-0a1b2c3d4e5f60718").optional(),
    })
    .prefault({});

const bucketSchema = z
    .strictObject({
        /** The prefix the backup jobs write under (and the only one their role may touch). */
        prefix: z.string().regex(/^[a-z0-9][a-z0-9/_-]*\/$/, "must be a key prefix ending in /, e.g. backups/").default("backups/"),
        transitionToIaDays: z.number().int().min(30).default(30),
        transitionToGlacierDays: z.number().int().min(31).default(90),
        /** GLACIER (Flexible Retrieval, hours to restore) or GLACIER_IR (Instant Retrieval, milliseconds, dearer to read). */
        glacierStorageClass: z.enum(["GLACIER", "GLACIER_IR"]).default("GLACIER"),
        expireDays: z.number().int().min(1).max(3650).default(365),
        noncurrentExpireDays: z.number().int().min(1).max(3650).default(30),
        abortIncompleteUploadDays: z.number().int().min(1).max(30).default(7),
        /** Replicate every backup to a bucket in this second region (its own KMS key and log bucket). */
        replicaRegion: region.optional(),
        /** How the backup jobs get their role: EKS Pod Identity (the agent add-on) or IRSA (the cluster's OIDC provider). */
        identity: z.enum(["pod-identity", "irsa"]).default("pod-identity"),
        /** The backup jobs' Kubernetes ServiceAccount (in kubernetes.namespace). */
        serviceAccount: dnsLabel.default("backup"),
        /**
         * S3 Object Lock on the backup buckets (both regions), every new version locked for
         * expireDays: GOVERNANCE (only an identity granted s3:BypassGovernanceRetention may
         * shorten or delete; the program grants it to none) or COMPLIANCE (no one, root included).
         */
        objectLockMode: z.enum(["GOVERNANCE", "COMPLIANCE"]).default("GOVERNANCE"),
    })
    .prefault({});

const databaseSchema = z
    .strictObject({
        engineVersion: z.string().regex(/^1[4-9](\.\d+)?$/, "must be a PostgreSQL version RDS offers: a major (17, minor upgrades automatic) or major.minor (17.6)").default("17"),
        instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "must be an RDS instance class such as db.m7g.large").default("db.m7g.large"),
        allocatedStorageGb: z.number().int().min(20).max(65536).default(100),
        /** Storage autoscaling grows up to this. */
        maxAllocatedStorageGb: z.number().int().min(20).max(65536).default(500),
        backupRetentionDays: z.number().int().min(7).max(35).default(14),
        /** max_connections of the parameter group: what RdsConnectionsHigh measures against. */
        maxConnections: z.number().int().min(10).max(5000).default(400),
        multiAz: z.boolean().default(true),
        databaseName: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, "must be a PostgreSQL database name: a lower-case letter, then letters, digits or _").default("app"),
        masterUsername: z.string().regex(/^[a-z][a-z0-9_]{0,15}$/, "must be a lower-case PostgreSQL user name of at most 16 characters").default("app_admin"),
        /** Performance Insights retention: 7 days is free; longer is billed per vCPU. */
        performanceInsightsRetentionDays: z.union([z.literal(7), z.number().int().multipleOf(31).min(31).max(713)]).default(7),
        /** Enhanced Monitoring (OS metrics) every N seconds; 0 turns it off. */
        monitoringIntervalSeconds: z.union([z.literal(0), z.literal(1), z.literal(5), z.literal(10), z.literal(15), z.literal(30), z.literal(60)]).default(60),
        preferredBackupWindow: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, "must be hh:mm-hh:mm in UTC").default("01:00-02:00"),
        preferredMaintenanceWindow: z
            .string()
            .regex(/^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/, "must be ddd:hh:mm-ddd:hh:mm in UTC")
            .default("sun:03:00-sun:04:00"),
    })
    .prefault({});

/** ElastiCache for Valkey (`redis.engine: elasticache`). */
const cacheSchema = z
    .strictObject({
        /** The provider accepts only major.minor for Valkey and stores it back so (engine_version.go validValkeyVersionString, setEngineVersionValkey). */
        engineVersion: z.string().regex(/^[7-9]\.\d+$/, "must be a Valkey version ElastiCache offers as major.minor, e.g. 8.1").default("8.1"),
        nodeType: z.string().regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, "must be an ElastiCache node type such as cache.m7g.large").default("cache.m7g.large"),
        /** A primary and its replicas, each in its own zone where the subnets allow: 2 at least, for automatic failover. */
        nodes: z.number().int().min(2).max(6).default(2),
        /** Daily snapshots kept this many days. */
        snapshotRetentionDays: z.number().int().min(1).max(35).default(7),
        snapshotWindow: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, "must be hh:mm-hh:mm in UTC").default("03:00-04:00"),
        /** Lower case: ElastiCache stores the window so (the provider's StateFunc lower-cases it). */
        maintenanceWindow: z
            .string()
            .regex(/^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/, "must be ddd:hh:mm-ddd:hh:mm in UTC, lower case")
            .default("sun:05:00-sun:06:00"),
        /**
         * One `pulumi up` while a group created with an AUTH token moves to RBAC: ElastiCache's `default`
         * user takes the old token (full access), so clients still sending it keep working; then false.
         */
        acceptAuthToken: z.boolean().default(false),
    })
    .prefault({});

const loadBalancerSchema = z
    .strictObject({
        /** A certificate you imported into ACM; otherwise ACM issues one for tls.hostnames, validated in route53ZoneId. */
        certificateArn: z.string().regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, "must be an ACM certificate ARN").optional(),
        route53ZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, "must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ").optional(),
        sslPolicy: z.enum(["ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09", "ELBSecurityPolicy-TLS13-1-3-2021-06"]).default("ELBSecurityPolicy-TLS13-1-2-2021-06"),
        /** Streamed model responses keep a connection quiet for a long time. */
        idleTimeoutSeconds: z.number().int().min(60).max(4000).default(600),
        /** Who may reach the ALB; empty: everyone. */
        allowedCidrs: z.array(cidr).default([]),
        /** AWS refuses to delete the ALB while this is on: turn it off (and `pulumi up`) before `pulumi destroy`. */
        deletionProtection: z.boolean().default(true),
        waf: z
            .strictObject({
                enabled: z.boolean().default(false),
                /** Requests per client IP in any 5-minute window before WAF blocks it. */
                rateLimitPer5Minutes: z.number().int().min(10).max(2_000_000_000).default(2000),
            })
            .prefault({}),
    })
    .prefault({});

/**
 * The `aws` object: the AWS pieces of prod (RDS, ALB + ACM, S3 backups), built when the
 * object is present and the platform is kubernetes.
 */
export const awsSchema = z
    .strictObject({
        /** Default: kubernetes.awsRegion. */
        region: region.optional(),
        /** Default tags on every AWS resource (stack and project are added). */
        owner: tagValue,
        tags: z.record(z.string().regex(/^[\w .:/=+@-]{1,128}$/, "must be an AWS tag key"), tagValue).default({}),
        network: networkSchema,
        backupBucket: bucketSchema,
        database: databaseSchema,
        cache: cacheSchema,
        loadBalancer: loadBalancerSchema,
        /**
         * Adopt what an earlier destroy kept (buckets and their settings, KMS keys and aliases,
         * the database and what it uses) by importing them under the names the program
         * derives, when the stack's state no longer holds them.
         */
        adopt: z.boolean().default(false),
    })
    .optional();

export type AwsConfig = NonNullable<z.output<typeof awsSchema>>;

type Issue = (path: (string | number)[], message: string) => void;

/** Rules across keys; subnets and zones that need AWS to answer are checked in components/aws/network.ts. */
export function checkAwsConfig(
    c: {
        platform: string;
        aws?: AwsConfig;
        kubernetes: { eksClusterName?: string; awsRegion?: string; context?: string; renderYamlToDirectory?: string; proxyServiceType: string };
        tls: { hostnames: string[] };
    },
    issue: Issue,
) {
    const a = c.aws;
    if (a === undefined) return;
    if (c.platform !== "kubernetes") {
        issue(["aws"], "is for the prod platform: set platform to kubernetes, or remove the aws object");
        return;
    }
    // A missing cluster or region is said once, by the Kubernetes rules, in kubernetes.* keys.
    const saidByKubernetes = clusterReported(c.kubernetes);
    if (a.region === undefined && c.kubernetes.awsRegion === undefined && !saidByKubernetes) {
        issue(["aws", "region"], "must be set (or kubernetes.awsRegion), e.g. eu-west-1");
    }
    if (a.network.eksClusterName === undefined && c.kubernetes.eksClusterName === undefined && !saidByKubernetes) {
        issue(["aws", "network", "eksClusterName"], "must be set (or kubernetes.eksClusterName): the network is read from the cluster and the backup role is bound to it");
    }
    const b = a.backupBucket;
    if (b.transitionToGlacierDays < b.transitionToIaDays + 30) {
        issue(["aws", "backupBucket", "transitionToGlacierDays"], `must be at least 30 days after aws.backupBucket.transitionToIaDays (${b.transitionToIaDays}): S3 bills STANDARD_IA for 30 days at least`);
    }
    if (b.expireDays <= b.transitionToGlacierDays) {
        issue(["aws", "backupBucket", "expireDays"], `must be later than aws.backupBucket.transitionToGlacierDays (${b.transitionToGlacierDays})`);
    }
    if (b.replicaRegion !== undefined && b.replicaRegion === (a.region ?? c.kubernetes.awsRegion)) {
        issue(["aws", "backupBucket", "replicaRegion"], "must be a second region, not the stack's own: a replica in the same region survives nothing more");
    }
    const d = a.database;
    if (d.maxAllocatedStorageGb < d.allocatedStorageGb) {
        issue(["aws", "database", "maxAllocatedStorageGb"], `must be at least aws.database.allocatedStorageGb (${d.allocatedStorageGb})`);
    }
    const cache = a.cache;
    if (windowsOverlap(cache.snapshotWindow, cache.maintenanceWindow)) {
        issue(["aws", "cache", "snapshotWindow"], `must not overlap aws.cache.maintenanceWindow (${cache.maintenanceWindow}): ElastiCache refuses overlapping windows`);
    }
    const lb = a.loadBalancer;
    if (lb.certificateArn === undefined && lb.route53ZoneId === undefined) {
        issue(["aws", "loadBalancer", "route53ZoneId"], "must name the hosted zone of tls.hostnames (ACM validates the certificate there), or set aws.loadBalancer.certificateArn");
    }
    if (c.kubernetes.proxyServiceType !== "ClusterIP") {
        issue(["kubernetes", "proxyServiceType"], "must be ClusterIP with the aws object: the ALB is the proxy's entry, not a second load balancer");
    }
}

/** Minutes of the week a `hh:mm-hh:mm` daily window or a `ddd:hh:mm-ddd:hh:mm` weekly one covers. */
function windowMinutes(window: string): Set<number> {
    const days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    const week = 7 * 24 * 60;
    const at = (part: string) => {
        const fields = part.split(":");
        const [h, m] = fields.slice(-2).map(Number);
        return (fields.length === 3 ? days.indexOf(fields[0]) * 24 * 60 : 0) + h * 60 + m;
    };
    const [from, to] = window.split("-");
    const daily = from.split(":").length === 2;
    const covered = new Set<number>();
    for (const offset of daily ? [0, 1, 2, 3, 4, 5, 6].map((d) => d * 24 * 60) : [0]) {
        const start = at(from) + offset;
        let end = at(to) + offset;
        if (end <= start) end += daily ? 24 * 60 : week;
        for (let t = start; t < end; t++) covered.add(t % week);
    }
    return covered;
}

export function windowsOverlap(daily: string, weekly: string): boolean {
    const a = windowMinutes(daily);
    return [...windowMinutes(weekly)].some((t) => a.has(t));
}
