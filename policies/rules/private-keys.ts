import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";

const schema: PolicyConfigSchema = {
    properties: {
        minRsaBits: { type: "integer", minimum: 1024, default: 2048, description: "Smallest RSA key size." },
        allowedEcdsaCurves: {
            type: "array",
            items: { type: "string" },
            default: ["P256", "P384", "P521"],
            description: "ECDSA curves allowed (the provider's default, P224, is not).",
        },
    },
};

interface Config {
    minRsaBits: number;
    allowedEcdsaCurves: string[];
}

// The tls provider's defaults when a size or curve is omitted.
const DEFAULT_RSA_BITS = 2048;
const DEFAULT_ECDSA_CURVE = "P224";

export const tlsPrivateKeyStrength: ResourceValidationPolicy = {
    name: "tls-private-key-strength",
    description: "Private keys made by the tls provider are RSA of at least 2048 bits, ECDSA on P256 or stronger, or ED25519.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        if (args.type !== "tls:index/privateKey:PrivateKey") return;
        const { minRsaBits, allowedEcdsaCurves } = configOf<Config>(schema, args);
        const where = describeResource(args.type, args.name);
        const algorithm = String(args.props.algorithm ?? "").toUpperCase();
        switch (algorithm) {
            case "RSA": {
                const bits = args.props.rsaBits ?? DEFAULT_RSA_BITS;
                if (typeof bits !== "number" || bits < minRsaBits) {
                    reportViolation(`${where}: RSA key of ${bits} bits; required: at least ${minRsaBits}`);
                }
                return;
            }
            case "ECDSA": {
                const curve = args.props.ecdsaCurve ?? DEFAULT_ECDSA_CURVE;
                if (!allowedEcdsaCurves.includes(curve)) {
                    reportViolation(`${where}: ECDSA curve ${curve}${args.props.ecdsaCurve ? "" : " (the provider's default)"}; required: one of ${allowedEcdsaCurves.join(", ")}`);
                }
                return;
            }
            case "ED25519":
                return;
            default:
                reportViolation(`${where}: algorithm is ${JSON.stringify(args.props.algorithm)}; required: RSA, ECDSA or ED25519`);
        }
    },
};
