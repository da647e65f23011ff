import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";

/** @pulumi/aws 7 kms/key.d.ts: rotationPeriodInDays "Must be a number between 90 and 2560"; deletionWindowInDays "between `7` and `30`". */
const MIN_ROTATION_PERIOD_DAYS = 90;

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
        "automatic rotation on (enableKeyRotation true) with rotationPeriodInDays at most maxRotationPeriodDays (and at least the 90 " +
        "KMS accepts); a deletionWindowInDays outside KMS's 7-30 fails too (the deploy would). Asymmetric, " +
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
        } else if (typeof p.rotationPeriodInDays === "number" && p.rotationPeriodInDays < MIN_ROTATION_PERIOD_DAYS) {
            reportViolation(`${where}: rotationPeriodInDays is ${p.rotationPeriodInDays}, which KMS refuses (the deploy would fail); required: ${MIN_ROTATION_PERIOD_DAYS} to ${maxRotationPeriodDays}`);
        } else if (typeof p.rotationPeriodInDays === "number" && p.rotationPeriodInDays > maxRotationPeriodDays) {
            reportViolation(`${where}: rotationPeriodInDays is ${p.rotationPeriodInDays}; required: at most ${maxRotationPeriodDays} (maxRotationPeriodDays)`);
        }
        const window = p.deletionWindowInDays;
        if (typeof window === "number" && (window < 7 || window > 30)) {
            reportViolation(`${where}: deletionWindowInDays is ${window}, which KMS refuses (the deploy would fail); required: 7 to 30 (30 when not set)`);
        }
    },
};
