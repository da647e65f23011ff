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
function hardenedBucket(ref: string, bucketType = "aws:s3/bucket:Bucket", v2 = false) {
    const t = (name: string) => (v2 ? `aws:s3/${name}V2:${name[0].toUpperCase()}${name.slice(1)}V2` : `aws:s3/${name}:${name[0].toUpperCase()}${name.slice(1)}`);
    return {
        bucket: resource(bucketType, "backups", { bucket: "llm-platform-backups", forceDestroy: false, tags: { purpose: "backups" } }, "prod"),
        versioning: resource(t("bucketVersioning"), "backups-versioning", { bucket: ref, versioningConfiguration: { status: "Enabled" } }, "prod"),
        encryption: resource(t("bucketServerSideEncryptionConfiguration"), "backups-encryption", { bucket: ref, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }] }, "prod"),
        publicAccess: resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "backups-public-access", { bucket: ref, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, "prod"),
        lifecycle: resource(t("bucketLifecycleConfiguration"), "backups-lifecycle", {
            bucket: ref,
            rules: [{ id: "expire-old-backups", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: 30 }, expiration: { days: 90 } }],
        }, "prod"),
        policy: resource("aws:s3/bucketPolicy:BucketPolicy", "backups-tls-only", { bucket: ref, policy: JSON.stringify(TLS_ONLY) }, "prod"),
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
        assert.equal(found.length, 5);
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
        ];
        for (const [control, change, expected] of cases) {
            const set = hardenedBucket("llm-platform-backups");
            Object.assign(set[control].props, change);
            const found = messages(await check(s3BucketHardening, Object.values(set)));
            assert.equal(found.length, 1, control);
            assert.match(found[0], expected);
        }
    });

    it("does not count controls of another bucket", async () => {
        const set = hardenedBucket("some-other-bucket");
        assert.equal((await check(s3BucketHardening, Object.values(set))).length, 5);
    });

    it("skips exempt buckets", async () => {
        assert.deepEqual(await check(s3BucketHardening, hardenedBucket("x").bucket, { exemptBuckets: ["backups"] }), []);
    });
});
