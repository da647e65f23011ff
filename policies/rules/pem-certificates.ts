import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { DOCKER_CONTAINER, dockerUploads } from "./support/docker";
import { dataOf } from "./support/mounted-files";
import { isPatch, K8S_CONFIG_MAP, K8S_SECRET, patchedType } from "./support/kubernetes";
import { certificateBlocks, parseCertificate, validityProblem } from "./support/pem";
import { asRecord, nonEmptyString } from "./support/values";

const schema: PolicyConfigSchema = {
    properties: {
        minValidDays: {
            type: "number",
            minimum: 0,
            default: 30,
            description: "A certificate must stay valid at least this many more days; at most tls-certificate-validity's minEarlyRenewalDays.",
        },
    },
};

/** A property that carries PEM (or DER bytes), and whether the resource exists to carry a certificate there. */
interface PemField {
    readonly field: string;
    readonly text: string;
    /** The certificate is the point of the resource: it must be present and parse. */
    readonly required: boolean;
    /** Binary data that may be one DER-encoded certificate (ConfigMap binaryData: CA bundles, truststores). */
    readonly der?: Buffer;
}

/** ConfigMap `binaryData`: base64 of PEM text (a CA bundle) or of one DER certificate. */
function binaryFields(props: Record<string, any>): PemField[] {
    return Object.entries(asRecord(props.binaryData))
        .filter((entry): entry is [string, string] => typeof entry[1] === "string")
        .map(([key, value]) => {
            const bytes = Buffer.from(value, "base64");
            return { field: `binaryData["${key}"]`, text: bytes.toString("latin1"), required: false, der: bytes };
        });
}

const TLS_SECRET_TYPE = "kubernetes.io/tls";

function pemFields(type: string, props: Record<string, any>): PemField[] {
    switch (patchedType(type)) {
        case "aws:acm/certificate:Certificate":
        case "aws:iam/serverCertificate:ServerCertificate": {
            const fields: PemField[] = [];
            if (nonEmptyString(props.certificateBody)) fields.push({ field: "certificateBody", text: props.certificateBody, required: true });
            if (nonEmptyString(props.certificateChain)) fields.push({ field: "certificateChain", text: props.certificateChain, required: true });
            return fields;
        }
        case K8S_SECRET: {
            const data = dataOf(patchedType(type), props);
            // A patch that leaves tls.crt out keeps the live one.
            const tls = props.type === TLS_SECRET_TYPE && !isPatch(type);
            const fields = Object.entries(data).map(([key, text]) => ({ field: `data["${key}"]`, text, required: tls && key === "tls.crt" }));
            if (tls && data["tls.crt"] === undefined) fields.push({ field: `data["tls.crt"]`, text: "", required: true });
            return fields;
        }
        case K8S_CONFIG_MAP:
            return [...Object.entries(dataOf(K8S_CONFIG_MAP, props)).map(([key, text]) => ({ field: `data["${key}"]`, text, required: false })), ...binaryFields(props)];
        case DOCKER_CONTAINER:
            return dockerUploads(props).map((f) => ({ field: `upload ${f.path}`, text: f.content, required: false }));
        case "tls:index/locallySignedCert:LocallySignedCert":
            return nonEmptyString(props.caCertPem) ? [{ field: "caCertPem", text: props.caCertPem, required: false }] : [];
        default:
            return [];
    }
}

export const pemCertificateValidity: ResourceValidationPolicy = {
    name: "pem-certificate-validity",
    description:
        "Certificates supplied as PEM (ACM imports, IAM server certificates, Kubernetes TLS secrets, ConfigMap data and " +
        "binaryData — PEM or one DER certificate —, their *Patch resources, files uploaded into containers) parse as X.509, are valid now and stay valid for at least minValidDays (default 30) more " +
        "days. Renew or replace the certificate.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const { minValidDays } = configOf<{ minValidDays: number }>(schema, args);
        const where = describeResource(args.type, args.name);
        for (const { field, text, required, der } of pemFields(args.type, args.props)) {
            const blocks = certificateBlocks(text);
            const derCertificate = blocks.length === 0 && der ? parseCertificate(der) : undefined;
            if (derCertificate) {
                const problem = validityProblem(derCertificate, minValidDays);
                if (problem) reportViolation(`${where}: ${field} (DER): ${problem}`);
                continue;
            }
            if (required && blocks.length === 0) {
                reportViolation(`${where}: ${field} holds no PEM certificate; required: a "-----BEGIN CERTIFICATE-----" block`);
            }
            for (const block of blocks) {
                const cert = parseCertificate(block);
                if (!cert) {
                    // Where a certificate only passes through (an upload, a CA bundle), it comes from a
                    // resource that is checked itself; under the offline mocks those values are
                    // placeholders, so only certificate-carrying resources must parse.
                    if (required) reportViolation(`${where}: ${field} is not a parseable X.509 certificate; required: a valid PEM certificate`);
                    continue;
                }
                const problem = validityProblem(cert, minValidDays);
                if (problem) reportViolation(`${where}: ${field}: ${problem}`);
            }
        }
    },
};
