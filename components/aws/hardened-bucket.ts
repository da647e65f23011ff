import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Adoption, guarded } from "./retained";

export interface BucketLifecycle {
    readonly transitionToIaDays: number;
    readonly transitionToGlacierDays: number;
    readonly glacierStorageClass: "GLACIER" | "GLACIER_IR";
    readonly expireDays: number;
    readonly noncurrentExpireDays: number;
    readonly abortIncompleteUploadDays: number;
}

/** S3 Object Lock: every new object version is locked this long, in this mode. */
export interface ObjectLock {
    readonly mode: "GOVERNANCE" | "COMPLIANCE";
    readonly days: number;
}

export interface HardenedBucketArgs {
    /** The bucket's global name: explicit and stack-scoped, never a random suffix (and the import id of it and its settings). */
    readonly bucketName: string;
    /** SSE-KMS with this key and a bucket key; unset: SSE-S3, the only encryption ALB and S3 access-log delivery can write to. */
    readonly kmsKeyArn?: pulumi.Input<string>;
    readonly lifecycle: BucketLifecycle;
    /** Server access logging into this bucket under this prefix; unset only for the log bucket itself. */
    readonly accessLogs?: { readonly bucket: pulumi.Input<string>; readonly prefix: string; readonly ready: pulumi.Resource[] };
    /** Statements added to the TLS-only policy (log delivery grants). */
    readonly policyStatements?: (arn: pulumi.Output<string>) => pulumi.Input<Record<string, unknown>>[];
    /** Backups: no version can be deleted or overwritten before it is this old. */
    readonly objectLock?: ObjectLock;
    readonly adoption: Adoption;
}

/** The TLS-only statement: a request without TLS is denied on the bucket and on every object. */
export function denyInsecureTransport(arn: pulumi.Input<string>) {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [arn, pulumi.interpolate`${arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

/**
 * An S3 bucket as the `@pulumi/aws` 7 separate resources: owner-enforced (no ACLs), all
 * four public-access blocks, versioning, default encryption, a TLS-only policy, the
 * runbooks' lifecycle, server access logging and, for backups, Object Lock. The bucket and
 * every setting are protected and retained (components/aws/retained.ts): neither a rename
 * nor any destroy empties the bucket or leaves it without its hardening.
 */
export class HardenedBucket extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;
    readonly arn: pulumi.Output<string>;
    /** Ready once the policy, public-access block and Object Lock are in place (writers wait for it). */
    readonly ready: pulumi.Resource[];
    /** Replication needs versioning on both sides first. */
    readonly versioning: pulumi.Resource;
    /** Replicated locked versions keep their lock only in a bucket with Object Lock on. */
    readonly objectLock?: pulumi.Resource;

    constructor(name: string, args: HardenedBucketArgs, opts: pulumi.ComponentResourceOptions & { provider: aws.Provider }) {
        super("llm-platform:aws:HardenedBucket", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        // Every setting of a bucket is imported by the bucket's name.
        const kept = guarded(child, args.adoption, args.bucketName);
        const bucket = new aws.s3.Bucket(name, { bucket: args.bucketName, forceDestroy: false }, kept);
        // Side resources refer to the bucket by its name, as the policy pack matches them.
        const ref = bucket.bucket;
        const ownership = new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: ref, rule: { objectOwnership: "BucketOwnerEnforced" } }, kept);
        const publicAccess = new aws.s3.BucketPublicAccessBlock(
            `${name}-public-access`,
            { bucket: ref, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            kept,
        );
        const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: ref, versioningConfiguration: { status: "Enabled" } }, kept);
        const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-encryption`,
            {
                bucket: ref,
                rules: [
                    args.kmsKeyArn !== undefined
                        ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }
                        : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
                ],
            },
            kept,
        );
        const statements = [denyInsecureTransport(bucket.arn), ...(args.policyStatements?.(bucket.arn) ?? [])];
        const policy = new aws.s3.BucketPolicy(
            `${name}-policy`,
            { bucket: ref, policy: pulumi.output({ Version: "2012-10-17", Statement: statements }).apply((doc) => JSON.stringify(doc)) },
            // S3 refuses a bucket policy while the public-access block is being written.
            { ...kept, dependsOn: [publicAccess] },
        );
        const l = args.lifecycle;
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-lifecycle`,
            {
                bucket: ref,
                rules: [
                    {
                        id: "tiering-and-expiry",
                        status: "Enabled",
                        filter: {},
                        transitions: [
                            { days: l.transitionToIaDays, storageClass: "STANDARD_IA" },
                            { days: l.transitionToGlacierDays, storageClass: l.glacierStorageClass },
                        ],
                        // With Object Lock, expiry adds a delete marker and a locked version is removed only after its lock ends.
                        expiration: { days: l.expireDays },
                        noncurrentVersionExpiration: { noncurrentDays: l.noncurrentExpireDays },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: l.abortIncompleteUploadDays },
                    },
                ],
            },
            // Lifecycle rules on a versioned bucket apply to noncurrent versions only once versioning is on.
            { ...kept, dependsOn: [versioning] },
        );
        // Object Lock through its own resource, never the bucket's ForceNew `objectLockEnabled`
        // (terraform-provider-aws internal/service/s3/bucket.go: Optional, Computed, ForceNew):
        // PutObjectLockConfiguration enables it on a new or an existing versioned bucket (the
        // @pulumi/aws 7.48.0 docs of BucketObjectLockConfiguration), so a stack created before
        // keeps its bucket and gets the same lock. Deleting this resource would drop the default
        // retention (bucket_object_lock_configuration.go Delete), so it is guarded like the rest.
        const lock =
            args.objectLock === undefined
                ? undefined
                : new aws.s3.BucketObjectLockConfiguration(
                      `${name}-object-lock`,
                      { bucket: ref, objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } } },
                      { ...kept, dependsOn: [versioning] },
                  );
        if (args.accessLogs) {
            // S3 checks the target's policy grants log delivery when logging is turned on.
            new aws.s3.BucketLogging(
                `${name}-logging`,
                { bucket: ref, targetBucket: args.accessLogs.bucket, targetPrefix: args.accessLogs.prefix },
                { ...kept, dependsOn: args.accessLogs.ready },
            );
        }
        this.bucketName = ref;
        this.arn = bucket.arn;
        this.ready = [ownership, publicAccess, encryption, policy, ...(lock ? [lock] : [])];
        this.versioning = versioning;
        this.objectLock = lock;
        this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
    }
}
