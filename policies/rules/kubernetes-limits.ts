import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { HELM_RELEASE, helmBlocks } from "./support/helm-values";
import { describeContainer, podContainers, podTemplateOf } from "./support/kubernetes";
import { parseQuantity } from "./support/quantities";
import { asRecord } from "./support/values";

const schema: PolicyConfigSchema = {
    properties: {
        requiredResources: {
            type: "array",
            items: { type: "string" },
            default: ["cpu", "memory"],
            description: "Resources every container and init container must request and limit.",
        },
        maxRequestPercent: {
            type: "number",
            minimum: 1,
            maximum: 100,
            default: 100,
            description: "A request may be at most this percentage of its limit.",
        },
    },
};

interface Config {
    requiredResources: string[];
    maxRequestPercent: number;
}

export const kubernetesContainerResources: ResourceValidationPolicy = {
    name: "kubernetes-container-resources",
    description:
        "Every container and init container of a Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, " +
        "ReplicaSet, Job, CronJob) sets `resources.requests` and `resources.limits` for cpu and memory, with " +
        "each request at most maxRequestPercent (default 100) of its limit. Memory below 1 MiB (\"512m\" is 0.512 bytes) is a typo and fails. " +
        "*Patch resources are judged on the resources they set; a Helm Release on every `resources` object of its values.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const config = configOf<Config>(schema, args);
        const workload = describeResource(args.type, args.name);
        if (HELM_RELEASE.test(args.type)) {
            for (const block of helmBlocks(args.props.values)) {
                if (block.resources) checkResources(block.resources, `${workload} ${block.path}.resources`, "", false, config, reportViolation);
            }
            return;
        }
        const template = podTemplateOf(args.type, args.props, { patches: true });
        if (!template) return;
        for (const c of podContainers(template.spec)) {
            // A patch that sets no resources keeps the live ones.
            if (template.patch && c.container.resources === undefined) continue;
            checkResources(asRecord(c.container.resources), `${workload} ${describeContainer(c)}`, "resources.", template.patch, config, reportViolation);
        }
    },
};

/** `prefix` names the fields in messages ("resources." for a container); a patch's absent quantities are left as they are. */
function checkResources(resources: Record<string, any>, where: string, prefix: string, patch: boolean, config: Config, reportViolation: (m: string) => void) {
    const { requiredResources, maxRequestPercent } = config;
    const requests = asRecord(resources.requests);
    const limits = asRecord(resources.limits);
    const quantity = (value: unknown, field: string) => (patch && value === undefined ? undefined : quantityOrReport(value, field, where, reportViolation));
    for (const resource of requiredResources) {
        const request = quantity(requests[resource], `${prefix}requests.${resource}`);
        const limit = quantity(limits[resource], `${prefix}limits.${resource}`);
        if (resource === "memory") {
            if (memoryImplausible(requests.memory, `${prefix}requests.memory`, where, reportViolation) || memoryImplausible(limits.memory, `${prefix}limits.memory`, where, reportViolation)) continue;
        }
        if (request === undefined || limit === undefined) continue;
        if (request > (limit * maxRequestPercent) / 100) {
            const bound = maxRequestPercent === 100 ? "its limit" : `${maxRequestPercent}% of its limit`;
            reportViolation(
                `${where}: ${prefix}requests.${resource} is ${requests[resource]}, above ${bound} ` +
                    `(${prefix}limits.${resource} ${limits[resource]}); required: request <= ${bound}`,
            );
        }
    }
}

function quantityOrReport(value: unknown, field: string, where: string, reportViolation: (m: string) => void): number | undefined {
    if (value === undefined) {
        reportViolation(`${where}: ${field} is not set; required: a quantity such as "500m" (cpu) or "512Mi" (memory)`);
        return undefined;
    }
    const quantity = parseQuantity(value);
    if (quantity === undefined || quantity <= 0) {
        reportViolation(`${where}: ${field} is ${JSON.stringify(value)}, not a positive quantity; required: e.g. "500m" or "512Mi"`);
        return undefined;
    }
    return quantity;
}

/**
 * A memory quantity under 1 MiB is a typo Kubernetes accepts: "512m" is 0.512 bytes
 * (m is milli), "512" is 512 bytes. The container could not even start.
 */
function memoryImplausible(value: unknown, field: string, where: string, reportViolation: (m: string) => void): boolean {
    const bytes = parseQuantity(value);
    if (bytes === undefined || bytes <= 0 || bytes >= 2 ** 20) return false;
    const hint = typeof value === "string" && /m$/.test(value) ? ` ("m" is milli: ${bytes} bytes)` : ` (${bytes} bytes)`;
    reportViolation(`${where}: ${field} is ${JSON.stringify(value)}${hint}; required: a size such as "${typeof value === "string" ? value.replace(/m$/, "") : value}Mi"`);
    return true;
}
