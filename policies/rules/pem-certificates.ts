import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { DOCKER_CONTAINER, dockerUploads } from "./support/docker";
import { dataOf } from "./support/mounted-files";
import { K8S_CONFIG_MAP, K8S_SECRET } from "./support/kubernetes";
import { certificateBlocks, parseCertificate, validityProblem } from "./support/pem";
import { nonEmptyString } from "./support/values";

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

/** A property that carries PEM, and whether the resource exists to carry a certificate there. */
interface PemField {
    readonly field: string;
    readonly text: string;
    /** The certificate is the point of the resource: it must be present and parse. */
    readonly required: boolean;
}

const TLS_SECRET_TYPE = "kubernetes.io/tls";

function pemFields(type: string, props: Record<string, any>): PemField[] {
    switch (type) {
        case "aws:acm/certificate:Certificate":
        case "aws:iam/serverCertificate:ServerCertificate": {
            const fields: PemField[] = [];
            if (nonEmptyString(props.certificateBody)) fields.push({ field: "certificateBody", text: props.certificateBody, required: true });
            if (nonEmptyString(props.certificateChain)) fields.push({ field: "certificateChain", text: props.certificateChain, required: true });
            return fields;
        }
        case K8S_SECRET: {
            const data = dataOf(type, props);
            const tls = props.type === TLS_SECRET_TYPE;
            const fields = Object.entries(data).map(([key, text]) => ({ field: `data["${key}"]`, text, required: tls && key === "tls.crt" }));
            if (tls && data["tls.crt"] === undefined) fields.push({ field: `data["tls.crt"]`, text: "", required: true });
            return fields;
        }
        case K8S_CONFIG_MAP:
            return Object.entries(dataOf(type, props)).map(([key, text]) => ({ field: `data["${key}"]`, text, required: false }));
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
        "Certificates supplied as PEM (ACM imports, IAM server certificates, Kubernetes TLS secrets, ConfigMaps, files " +
        "uploaded into containers) parse as X.509, are valid now and stay valid for at least minValidDays (default 30) more " +
        "days. Renew or replace the certificate.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const { minValidDays } = configOf<{ minValidDays: number }>(schema, args);
        const where = describeResource(args.type, args.name);
        for (const { field, text, required } of pemFields(args.type, args.props)) {
            const blocks = certificateBlocks(text);
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
