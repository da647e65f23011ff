import type { PolicyConfigSchema, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { LOAD_BALANCER_TYPES } from "./support/load-balancers";
import { eachKnown, UnknownValueError } from "./support/unknowns";
import { asArray, asRecord, isRecord, nonEmptyString } from "./support/values";

/** `@pulumi/aws` 7 names and their deprecated `*V2` aliases (v6 names), as the engine reports each. */
const s3Types = (name: string, withV2 = true) => {
    const type = `${name[0].toUpperCase()}${name.slice(1)}`;
    return [`aws:s3/${name}:${type}`, ...(withV2 ? [`aws:s3/${name}V2:${type}V2`] : [])];
};
const BUCKET_TYPES = s3Types("bucket");
const VERSIONING_TYPES = s3Types("bucketVersioning");
const ENCRYPTION_TYPES = s3Types("bucketServerSideEncryptionConfiguration");
const PUBLIC_ACCESS_BLOCK_TYPES = s3Types("bucketPublicAccessBlock", false);
const LIFECYCLE_TYPES = s3Types("bucketLifecycleConfiguration");
const POLICY_TYPES = s3Types("bucketPolicy", false);
const OWNERSHIP_TYPES = s3Types("bucketOwnershipControls", false);
const LOGGING_TYPES = s3Types("bucketLogging");

const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

const schema: PolicyConfigSchema = {
    properties: {
        allowedSseAlgorithms: {
            type: "array",
            items: { type: "string" },
            default: ["AES256", "aws:kms", "aws:kms:dsse"],
            description: "Default-encryption algorithms a bucket may use (ALB access-log buckets must use AES256).",
        },
        exemptBuckets: {
            type: "array",
            items: { type: "string" },
            default: [],
            description: "Buckets (logical or bucket names) that are not backup or log buckets and need none of this.",
        },
        logBucketsNeedLogging: {
            type: "boolean",
            default: false,
            description: "Whether buckets that receive access logs (S3 server access logs, ALB logs) must log their own access too.",
        },
    },
};

interface Config {
    allowedSseAlgorithms: string[];
    exemptBuckets: string[];
    logBucketsNeedLogging: boolean;
}

interface Control {
    readonly name: string;
    readonly types: readonly string[];
    readonly satisfied: (props: Record<string, any>, config: Config, bucket: PolicyResource) => boolean;
    /** The same control given as (deprecated) inline arguments of the bucket. */
    readonly inline?: (bucket: Record<string, any>, config: Config) => boolean;
    readonly required: string;
    readonly appliesTo?: (bucket: PolicyResource, context: StackContext, config: Config) => boolean;
}

interface StackContext {
    /** Every bucket name/id/logical name that some resource sends access logs to. */
    readonly logTargets: ReadonlySet<unknown>;
    /** Some log target is not known yet (preview). */
    readonly targetPending: boolean;
}

const either = <T>(value: T | T[] | undefined): T[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

const sseOf = (rule: unknown) => asRecord(asRecord(rule).applyServerSideEncryptionByDefault).sseAlgorithm;

const CONTROLS: readonly Control[] = [
    {
        name: "versioning",
        types: VERSIONING_TYPES,
        satisfied: (p) => asRecord(p.versioningConfiguration).status === "Enabled",
        inline: (b) => either(b.versioning).some((v) => asRecord(v).enabled === true),
        required: 'versioning: an aws.s3.BucketVersioning with versioningConfiguration.status "Enabled"',
    },
    {
        name: "encryption",
        types: ENCRYPTION_TYPES,
        satisfied: (p, config) => asArray(p.rules).some((r) => config.allowedSseAlgorithms.includes(sseOf(r))),
        inline: (b, config) =>
            either(b.serverSideEncryptionConfiguration).some((c) =>
                [...either(asRecord(c).rule), ...either(asRecord(c).rules)].some((r) => config.allowedSseAlgorithms.includes(sseOf(r))),
            ),
        required: "default encryption: an aws.s3.BucketServerSideEncryptionConfiguration rule with sseAlgorithm AES256 or aws:kms",
    },
    {
        name: "public access block",
        types: PUBLIC_ACCESS_BLOCK_TYPES,
        satisfied: (p) => PUBLIC_ACCESS_FLAGS.every((flag) => p[flag] === true),
        required: `a public access block: an aws.s3.BucketPublicAccessBlock with ${PUBLIC_ACCESS_FLAGS.join(", ")} all true`,
    },
    {
        name: "ownership controls",
        types: OWNERSHIP_TYPES,
        satisfied: (p) => either(p.rule).some((r) => asRecord(r).objectOwnership === "BucketOwnerEnforced"),
        required: 'ACLs disabled: an aws.s3.BucketOwnershipControls with rule.objectOwnership "BucketOwnerEnforced"',
    },
    {
        name: "lifecycle",
        types: LIFECYCLE_TYPES,
        satisfied: (p) => asArray(p.rules).some((r) => asRecord(r).status === "Enabled"),
        inline: (b) => asArray(b.lifecycleRules).some((r) => asRecord(r).enabled === true),
        required: 'lifecycle rules: an aws.s3.BucketLifecycleConfiguration with a rule of status "Enabled"',
    },
    {
        name: "TLS-only policy",
        types: POLICY_TYPES,
        satisfied: (p, _config, bucket) => deniesInsecureTransport(p.policy, bucket),
        inline: (b) => nonEmptyString(b.policy) && deniesInsecureTransport(b.policy, undefined, b.bucket),
        required:
            'a TLS-only bucket policy: an aws.s3.BucketPolicy statement Effect "Deny", Principal "*", Action "s3:*", Resource the bucket ' +
            'ARN and "<bucket ARN>/*", Condition Bool (or BoolIfExists) aws:SecureTransport "false"',
    },
    {
        name: "access logging",
        types: LOGGING_TYPES,
        satisfied: (p) => nonEmptyString(p.targetBucket),
        inline: (b) => either(b.logging).concat(either(b.loggings)).some((l) => nonEmptyString(asRecord(l).targetBucket)),
        required: "server access logging: an aws.s3.BucketLogging with a targetBucket (the log bucket itself is excused)",
        appliesTo: (bucket, context, config) =>
            config.logBucketsNeedLogging || (!context.targetPending && ![...bucketKeys(bucket)].some((k) => context.logTargets.has(k))),
    },
];

export const s3BucketHardening: StackValidationPolicy = {
    name: "s3-bucket-hardening",
    description:
        "Every S3 bucket of the stack (backups, access logs) has versioning, default encryption, a public access block with all " +
        "four settings true, BucketOwnerEnforced ownership (ACLs off), an enabled lifecycle rule, a bucket policy denying " +
        "requests without TLS on the bucket and its objects, and server access logging (buckets that receive logs are " +
        "excused). These are the separate resources of @pulumi/aws 7 (aws.s3.BucketVersioning, ...; their deprecated *V2 " +
        "aliases count too) referring to the bucket by name or id; deprecated inline bucket arguments count as well.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateStack: (args, reportViolation) => {
        const config = configOf<Config>(schema, args);
        const logTargets = new Set<unknown>();
        // During preview a log target is often not known yet (another bucket's id): then no
        // bucket can be told it must log, and the check is noted as incomplete at the end.
        let targetPending: Error | undefined;
        for (const r of args.resources) {
            try {
                if (LOGGING_TYPES.includes(r.type)) logTargets.add(r.props.targetBucket);
                if (BUCKET_TYPES.includes(r.type)) for (const l of [...either(r.props.logging), ...either(r.props.loggings)]) logTargets.add(asRecord(l).targetBucket);
                if (LOAD_BALANCER_TYPES.includes(r.type)) logTargets.add(asRecord(r.props.accessLogs).bucket);
            } catch (e) {
                if (!(e instanceof UnknownValueError)) throw e;
                targetPending ??= e;
            }
        }
        const context: StackContext = { logTargets, targetPending: targetPending !== undefined };
        eachKnown(args.resources.filter((r) => BUCKET_TYPES.includes(r.type)), (bucket) => {
            const keys = bucketKeys(bucket);
            if (config.exemptBuckets.some((name) => keys.has(name))) return;
            const refersToBucket = (r: PolicyResource) => keys.has(r.props.bucket);
            const bucketName = typeof bucket.props.bucket === "string" ? ` (bucket ${bucket.props.bucket})` : "";
            eachKnown(CONTROLS, (control) => {
                if (control.appliesTo && !control.appliesTo(bucket, context, config)) return;
                if (control.inline?.(bucket.props, config)) return;
                const candidates = args.resources.filter((r) => control.types.includes(r.type) && refersToBucket(r));
                if (!candidates.some((r) => control.satisfied(r.props, config, bucket))) {
                    const found = candidates.length === 0 ? "none found" : `found ${candidates.map((c) => `"${c.name}"`).join(", ")}, not meeting it`;
                    reportViolation(`${describeResource(bucket.type, bucket.name)}${bucketName}: ${found}; required: ${control.required}`, bucket.urn);
                }
            });
        });
        if (targetPending) throw targetPending;
    },
};

/** What side-by-side resources use to refer to a bucket: its name, its id, or (with mocks) its logical name. */
function bucketKeys(bucket: PolicyResource): Set<unknown> {
    return new Set([bucket.props.bucket, bucket.props.id, bucket.name].filter((k) => typeof k === "string" && k.length > 0));
}

/** IAM's wildcards: `*` any run, `?` one character. */
function iamMatch(pattern: string, value: string): boolean {
    return new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("")}$`).test(value);
}

/**
 * Whether the statement's Resource covers the bucket and its objects. With the bucket's
 * name known, concrete ARNs are matched; otherwise the list must hold a bucket ARN and
 * an object pattern (`.../*`).
 */
function coversBucketAndObjects(resources: unknown[], bucketName: unknown): boolean {
    const patterns = resources.filter((r): r is string => typeof r === "string");
    if (typeof bucketName === "string" && bucketName.length > 0) {
        const arn = `arn:aws:s3:::${bucketName}`;
        return patterns.some((p) => iamMatch(p, arn)) && patterns.some((p) => iamMatch(p, `${arn}/some/object`));
    }
    const objects = patterns.some((p) => p === "*" || p.endsWith("/*"));
    const bucket = patterns.some((p) => p === "*" || /^arn:aws[\w-]*:s3:::[^/]+$/.test(p));
    return objects && bucket;
}

function deniesInsecureTransport(policy: unknown, bucket?: PolicyResource, inlineName?: unknown): boolean {
    let document: unknown = policy;
    if (typeof policy === "string") {
        try {
            document = JSON.parse(policy);
        } catch {
            return false;
        }
    }
    const bucketName = bucket ? bucket.props.bucket : inlineName;
    return either(asRecord(document).Statement).filter(isRecord).some((s) => {
        const secureTransport = ["Bool", "BoolIfExists"].flatMap((operator) => conditionValue(s.Condition, operator, "aws:SecureTransport").flatMap((v) => either(v)));
        return (
            s.Effect === "Deny" &&
            isEveryone(s.Principal) &&
            either(s.Action).some((a) => typeof a === "string" && (a.toLowerCase() === "s3:*" || a === "*")) &&
            secureTransport.some((v) => String(v).toLowerCase() === "false") &&
            coversBucketAndObjects(either(s.Resource), bucketName)
        );
    });
}

/**
 * A condition's value for an operator and a key, both compared case-insensitively: IAM
 * treats context key names so ("aws:SourceIP" is "AWS:SourceIp", IAM User Guide, Condition
 * element) and action names too; an operator IAM would not accept fails the deploy itself.
 */
function conditionValue(condition: unknown, operator: string, key: string): unknown[] {
    const found: unknown[] = [];
    for (const [op, block] of Object.entries(asRecord(condition))) {
        if (op.toLowerCase() !== operator.toLowerCase()) continue;
        for (const [k, value] of Object.entries(asRecord(block))) if (k.toLowerCase() === key.toLowerCase()) found.push(value);
    }
    return found;
}

function isEveryone(principal: unknown): boolean {
    if (principal === "*") return true;
    const aws = asRecord(principal).AWS;
    return aws === "*" || (Array.isArray(aws) && aws.includes("*"));
}
