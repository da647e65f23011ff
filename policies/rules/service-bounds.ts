import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { containerViews } from "./support/containers";
import { formatMb } from "./support/describe";

interface Bounds {
    minMemoryMb?: number;
    maxMemoryMb?: number;
    minCpu?: number;
    maxCpu?: number;
}

// SQL Server on Linux refuses to start below 2 GB; Elasticsearch is unusable below 1 GB.
const DEFAULT_BOUNDS: Record<string, Bounds> = { sqlserver: { minMemoryMb: 2048 }, elasticsearch: { minMemoryMb: 1024 } };

const schema: PolicyConfigSchema = {
    properties: {
        services: {
            type: "object",
            description:
                "Per service (Docker label llm-platform.service, Kubernetes label app.kubernetes.io/name): floors and " +
                "ceilings of its container's limits. Entries merge with the defaults service by service (setting ollama keeps " +
                "sqlserver's floor); set a service to {} to drop its default bounds.",
            additionalProperties: {
                type: "object",
                additionalProperties: false,
                properties: {
                    minMemoryMb: { type: "number", minimum: 0 },
                    maxMemoryMb: { type: "number", minimum: 0 },
                    minCpu: { type: "number", minimum: 0 },
                    maxCpu: { type: "number", minimum: 0 },
                },
            },
            default: DEFAULT_BOUNDS,
        },
    },
};

interface Config {
    services: Record<string, Bounds>;
}

export const serviceResourceBounds: ResourceValidationPolicy = {
    name: "service-resource-bounds",
    description:
        "A service's container gets at least (and at most) the memory and CPU configured for that service in `services` " +
        "(defaults: SQL Server at least 2048 MB, Elasticsearch at least 1024 MB). Raise the service's `memoryMb`/`cpu`.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const services = { ...DEFAULT_BOUNDS, ...configOf<Config>(schema, args).services };
        for (const view of containerViews(args.type, args.name, args.props)) {
            const bounds = services[view.service];
            // One-shot steps and sidecars are sized for their own job, not the service's.
            if (!bounds || view.role !== "service") continue;
            const setting = (key: string) => `config services.${view.service}.${key}`;
            if (view.memoryLimitMb !== undefined) {
                if (bounds.minMemoryMb !== undefined && view.memoryLimitMb < bounds.minMemoryMb) {
                    reportViolation(`${view.where}: memory limit is ${formatMb(view.memoryLimitMb)}; service ${view.service} requires at least ${formatMb(bounds.minMemoryMb)} (${setting("minMemoryMb")})`);
                }
                if (bounds.maxMemoryMb !== undefined && view.memoryLimitMb > bounds.maxMemoryMb) {
                    reportViolation(`${view.where}: memory limit is ${formatMb(view.memoryLimitMb)}; service ${view.service} allows at most ${formatMb(bounds.maxMemoryMb)} (${setting("maxMemoryMb")})`);
                }
            }
            if (view.cpuLimit !== undefined) {
                if (bounds.minCpu !== undefined && view.cpuLimit < bounds.minCpu) {
                    reportViolation(`${view.where}: CPU limit is ${view.cpuLimit} cores; service ${view.service} requires at least ${bounds.minCpu} (${setting("minCpu")})`);
                }
                if (bounds.maxCpu !== undefined && view.cpuLimit > bounds.maxCpu) {
                    reportViolation(`${view.where}: CPU limit is ${view.cpuLimit} cores; service ${view.service} allows at most ${bounds.maxCpu} (${setting("maxCpu")})`);
                }
            }
        }
    },
};
