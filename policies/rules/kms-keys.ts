import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";

const schema: PolicyConfigSchema = {
    properties: {
        maxRotationPeriodDays: {
            type: "integer",
            minimum: 90,
            maximum: 2560,
            default: 365,
            description: "Longest rotationPeriodInDays a key may set (AWS allows 90-2560; 365 when unset).",
        },
    },
};

export const kmsKeyRotation: ResourceValidationPolicy = {
    name: "kms-key-rotation",
    description:
        "Symmetric encryption KMS keys (aws.kms.Key, keyUsage ENCRYPT_DECRYPT, keySpec SYMMETRIC_DEFAULT: the defaults) have " +
        "automatic rotation on (enableKeyRotation true) with rotationPeriodInDays at most maxRotationPeriodDays. Asymmetric, " +
        "HMAC and imported keys cannot rotate automatically and are not checked.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        if (args.type !== "aws:kms/key:Key") return;
        const p = args.props;
        const spec = p.customerMasterKeySpec ?? p.keySpec ?? "SYMMETRIC_DEFAULT";
        if ((p.keyUsage ?? "ENCRYPT_DECRYPT") !== "ENCRYPT_DECRYPT" || spec !== "SYMMETRIC_DEFAULT") return;
        const { maxRotationPeriodDays } = configOf<{ maxRotationPeriodDays: number }>(schema, args);
        const where = describeResource(args.type, args.name);
        if (p.enableKeyRotation !== true) {
            reportViolation(`${where}: enableKeyRotation is ${p.enableKeyRotation ?? "not set (false)"}; required: true`);
        } else if (typeof p.rotationPeriodInDays === "number" && p.rotationPeriodInDays > maxRotationPeriodDays) {
            reportViolation(`${where}: rotationPeriodInDays is ${p.rotationPeriodInDays}; required: at most ${maxRotationPeriodDays} (maxRotationPeriodDays)`);
        }
    },
};
