import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { K8S_SERVICE, patchedType } from "./support/kubernetes";
import { asArray, asRecord } from "./support/values";

const schema: PolicyConfigSchema = {
    properties: {
        allowedExternalIPs: {
            type: "array",
            items: { type: "string" },
            default: [],
            description: "Addresses a Service may claim in spec.externalIPs (ones your network team assigned to this cluster); none by default.",
        },
    },
};

export const kubernetesNoExternalIps: ResourceValidationPolicy = {
    name: "kubernetes-no-external-ips",
    description:
        "Services (and ServicePatches) set no spec.externalIPs beyond allowedExternalIPs: kube-proxy sends every node's traffic " +
        "for such an address to the Service, so whoever may create a Service can take over any address, an outside one " +
        "included (CVE-2020-8554). Expose through a LoadBalancer or an Ingress instead.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        if (patchedType(args.type) !== K8S_SERVICE) return;
        const { allowedExternalIPs } = configOf<{ allowedExternalIPs: string[] }>(schema, args);
        const claimed = asArray(asRecord(args.props.spec).externalIPs).map(String).filter((ip) => !allowedExternalIPs.includes(ip));
        if (claimed.length === 0) return;
        reportViolation(
            `${describeResource(args.type, args.name)}: spec.externalIPs claims ${claimed.join(", ")}, which intercepts that address's traffic on every node; ` +
                "required: no externalIPs (a LoadBalancer Service or an Ingress), or the address in allowedExternalIPs",
        );
    },
};
