import type { PolicyConfigSchema, StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { containerViews } from "./support/containers";
import { describeResource, formatMb } from "./support/describe";
import { HELM_RELEASE, helmBlocks } from "./support/helm-values";
import { stackLookupFrom } from "./support/mounted-files";
import { quantityToCores, quantityToMb } from "./support/quantities";
import { serviceImagesOf, serviceImagesProperty, servicesOfContainer, servicesOfImage } from "./support/service-images";
import { eachKnown } from "./support/unknowns";
import { asRecord } from "./support/values";

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
                "Per service: floors and ceilings of its container's limits. A container is the service its image is " +
                "(serviceImages), or the one its label names (Docker llm-platform.service, Kubernetes app.kubernetes.io/name) " +
                "when it is the workload's main container. Entries merge with the defaults service by service (setting ollama " +
                "keeps sqlserver's floor); set a service to {} to drop its default bounds.",
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
        serviceImages: serviceImagesProperty,
    },
};

interface Config {
    services: Record<string, Bounds>;
    serviceImages: Record<string, string[]>;
}

type Report = (message: string) => void;

function checkBounds(service: string, limits: { memoryMb?: number; cpu?: number }, bounds: Bounds, where: string, report: Report) {
    const setting = (key: string) => `config services.${service}.${key}`;
    if (limits.memoryMb !== undefined) {
        if (bounds.minMemoryMb !== undefined && limits.memoryMb < bounds.minMemoryMb) {
            report(`${where}: memory limit is ${formatMb(limits.memoryMb)}; service ${service} requires at least ${formatMb(bounds.minMemoryMb)} (${setting("minMemoryMb")})`);
        }
        if (bounds.maxMemoryMb !== undefined && limits.memoryMb > bounds.maxMemoryMb) {
            report(`${where}: memory limit is ${formatMb(limits.memoryMb)}; service ${service} allows at most ${formatMb(bounds.maxMemoryMb)} (${setting("maxMemoryMb")})`);
        }
    }
    if (limits.cpu !== undefined) {
        if (bounds.minCpu !== undefined && limits.cpu < bounds.minCpu) {
            report(`${where}: CPU limit is ${limits.cpu} cores; service ${service} requires at least ${bounds.minCpu} (${setting("minCpu")})`);
        }
        if (bounds.maxCpu !== undefined && limits.cpu > bounds.maxCpu) {
            report(`${where}: CPU limit is ${limits.cpu} cores; service ${service} allows at most ${bounds.maxCpu} (${setting("maxCpu")})`);
        }
    }
}

export const serviceResourceBounds: StackValidationPolicy = {
    name: "service-resource-bounds",
    description:
        "A service's container gets at least (and at most) the memory and CPU configured for that service in `services` " +
        "(defaults: SQL Server at least 2048 MB, Elasticsearch at least 1024 MB). A container is held to a service by its " +
        "image (mcr.microsoft.com/mssql/server is SQL Server whatever its labels say; serviceImages), and by its label when " +
        "it is the workload's main container; one-shot steps and jobs are not. A Docker image ID is read through its " +
        "RemoteImage; *Patch resources are judged on the limits they set; a Helm Release on each `resources` its values set " +
        "next to an `image`. Raise the service's `memoryMb`/`cpu`.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateStack: (args, reportViolation) => {
        const config = configOf<Config>(schema, args);
        const services = { ...DEFAULT_BOUNDS, ...config.services };
        const serviceImages = serviceImagesOf(config.serviceImages);
        const stack = stackLookupFrom(args.resources);
        eachKnown(args.resources, (resource) => {
            const report: Report = (message) => reportViolation(message, resource.urn);
            if (HELM_RELEASE.test(resource.type)) {
                for (const block of helmBlocks(resource.props.values)) {
                    if (!block.resources || !block.image) continue;
                    const limits = asRecord(block.resources.limits);
                    for (const service of servicesOfImage(block.image.reference ?? block.image.written, serviceImages)) {
                        const bounds = services[service];
                        const where = `${describeResource(resource.type, resource.name)} ${block.path} (image ${block.image.written})`;
                        if (bounds) checkBounds(service, { memoryMb: quantityToMb(limits.memory), cpu: quantityToCores(limits.cpu) }, bounds, where, report);
                    }
                }
                return;
            }
            eachKnown(containerViews(resource.type, resource.name, resource.props, stack), (view) => {
                for (const service of servicesOfContainer(view, serviceImages)) {
                    const bounds = services[service];
                    if (bounds) checkBounds(service, { memoryMb: view.memoryLimitMb, cpu: view.cpuLimit }, bounds, view.where, report);
                }
            });
        });
    },
};
