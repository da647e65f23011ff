import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { containerViews } from "./support/containers";
import { DOCKER_CONTAINER } from "./support/docker";
import { podTemplateOf } from "./support/kubernetes";
import { parseQuantity } from "./support/quantities";
import { asArray } from "./support/values";

const schema: PolicyConfigSchema = {
    properties: {
        gpuServices: {
            type: "array",
            items: { type: "string" },
            default: [],
            description: "Services that must request a GPU (the offline check sets it from the stack config, e.g. ollama.gpu).",
        },
        gpuLabel: {
            type: "string",
            default: "llm-platform.gpu",
            description:
                "A Docker container or Kubernetes workload labelled <gpuLabel>=required must request a GPU: the program " +
                "sets it on the service whose config enables a GPU, so the rule holds in every preview, not only offline.",
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
    gpuLabel: string;
    gpuResourceName: string;
}

/** Whether the resource carries `<label>=required` (Docker labels, or workload/pod template labels). */
function labelledForGpu(type: string, props: Record<string, any>, label: string): boolean {
    if (type === DOCKER_CONTAINER) return asArray(props.labels).some((l) => l?.label === label && l?.value === "required");
    return podTemplateOf(type, props)?.labels[label] === "required";
}

export const gpuRequested: ResourceValidationPolicy = {
    name: "gpu-requested",
    description:
        "Services listed in gpuServices, and workloads labelled llm-platform.gpu=required, request a GPU: Docker `gpus` (e.g. \"all\", needs the NVIDIA container toolkit) " +
        "or a Kubernetes `resources.limits[\"nvidia.com/gpu\"]` of at least 1 (needs the device plugin).",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const { gpuServices, gpuLabel, gpuResourceName } = configOf<Config>(schema, args);
        const labelled = labelledForGpu(args.type, args.props, gpuLabel);
        for (const view of containerViews(args.type, args.name, args.props)) {
            // A patch that sets no limits keeps the live ones.
            if (view.role !== "service" || view.patch || !(labelled || gpuServices.includes(view.service))) continue;
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
