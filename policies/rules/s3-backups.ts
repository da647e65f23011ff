import type { PolicyConfigSchema, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { eachKnown } from "./support/unknowns";
import { asArray, asRecord, isRecord } from "./support/values";

const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const VERSIONING_TYPES = ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"];
const ENCRYPTION_TYPES = [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];
const PUBLIC_ACCESS_BLOCK_TYPES = ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"];
const LIFECYCLE_TYPES = [
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
];
const POLICY_TYPES = ["aws:s3/bucketPolicy:BucketPolicy"];

const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

const schema: PolicyConfigSchema = {
    properties: {
        allowedSseAlgorithms: {
            type: "array",
            items: { type: "string" },
            default: ["AES256", "aws:kms", "aws:kms:dsse"],
            description: "Default-encryption algorithms a bucket may use.",
        },
        exemptBuckets: {
            type: "array",
            items: { type: "string" },
            default: [],
            description: "Buckets (logical or bucket names) that are not backup buckets and need none of this.",
        },
    },
};

interface Config {
    allowedSseAlgorithms: string[];
    exemptBuckets: string[];
}

interface Control {
    readonly types: readonly string[];
    readonly satisfied: (props: Record<string, any>, config: Config) => boolean;
    readonly required: string;
}

const CONTROLS: readonly Control[] = [
    {
        types: VERSIONING_TYPES,
        satisfied: (p) => asRecord(p.versioningConfiguration).status === "Enabled",
        required: 'versioning: an aws.s3.BucketVersioning with versioningConfiguration.status "Enabled"',
    },
    {
        types: ENCRYPTION_TYPES,
        satisfied: (p, config) =>
            asArray(p.rules).some((r) => config.allowedSseAlgorithms.includes(asRecord(asRecord(r).applyServerSideEncryptionByDefault).sseAlgorithm)),
        required: "default encryption: an aws.s3.BucketServerSideEncryptionConfiguration rule with sseAlgorithm AES256 or aws:kms",
    },
    {
        types: PUBLIC_ACCESS_BLOCK_TYPES,
        satisfied: (p) => PUBLIC_ACCESS_FLAGS.every((flag) => p[flag] === true),
        required: `a public access block: an aws.s3.BucketPublicAccessBlock with ${PUBLIC_ACCESS_FLAGS.join(", ")} all true`,
    },
    {
        types: LIFECYCLE_TYPES,
        satisfied: (p) => asArray(p.rules).some((r) => asRecord(r).status === "Enabled"),
        required: 'lifecycle rules: an aws.s3.BucketLifecycleConfiguration with a rule of status "Enabled"',
    },
    {
        types: POLICY_TYPES,
        satisfied: (p) => deniesInsecureTransport(p.policy),
        required: 'a TLS-only bucket policy: an aws.s3.BucketPolicy statement Effect "Deny", Principal "*", Action "s3:*", Condition Bool aws:SecureTransport "false"',
    },
];

export const s3BucketHardening: StackValidationPolicy = {
    name: "s3-bucket-hardening",
    description:
        "Every S3 (backup) bucket of the stack has versioning enabled, default encryption, a public access block with all " +
        "four settings true, an enabled lifecycle rule and a bucket policy denying requests without TLS. These are separate " +
        "resources (aws.s3.BucketVersioning, ...) that refer to the bucket by name or id.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateStack: (args, reportViolation) => {
        const config = configOf<Config>(schema, args);
        eachKnown(args.resources.filter((r) => BUCKET_TYPES.includes(r.type)), (bucket) => {
            const keys = bucketKeys(bucket);
            if (config.exemptBuckets.some((name) => keys.has(name))) return;
            const refersToBucket = (r: PolicyResource) => keys.has(r.props.bucket);
            const bucketName = typeof bucket.props.bucket === "string" ? ` (bucket ${bucket.props.bucket})` : "";
            eachKnown(CONTROLS, (control) => {
                const candidates = args.resources.filter((r) => control.types.includes(r.type) && refersToBucket(r));
                if (!candidates.some((r) => control.satisfied(r.props, config))) {
                    const found = candidates.length === 0 ? "none found" : `found ${candidates.map((c) => `"${c.name}"`).join(", ")}, not meeting it`;
                    reportViolation(`${describeResource(bucket.type, bucket.name)}${bucketName}: ${found}; required: ${control.required}`, bucket.urn);
                }
            });
        });
    },
};

/** What side-by-side resources use to refer to a bucket: its name, its id, or (with mocks) its logical name. */
function bucketKeys(bucket: PolicyResource): Set<unknown> {
    return new Set([bucket.props.bucket, bucket.props.id, bucket.name].filter((k) => typeof k === "string" && k.length > 0));
}

function deniesInsecureTransport(policy: unknown): boolean {
    let document: unknown = policy;
    if (typeof policy === "string") {
        try {
            document = JSON.parse(policy);
        } catch {
            return false;
        }
    }
    const statements = asRecord(document).Statement;
    return (Array.isArray(statements) ? statements : [statements]).filter(isRecord).some((s) => {
        const secureTransport = asRecord(asRecord(s.Condition).Bool)["aws:SecureTransport"];
        const values = Array.isArray(secureTransport) ? secureTransport : [secureTransport];
        return (
            s.Effect === "Deny" &&
            isEveryone(s.Principal) &&
            (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => a === "s3:*" || a === "*") &&
            values.some((v) => String(v).toLowerCase() === "false")
        );
    });
}

function isEveryone(principal: unknown): boolean {
    if (principal === "*") return true;
    const aws = asRecord(principal).AWS;
    return aws === "*" || (Array.isArray(aws) && aws.includes("*"));
}
