import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { nonEmptyString } from "./support/values";

const schema: PolicyConfigSchema = {
    properties: {
        allowedValidationMethods: {
            type: "array",
            items: { type: "string" },
            default: ["DNS"],
            description: "How an ACM-issued certificate may be validated (DNS renews itself; EMAIL needs a person).",
        },
    },
};

export const acmCertificateDnsValidation: ResourceValidationPolicy = {
    name: "acm-certificate-dns-validation",
    description:
        "Certificates requested from ACM are validated by DNS, so that ACM renews them without anyone answering an email. " +
        "Imported certificates (certificateBody) and private-CA certificates are not requested and are checked elsewhere.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        if (args.type !== "aws:acm/certificate:Certificate") return;
        if (nonEmptyString(args.props.certificateBody) || nonEmptyString(args.props.certificateAuthorityArn)) return;
        const { allowedValidationMethods } = configOf<{ allowedValidationMethods: string[] }>(schema, args);
        const method = args.props.validationMethod;
        if (typeof method !== "string" || !allowedValidationMethods.includes(method.toUpperCase())) {
            reportViolation(
                `${describeResource(args.type, args.name)}: validationMethod is ${method ?? "not set"}; required: ${allowedValidationMethods.join(" or ")}`,
            );
        }
    },
};
