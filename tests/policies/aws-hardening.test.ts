import { strict as assert } from "assert";
import { kmsKeyRotation } from "../../policies/rules/kms-keys";
import { loadBalancerHardening } from "../../policies/rules/load-balancer-hardening";
import { INGRESS } from "./helpers/kubernetes-fixtures";
import { check, messages, resource } from "./helpers/run";

const alb = (overrides: Record<string, any> = {}, stack = "prod") =>
    resource("aws:lb/loadBalancer:LoadBalancer", "proxy-alb", {
        name: "llm-platform-prod",
        loadBalancerType: "application",
        internal: false,
        securityGroups: ["sg-0a1b2c3d4e5f67890"],
        subnets: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
        idleTimeout: 600,
        dropInvalidHeaderFields: true,
        enableDeletionProtection: true,
        accessLogs: { bucket: "llm-platform-prod-alb-logs", prefix: "alb", enabled: true },
        ...overrides,
    }, stack);

describe("policy load-balancer-hardening", () => {
    it("passes an ALB with access logs, invalid-header dropping and deletion protection; NLBs are not ALBs", async () => {
        assert.deepEqual(await check(loadBalancerHardening, [alb(), { ...alb(), type: "aws:alb/loadBalancer:LoadBalancer" }]), []);
        assert.deepEqual(await check(loadBalancerHardening, alb({ loadBalancerType: "network", accessLogs: undefined, dropInvalidHeaderFields: undefined })), []);
        assert.deepEqual(await check(loadBalancerHardening, alb({ enableDeletionProtection: false }, "dev")), []);
    });

    it("fails an ALB (application by default) without logs, with invalid headers passed, unprotected in production", async () => {
        const found = messages(await check(loadBalancerHardening, alb({ loadBalancerType: undefined, accessLogs: { bucket: "llm-platform-prod-alb-logs", enabled: false }, dropInvalidHeaderFields: undefined, enableDeletionProtection: undefined })));
        assert.deepEqual(found, [
            'aws:lb/loadBalancer:LoadBalancer "proxy-alb": accessLogs is not enabled; required: accessLogs { bucket: <log bucket>, enabled: true }',
            'aws:lb/loadBalancer:LoadBalancer "proxy-alb": dropInvalidHeaderFields is not set (false); required: true',
            'aws:lb/loadBalancer:LoadBalancer "proxy-alb": enableDeletionProtection is not set (false) in production stack prod; required: true',
        ]);
    });

    it("holds ALBs made from an Ingress to the same attributes", async () => {
        const ingress = (attributes?: string) =>
            resource(INGRESS, "proxy", { metadata: { name: "proxy", annotations: { "alb.ingress.kubernetes.io/scheme": "internet-facing", ...(attributes ? { "alb.ingress.kubernetes.io/load-balancer-attributes": attributes } : {}) } }, spec: { ingressClassName: "alb" } }, "prod");
        assert.deepEqual(await check(loadBalancerHardening, ingress("access_logs.s3.enabled=true,access_logs.s3.bucket=logs, routing.http.drop_invalid_header_fields.enabled=true")), []);
        const found = messages(await check(loadBalancerHardening, ingress()));
        assert.equal(found.length, 2);
        assert.match(found[1], /no invalid-header dropping \(routing.http.drop_invalid_header_fields.enabled is not set\)/);
    });
});

describe("policy load-balancer-hardening: HTTP desync mitigation (Checkov CKV_AWS_328)", () => {
    it("passes the default (defensive) and strictest, fails monitor", async () => {
        assert.deepEqual(await check(loadBalancerHardening, [alb(), alb({ desyncMitigationMode: "strictest" }), alb({ desyncMitigationMode: "defensive" })]), []);
        assert.deepEqual(messages(await check(loadBalancerHardening, alb({ desyncMitigationMode: "monitor" }))), [
            'aws:lb/loadBalancer:LoadBalancer "proxy-alb": desyncMitigationMode is monitor, which forwards requests that can smuggle others; required: defensive (the default) or strictest',
        ]);
    });
});

describe("policy kms-key-rotation", () => {
    const key = (overrides: Record<string, any> = {}) =>
        resource("aws:kms/key:Key", "backups-key", { description: "llm-platform backups", deletionWindowInDays: 30, enableKeyRotation: true, ...overrides }, "prod");

    it("passes symmetric keys that rotate, and asymmetric keys that cannot", async () => {
        assert.deepEqual(await check(kmsKeyRotation, [key(), key({ rotationPeriodInDays: 180 }), key({ enableKeyRotation: false, customerMasterKeySpec: "RSA_2048", keyUsage: "SIGN_VERIFY" })]), []);
    });

    it("fails a symmetric key without rotation or rotating too rarely", async () => {
        assert.deepEqual(messages(await check(kmsKeyRotation, key({ enableKeyRotation: undefined }))), ['aws:kms/key:Key "backups-key": enableKeyRotation is not set (false); required: true']);
        assert.match(messages(await check(kmsKeyRotation, key({ rotationPeriodInDays: 730 })))[0], /rotationPeriodInDays is 730; required: at most 365/);
    });

    it("fails values KMS would refuse at deploy: a rotation period below 90 days, a deletion window outside 7-30", async () => {
        assert.deepEqual(messages(await check(kmsKeyRotation, key({ rotationPeriodInDays: 30 }))), [
            'aws:kms/key:Key "backups-key": rotationPeriodInDays is 30, which KMS refuses (the deploy would fail); required: 90 to 365',
        ]);
        assert.match(messages(await check(kmsKeyRotation, key({ deletionWindowInDays: 3 })))[0], /deletionWindowInDays is 3, which KMS refuses/);
        assert.deepEqual(await check(kmsKeyRotation, [key({ rotationPeriodInDays: 90, deletionWindowInDays: 7 })]), []);
    });
});
