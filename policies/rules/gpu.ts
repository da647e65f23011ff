import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { containerViews } from "./support/containers";
import { parseQuantity } from "./support/quantities";

const schema: PolicyConfigSchema = {
    properties: {
        gpuServices: {
            type: "array",
            items: { type: "string" },
            default: [],
            description: "Services that must request a GPU (the offline check sets it from the stack config, e.g. ollama.gpu).",
        },
        gpuResourceName: {
            type: "string",
            default: "nvidia.com/gpu",
            description: "Extended resource a Kubernetes container limits to get a GPU.",
        },
    },
};

interface Config {
    gpuServices: string[];
    gpuResourceName: string;
}

export const gpuRequested: ResourceValidationPolicy = {
    name: "gpu-requested",
    description:
        "Services listed in gpuServices request a GPU: Docker `gpus` (e.g. \"all\", needs the NVIDIA container toolkit) " +
        "or a Kubernetes `resources.limits[\"nvidia.com/gpu\"]` of at least 1 (needs the device plugin).",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const { gpuServices, gpuResourceName } = configOf<Config>(schema, args);
        for (const view of containerViews(args.type, args.name, args.props)) {
            if (view.role !== "service" || !gpuServices.includes(view.service)) continue;
            if (view.platform === "docker") {
                if (!view.gpus.docker || view.gpus.docker.trim() === "") {
                    reportViolation(`${view.where}: service ${view.service} requests no GPU (\`gpus\` is not set); required: gpus "all" (or a device list)`);
                }
                continue;
            }
            const raw = view.gpus.kubernetesLimits?.[gpuResourceName];
            const count = parseQuantity(raw);
            if (count === undefined || count < 1) {
                reportViolation(`${view.where}: service ${view.service} has resources.limits["${gpuResourceName}"] ${raw === undefined ? "not set" : JSON.stringify(raw)}; required: at least 1`);
            }
        }
    },
};
