import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BucketLifecycle, HardenedBucket, ObjectLock } from "./hardened-bucket";
import { KmsKey } from "./kms-key";
import { keptNames, partitionOf } from "./names";
import { Adoption, guarded, retained } from "./retained";
import { S3_ACCESS_LOG_PREFIX, serverAccessLogGrant } from "./log-delivery";

export interface BucketReplicationArgs {
    readonly namePrefix: string;
    readonly replicaRegion: string;
    readonly source: HardenedBucket;
    /** The source bucket's name: the replication configuration's import id. */
    readonly sourceBucketName: string;
    readonly sourceKmsKeyArn: pulumi.Input<string>;
    readonly sourceRegion: string;
    readonly lifecycle: BucketLifecycle;
    readonly objectLock: ObjectLock;
    readonly accountId: string;
    /** The provider of the replica's region (same default tags). */
    readonly replicaProvider: aws.Provider;
    readonly adoption: Adoption;
}

/**
 * Every object of the backup bucket copied to a hardened bucket in a second region,
 * encrypted there with a key of that region and locked like the source (S3 replicates an
 * object's retention with it). Deletions are not replicated: a delete marker in the source
 * stays there, and the replication role cannot delete in the replica.
 */
export class BucketReplication extends pulumi.ComponentResource {
    readonly replicaBucketName: pulumi.Output<string>;
    readonly replicaBucketArn: pulumi.Output<string>;
    readonly replicaKmsKeyArn: pulumi.Output<string>;

    constructor(name: string, args: BucketReplicationArgs, opts: pulumi.ComponentResourceOptions & { provider: aws.Provider }) {
        super("llm-platform:aws:BucketReplication", name, {}, opts);
        const source = { parent: this, provider: opts.provider };
        const replica = { parent: this, provider: args.replicaProvider };
        const names = keptNames(args.namePrefix);
        const bucketName = (purpose: "backups" | "logs") => names.bucket(args.accountId, args.replicaRegion, purpose);
        const key = new KmsKey(`${name}-key`, { description: `${args.namePrefix} backup replica`, alias: names.replicaKeyAlias, adoption: args.adoption }, replica);
        // S3 access logs go to a bucket of the same region.
        const logs = new HardenedBucket(
            `${name}-logs`,
            {
                bucketName: bucketName("logs"),
                lifecycle: args.lifecycle,
                policyStatements: (arn) => [serverAccessLogGrant(arn, [bucketName("backups")], args.accountId, partitionOf(args.replicaRegion))],
                adoption: args.adoption,
            },
            replica,
        );
        const bucket = new HardenedBucket(
            name,
            {
                bucketName: bucketName("backups"),
                kmsKeyArn: key.arn,
                lifecycle: args.lifecycle,
                accessLogs: { bucket: logs.bucketName, prefix: `${S3_ACCESS_LOG_PREFIX}backups/`, ready: logs.ready },
                objectLock: args.objectLock,
                adoption: args.adoption,
            },
            replica,
        );
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                name: names.replicationRole,
                assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
            },
            // Kept with the replication configuration that names it (see retained.ts).
            retained(source, args.adoption, names.replicationRole),
        );
        const policy = pulumi.all([args.source.arn, bucket.arn, args.sourceKmsKeyArn, key.arn]).apply(([from, to, fromKey, toKey]) =>
            JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    { Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: from },
                    // Retention and legal hold travel with each version (Object Lock replication needs both reads).
                    {
                        Effect: "Allow",
                        Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold"],
                        Resource: `${from}/*`,
                    },
                    // No s3:ReplicateDelete: nothing is ever deleted in the replica on the source's behalf.
                    { Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateTags"], Resource: `${to}/*` },
                    { Effect: "Allow", Action: "kms:Decrypt", Resource: fromKey, Condition: { StringLike: { "kms:ViaService": `s3.${args.sourceRegion}.amazonaws.com` } } },
                    { Effect: "Allow", Action: "kms:Encrypt", Resource: toKey, Condition: { StringLike: { "kms:ViaService": `s3.${args.replicaRegion}.amazonaws.com` } } },
                ],
            }),
        );
        const policyName = "replicate-backups";
        const rolePolicy = new aws.iam.RolePolicy(`${name}-access`, { role: role.name, name: policyName, policy }, retained(source, args.adoption, `${names.replicationRole}:${policyName}`));
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
                        deleteMarkerReplication: { status: "Disabled" },
                        sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
                        destination: { bucket: bucket.arn, storageClass: "STANDARD", encryptionConfiguration: { replicaKmsKeyId: key.arn } },
                    },
                ],
            },
            {
                ...guarded(source, args.adoption, args.sourceBucketName),
                dependsOn: [args.source.versioning, bucket.versioning, ...[args.source.objectLock, bucket.objectLock].filter((r): r is pulumi.Resource => r !== undefined), rolePolicy],
            },
        );
        this.replicaBucketName = bucket.bucketName;
        this.replicaBucketArn = bucket.arn;
        this.replicaKmsKeyArn = key.arn;
        this.registerOutputs({ replicaBucketName: this.replicaBucketName });
    }
}
