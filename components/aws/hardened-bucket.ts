import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface BucketLifecycle {
    readonly transitionToIaDays: number;
    readonly transitionToGlacierDays: number;
    readonly glacierStorageClass: "GLACIER" | "GLACIER_IR";
    readonly expireDays: number;
    readonly noncurrentExpireDays: number;
    readonly abortIncompleteUploadDays: number;
}

export interface HardenedBucketArgs {
    /** The bucket's global name: explicit and stack-scoped, never a random suffix. */
    readonly bucketName: pulumi.Input<string>;
    /** SSE-KMS with this key and a bucket key; unset: SSE-S3, the only encryption ALB and S3 access-log delivery can write to. */
    readonly kmsKeyArn?: pulumi.Input<string>;
    readonly lifecycle: BucketLifecycle;
    /** Server access logging into this bucket under this prefix; unset only for the log bucket itself. */
    readonly accessLogs?: { readonly bucket: pulumi.Input<string>; readonly prefix: string; readonly ready: pulumi.Resource[] };
    /** Statements added to the TLS-only policy (log delivery grants). */
    readonly policyStatements?: (arn: pulumi.Output<string>) => pulumi.Input<Record<string, unknown>>[];
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
 * runbooks' lifecycle and server access logging. The bucket is protected and retained on
 * destroy, so neither a rename nor `pulumi destroy` empties it.
 */
export class HardenedBucket extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;
    readonly arn: pulumi.Output<string>;
    /** Ready once the policy and public-access block are in place (writers wait for it). */
    readonly ready: pulumi.Resource[];
    /** Replication needs versioning on both sides first. */
    readonly versioning: pulumi.Resource;

    constructor(name: string, args: HardenedBucketArgs, opts: pulumi.ComponentResourceOptions & { provider: aws.Provider }) {
        super("llm-platform:aws:HardenedBucket", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const bucket = new aws.s3.Bucket(name, { bucket: args.bucketName, forceDestroy: false }, { ...child, protect: true, retainOnDelete: true });
        // Side resources refer to the bucket by its name, as the policy pack matches them.
        const ref = bucket.bucket;
        const ownership = new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: ref, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
        const publicAccess = new aws.s3.BucketPublicAccessBlock(
            `${name}-public-access`,
            { bucket: ref, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            child,
        );
        const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: ref, versioningConfiguration: { status: "Enabled" } }, child);
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
            child,
        );
        const statements = [denyInsecureTransport(bucket.arn), ...(args.policyStatements?.(bucket.arn) ?? [])];
        const policy = new aws.s3.BucketPolicy(
            `${name}-policy`,
            { bucket: ref, policy: pulumi.output({ Version: "2012-10-17", Statement: statements }).apply((doc) => JSON.stringify(doc)) },
            // S3 refuses a bucket policy while the public-access block is being written.
            { ...child, dependsOn: [publicAccess] },
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
                        expiration: { days: l.expireDays },
                        noncurrentVersionExpiration: { noncurrentDays: l.noncurrentExpireDays },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: l.abortIncompleteUploadDays },
                    },
                ],
            },
            // Lifecycle rules on a versioned bucket apply to noncurrent versions only once versioning is on.
            { ...child, dependsOn: [versioning] },
        );
        if (args.accessLogs) {
            // S3 checks the target's policy grants log delivery when logging is turned on.
            new aws.s3.BucketLogging(
                `${name}-logging`,
                { bucket: ref, targetBucket: args.accessLogs.bucket, targetPrefix: args.accessLogs.prefix },
                { ...child, dependsOn: args.accessLogs.ready },
            );
        }
        this.bucketName = ref;
        this.arn = bucket.arn;
        this.ready = [ownership, publicAccess, encryption, policy];
        this.versioning = versioning;
        this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
    }
}
