import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { asArray } from "./support/values";

export const TLS_CERTIFICATE_TYPES = ["tls:index/selfSignedCert:SelfSignedCert", "tls:index/locallySignedCert:LocallySignedCert"];

const validitySchema: PolicyConfigSchema = {
    properties: {
        minValidityDays: {
            type: "number",
            minimum: 1,
            default: 31,
            description:
                "Shortest validity a certificate may be issued with; must exceed minEarlyRenewalDays, or no certificate could pass " +
                "(config validation asks the same: tls.validityDays > tls.renewBeforeDays).",
        },
        minEarlyRenewalDays: {
            type: "number",
            minimum: 0,
            default: 30,
            description:
                "Shortest early-renewal window: `pulumi up --refresh` re-issues a certificate this long before it expires. Must be at " +
                "least pem-certificate-validity's minValidDays, or a certificate would fail that rule (and block deploys) before it is renewed.",
        },
    },
};

interface ValidityConfig {
    minValidityDays: number;
    minEarlyRenewalDays: number;
}

export const tlsCertificateValidity: ResourceValidationPolicy = {
    name: "tls-certificate-validity",
    description:
        "Certificates issued by the tls provider are valid for at least minValidityDays (default 31) and have an early-renewal " +
        "window (earlyRenewalHours) of at least minEarlyRenewalDays (default 30, never below pem-certificate-validity's " +
        "minValidDays) and shorter than the validity, so that `pulumi up --refresh` re-issues them before the PEM check " +
        "would block. Set tls.validityDays and tls.renewBeforeDays.",
    enforcementLevel: "mandatory",
    configSchema: validitySchema,
    validateResource: (args, reportViolation) => {
        if (!TLS_CERTIFICATE_TYPES.includes(args.type)) return;
        const { minValidityDays, minEarlyRenewalDays } = configOf<ValidityConfig>(validitySchema, args);
        const where = describeResource(args.type, args.name);
        const validity = args.props.validityPeriodHours;
        const renewal = args.props.earlyRenewalHours ?? 0;
        const minValidityHours = minValidityDays * 24;
        const minRenewalHours = minEarlyRenewalDays * 24;

        if (typeof validity !== "number" || validity < minValidityHours) {
            reportViolation(`${where}: validityPeriodHours is ${validity ?? "not set"}; required: at least ${minValidityHours} (${minValidityDays} days)`);
        }
        if (typeof renewal !== "number" || renewal <= 0 || renewal < minRenewalHours) {
            reportViolation(
                `${where}: earlyRenewalHours is ${renewal}${renewal === 0 ? " (never renewed before expiry)" : ""}; ` +
                    `required: at least ${Math.max(minRenewalHours, 1)} (${minEarlyRenewalDays} days)`,
            );
        } else if (typeof validity === "number" && renewal >= validity) {
            reportViolation(`${where}: earlyRenewalHours ${renewal} is not shorter than validityPeriodHours ${validity}, so every refresh re-issues it; required: less than ${validity}`);
        }
    },
};

const usageSchema: PolicyConfigSchema = {
    properties: {
        requiredLeafUses: {
            type: "array",
            items: { type: "string" },
            default: ["server_auth"],
            description: "allowedUses every leaf (non-CA) certificate must include.",
        },
    },
};

export const tlsLeafCertificateUsage: ResourceValidationPolicy = {
    name: "tls-leaf-certificate-usage",
    description:
        "Leaf certificates (isCaCertificate not true) issued by the tls provider allow server authentication " +
        "(`allowedUses` includes \"server_auth\"), without which TLS clients such as SQL Server reject them.",
    enforcementLevel: "mandatory",
    configSchema: usageSchema,
    validateResource: (args, reportViolation) => {
        if (!TLS_CERTIFICATE_TYPES.includes(args.type) || args.props.isCaCertificate === true) return;
        const { requiredLeafUses } = configOf<{ requiredLeafUses: string[] }>(usageSchema, args);
        const uses = asArray(args.props.allowedUses);
        const missing = requiredLeafUses.filter((u) => !uses.includes(u));
        if (missing.length > 0) {
            reportViolation(
                `${describeResource(args.type, args.name)}: allowedUses is ${JSON.stringify(uses)}; required for a leaf certificate: ${missing.map((m) => `"${m}"`).join(", ")}`,
            );
        }
    },
};
