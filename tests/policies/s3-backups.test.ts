import { strict as assert } from "assert";
import { s3BucketHardening } from "../../policies/rules/s3-backups";
import { check, messages, resource } from "./helpers/run";

const TLS_ONLY = {
    Version: "2012-10-17",
    Statement: [{
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: ["arn:aws:s3:::llm-platform-backups", "arn:aws:s3:::llm-platform-backups/*"],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    }],
};

/** A backup bucket and its side-by-side resources, each referring to the bucket as `ref`. */
function hardenedBucket(ref: string, bucketType = "aws:s3/bucket:Bucket", v2 = false, bucketName = "llm-platform-backups", logical = "backups") {
    const tlsOnly = JSON.stringify(TLS_ONLY).replace(/llm-platform-backups/g, bucketName);
    const t = (name: string) => (v2 ? `aws:s3/${name}V2:${name[0].toUpperCase()}${name.slice(1)}V2` : `aws:s3/${name}:${name[0].toUpperCase()}${name.slice(1)}`);
    return {
        bucket: resource(bucketType, logical, { bucket: bucketName, forceDestroy: false, tags: { purpose: logical } }, "prod"),
        versioning: resource(t("bucketVersioning"), `${logical}-versioning`, { bucket: ref, versioningConfiguration: { status: "Enabled" } }, "prod"),
        encryption: resource(t("bucketServerSideEncryptionConfiguration"), `${logical}-encryption`, { bucket: ref, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }] }, "prod"),
        publicAccess: resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `${logical}-public-access`, { bucket: ref, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, "prod"),
        lifecycle: resource(t("bucketLifecycleConfiguration"), `${logical}-lifecycle`, {
            bucket: ref,
            rules: [{ id: "expire-old-backups", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: 30 }, expiration: { days: 90 } }],
        }, "prod"),
        policy: resource("aws:s3/bucketPolicy:BucketPolicy", `${logical}-tls-only`, { bucket: ref, policy: tlsOnly }, "prod"),
        ownership: resource("aws:s3/bucketOwnershipControls:BucketOwnershipControls", `${logical}-ownership`, { bucket: ref, rule: { objectOwnership: "BucketOwnerEnforced" } }, "prod"),
        logging: resource(t("bucketLogging"), `${logical}-logging`, { bucket: ref, targetBucket: "llm-platform-access-logs", targetPrefix: "s3/llm-platform-backups/" }, "prod"),
    };
}

describe("policy s3-bucket-hardening", () => {
    it("passes a bucket with every control, matched by bucket name, by id, or by logical name", async () => {
        for (const ref of ["llm-platform-backups", "backups"]) {
            assert.deepEqual(await check(s3BucketHardening, Object.values(hardenedBucket(ref))), [], ref);
        }
        const withId = hardenedBucket("llm-platform-backups-id");
        withId.bucket.props.id = "llm-platform-backups-id";
        assert.deepEqual(await check(s3BucketHardening, Object.values(withId)), []);
    });

    it("passes the V2 resource types and a policy given as an object", async () => {
        const set = hardenedBucket("llm-platform-backups", "aws:s3/bucketV2:BucketV2", true);
        set.policy.props.policy = TLS_ONLY;
        assert.deepEqual(await check(s3BucketHardening, Object.values(set)), []);
    });

    it("fails a bare bucket once per missing control, on the bucket", async () => {
        const found = await check(s3BucketHardening, hardenedBucket("x").bucket);
        assert.equal(found.length, 7);
        assert.ok(found.every((v) => v.resource?.name === "backups" && v.enforcementLevel === "mandatory"));
        assert.match(found[0].message, /aws:s3\/bucket:Bucket "backups" \(bucket llm-platform-backups\): none found; required: versioning/);
    });

    it("fails controls that exist but do not meet the requirement", async () => {
        const cases: [keyof ReturnType<typeof hardenedBucket>, Record<string, any>, RegExp][] = [
            ["versioning", { versioningConfiguration: { status: "Suspended" } }, /found "backups-versioning", not meeting it; required: versioning/],
            ["encryption", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "none" } }] }, /required: default encryption/],
            ["publicAccess", { restrictPublicBuckets: false }, /required: a public access block/],
            ["publicAccess", { ignorePublicAcls: undefined }, /required: a public access block/],
            ["lifecycle", { rules: [{ id: "off", status: "Disabled", expiration: { days: 90 } }] }, /required: lifecycle rules/],
            ["policy", { policy: JSON.stringify({ Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:DeleteObject", Condition: { Bool: { "aws:SecureTransport": "false" } } }] }) }, /required: a TLS-only bucket policy/],
            // Without "/*" the objects stay reachable over HTTP.
            ["policy", { policy: JSON.stringify({ Statement: [{ ...TLS_ONLY.Statement[0], Resource: "arn:aws:s3:::llm-platform-backups" }] }) }, /required: a TLS-only bucket policy/],
            ["policy", { policy: JSON.stringify({ Statement: [{ ...TLS_ONLY.Statement[0], Resource: ["arn:aws:s3:::other-bucket", "arn:aws:s3:::other-bucket/*"] }] }) }, /required: a TLS-only bucket policy/],
            ["ownership", { rule: { objectOwnership: "ObjectWriter" } }, /required: ACLs disabled: an aws.s3.BucketOwnershipControls with rule.objectOwnership "BucketOwnerEnforced"/],
            ["logging", { targetBucket: "" }, /required: server access logging/],
        ];
        for (const [control, change, expected] of cases) {
            const set = hardenedBucket("llm-platform-backups");
            Object.assign(set[control].props, change);
            const found = messages(await check(s3BucketHardening, Object.values(set)));
            assert.equal(found.length, 1, control);
            assert.match(found[0], expected);
        }
    });

    it("accepts BoolIfExists, wildcard resources, and deprecated inline bucket arguments", async () => {
        const ifExists = hardenedBucket("llm-platform-backups");
        ifExists.policy.props.policy = JSON.stringify({ Statement: [{ ...TLS_ONLY.Statement[0], Resource: "arn:aws:s3:::llm-platform-backups*", Condition: { BoolIfExists: { "aws:SecureTransport": false } } }] });
        assert.deepEqual(await check(s3BucketHardening, Object.values(ifExists)), []);
        const { bucket, publicAccess, ownership } = hardenedBucket("llm-platform-backups");
        Object.assign(bucket.props, {
            versioning: { enabled: true },
            serverSideEncryptionConfiguration: { rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } } },
            lifecycleRules: [{ enabled: true, expiration: { days: 365 } }],
            logging: { targetBucket: "llm-platform-access-logs" },
            policy: JSON.stringify(TLS_ONLY),
        });
        assert.deepEqual(await check(s3BucketHardening, [bucket, publicAccess, ownership]), []);
    });

    it("reads condition operators, condition keys and actions case-insensitively, as IAM does", async () => {
        const lower = hardenedBucket("llm-platform-backups");
        lower.policy.props.policy = JSON.stringify({ Statement: [{ ...TLS_ONLY.Statement[0], Action: "S3:*", Condition: { bool: { "aws:securetransport": "FALSE" } } }] });
        assert.deepEqual(await check(s3BucketHardening, Object.values(lower)), []);
        const allowing = hardenedBucket("llm-platform-backups");
        allowing.policy.props.policy = JSON.stringify({ Statement: [{ ...TLS_ONLY.Statement[0], Condition: { bool: { "aws:securetransport": "true" } } }] });
        assert.match(messages(await check(s3BucketHardening, Object.values(allowing)))[0], /found "backups-tls-only", not meeting it; required: a TLS-only bucket policy/);
    });

    it("excuses the bucket that receives access logs (S3 or ALB) from logging itself, not from the rest", async () => {
        const { logging, ...withoutLogging } = hardenedBucket("llm-platform-access-logs", undefined, false, "llm-platform-access-logs", "access-logs");
        const backups = hardenedBucket("llm-platform-backups");
        assert.deepEqual(await check(s3BucketHardening, [...Object.values(withoutLogging), ...Object.values(backups)]), []);
        const alb = resource("aws:lb/loadBalancer:LoadBalancer", "alb", { loadBalancerType: "application", accessLogs: { bucket: "llm-platform-access-logs", enabled: true } }, "prod");
        assert.deepEqual(await check(s3BucketHardening, [...Object.values(withoutLogging), alb]), []);
        assert.equal((await check(s3BucketHardening, Object.values(withoutLogging))).length, 1, "a bucket nobody logs to must log");
        assert.equal((await check(s3BucketHardening, [...Object.values(withoutLogging), alb], { logBucketsNeedLogging: true })).length, 1);
    });

    it("does not count controls of another bucket", async () => {
        const set = hardenedBucket("some-other-bucket");
        assert.equal((await check(s3BucketHardening, Object.values(set))).length, 7);
    });

    it("skips exempt buckets", async () => {
        assert.deepEqual(await check(s3BucketHardening, hardenedBucket("x").bucket, { exemptBuckets: ["backups"] }), []);
    });
});
