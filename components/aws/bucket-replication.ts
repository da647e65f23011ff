import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BucketLifecycle, HardenedBucket } from "./hardened-bucket";
import { KmsKey } from "./kms-key";

export interface BucketReplicationArgs {
    readonly namePrefix: string;
    /** `<prefix>-<account>-<replica region>-<purpose>`. */
    readonly bucketName: (purpose: string) => string;
    readonly source: HardenedBucket;
    readonly sourceKmsKeyArn: pulumi.Input<string>;
    readonly sourceRegion: string;
    readonly lifecycle: BucketLifecycle;
    readonly accountId: string;
    /** The provider of the replica's region (same default tags). */
    readonly replicaProvider: aws.Provider;
}

/**
 * Every object of a bucket copied to a hardened bucket in a second region, encrypted there
 * with a key of that region; deletions replicate as delete markers (versions stay).
 */
export class BucketReplication extends pulumi.ComponentResource {
    readonly replicaBucketName: pulumi.Output<string>;

    constructor(name: string, args: BucketReplicationArgs, opts: pulumi.ComponentResourceOptions & { provider: aws.Provider }) {
        super("llm-platform:aws:BucketReplication", name, {}, opts);
        const source = { parent: this, provider: opts.provider };
        const replica = { parent: this, provider: args.replicaProvider };
        const key = new KmsKey(`${name}-key`, { description: `${args.namePrefix} backup replica`, aliasName: `${args.namePrefix}-backups-replica` }, replica);
        // S3 access logs go to a bucket of the same region.
        const logs = new HardenedBucket(
            `${name}-logs`,
            {
                bucketName: args.bucketName("logs"),
                lifecycle: args.lifecycle,
                policyStatements: (arn) => [
                    {
                        Sid: "S3ServerAccessLogs",
                        Effect: "Allow",
                        Principal: { Service: "logging.s3.amazonaws.com" },
                        Action: "s3:PutObject",
                        Resource: pulumi.interpolate`${arn}/s3-access/*`,
                        Condition: { StringEquals: { "aws:SourceAccount": args.accountId } },
                    },
                ],
            },
            replica,
        );
        const bucket = new HardenedBucket(
            name,
            { bucketName: args.bucketName("backups"), kmsKeyArn: key.arn, lifecycle: args.lifecycle, accessLogs: { bucket: logs.bucketName, prefix: "s3-access/backups/", ready: logs.ready } },
            replica,
        );
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                name: `${args.namePrefix}-backup-replication`,
                assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
            },
            source,
        );
        const policy = pulumi.all([args.source.arn, bucket.arn, args.sourceKmsKeyArn, key.arn]).apply(([from, to, fromKey, toKey]) =>
            JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    { Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: from },
                    { Effect: "Allow", Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"], Resource: `${from}/*` },
                    { Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: `${to}/*` },
                    { Effect: "Allow", Action: "kms:Decrypt", Resource: fromKey, Condition: { StringLike: { "kms:ViaService": `s3.${args.sourceRegion}.amazonaws.com` } } },
                    { Effect: "Allow", Action: "kms:Encrypt", Resource: toKey, Condition: { StringLike: { "kms:ViaService": `s3.*.amazonaws.com` } } },
                ],
            }),
        );
        const rolePolicy = new aws.iam.RolePolicy(`${name}-access`, { role: role.name, name: "replicate-backups", policy }, source);
        new aws.s3.BucketReplicationConfig(
            `${name}-config`,
            {
                bucket: args.source.bucketName,
                role: role.arn,
                rules: [
                    {
                        id: "backups-to-replica",
                        status: "Enabled",
                        filter: {},
                        deleteMarkerReplication: { status: "Enabled" },
                        sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
                        destination: { bucket: bucket.arn, storageClass: "STANDARD", encryptionConfiguration: { replicaKmsKeyId: key.arn } },
                    },
                ],
            },
            { ...source, dependsOn: [args.source.versioning, bucket.versioning, rolePolicy] },
        );
        this.replicaBucketName = bucket.bucketName;
        this.registerOutputs({ replicaBucketName: this.replicaBucketName });
    }
}
