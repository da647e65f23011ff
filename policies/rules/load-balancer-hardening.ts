import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { K8S_INGRESS } from "./support/kubernetes";
import { ALB_ANNOTATION, isAlbIngress, LOAD_BALANCER_TYPES } from "./support/load-balancers";
import { productionStack, productionStacksProperty } from "./support/production";
import { asRecord, nonEmptyString } from "./support/values";

const ALB_ATTRIBUTES = `${ALB_ANNOTATION}load-balancer-attributes`;

const schema: PolicyConfigSchema = {
    properties: {
        productionStacks: productionStacksProperty,
        requireDeletionProtectionInProduction: {
            type: "boolean",
            default: true,
            description: "In production stacks, application load balancers have enableDeletionProtection true.",
        },
    },
};

interface Config {
    productionStacks: string[];
    requireDeletionProtectionInProduction: boolean;
}

export const loadBalancerHardening: ResourceValidationPolicy = {
    name: "load-balancer-hardening",
    description:
        "Application load balancers (aws.lb.LoadBalancer, loadBalancerType application, the default) write access logs to S3 " +
        "(accessLogs.enabled true with a bucket), drop invalid HTTP headers (dropInvalidHeaderFields true, against request " +
        "smuggling) and keep HTTP desync mitigation on (desyncMitigationMode not monitor); in productionStacks they also have enableDeletionProtection. ALBs made by the AWS Load Balancer " +
        `Controller from an Ingress get the same through ${ALB_ATTRIBUTES} (access_logs.s3.enabled=true, ` +
        "routing.http.drop_invalid_header_fields.enabled=true).",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const config = configOf<Config>(schema, args);
        const where = describeResource(args.type, args.name);
        if (LOAD_BALANCER_TYPES.includes(args.type)) {
            if ((args.props.loadBalancerType ?? "application") !== "application") return;
            const logs = asRecord(args.props.accessLogs);
            if (logs.enabled !== true || !nonEmptyString(logs.bucket)) {
                reportViolation(`${where}: accessLogs is ${logs.enabled === true ? "enabled without a bucket" : "not enabled"}; required: accessLogs { bucket: <log bucket>, enabled: true }`);
            }
            if (args.props.dropInvalidHeaderFields !== true) {
                reportViolation(`${where}: dropInvalidHeaderFields is ${args.props.dropInvalidHeaderFields ?? "not set (false)"}; required: true`);
            }
            // "monitor" lets requests AWS classifies as ambiguous or severe through (Checkov CKV_AWS_328); the default is "defensive".
            if (String(args.props.desyncMitigationMode ?? "").toLowerCase() === "monitor") {
                reportViolation(`${where}: desyncMitigationMode is monitor, which forwards requests that can smuggle others; required: defensive (the default) or strictest`);
            }
            const stack = productionStack(args.urn, config.productionStacks);
            if (stack && config.requireDeletionProtectionInProduction && args.props.enableDeletionProtection !== true) {
                reportViolation(`${where}: enableDeletionProtection is ${args.props.enableDeletionProtection ?? "not set (false)"} in production stack ${stack}; required: true`);
            }
            return;
        }
        if (K8S_INGRESS.test(args.type) && isAlbIngress(args.props)) {
            const annotations = asRecord(asRecord(args.props.metadata).annotations);
            const attributes = new Map(
                String(annotations[ALB_ATTRIBUTES] ?? "")
                    .split(",")
                    .map((kv) => kv.trim().split("="))
                    .filter((kv) => kv.length === 2)
                    .map(([k, v]) => [k.trim(), v.trim()] as const),
            );
            for (const [key, meaning] of [["access_logs.s3.enabled", "access logs"], ["routing.http.drop_invalid_header_fields.enabled", "invalid-header dropping"]]) {
                if (attributes.get(key) !== "true") {
                    reportViolation(`${where}: the ALB the controller makes has no ${meaning} (${key} is ${attributes.get(key) ?? "not set"}); required: ${ALB_ATTRIBUTES} with ${key}=true`);
                }
            }
        }
    },
};
