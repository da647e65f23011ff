import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource, formatMb } from "./support/describe";
import { DOCKER_CONTAINER } from "./support/docker";
import { quantityToCores } from "./support/quantities";

const schema: PolicyConfigSchema = {
    properties: {
        maxReservationPercent: {
            type: "number",
            minimum: 1,
            maximum: 100,
            default: 100,
            description: "The memory reservation may be at most this percentage of the memory limit.",
        },
    },
};

interface Config {
    maxReservationPercent: number;
}

export const dockerContainerLimits: ResourceValidationPolicy = {
    name: "docker-container-limits",
    description:
        "Every Docker container has a memory limit (`memory`, MB) and a CPU limit (`cpus`), and its memory " +
        "reservation is not above the limit. Set `cpu` and `memoryMb` (and `memoryReservationMb`) in the service's config.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        if (args.type !== DOCKER_CONTAINER) return;
        const { maxReservationPercent } = configOf<Config>(schema, args);
        const where = describeResource(args.type, args.name);
        const { memory, memoryReservation, cpus } = args.props;

        const hasMemory = typeof memory === "number" && memory > 0;
        if (!hasMemory) {
            reportViolation(`${where}: memory limit is ${memory ?? "not set"} (unlimited); required: \`memory\` > 0 MB`);
        }
        const cores = quantityToCores(cpus);
        if (cores === undefined || cores <= 0) {
            reportViolation(`${where}: CPU limit is ${cpus === undefined ? "not set" : JSON.stringify(cpus)} (unlimited); required: \`cpus\` > 0, e.g. "0.5"`);
        }
        if (hasMemory && typeof memoryReservation === "number") {
            const allowed = (memory * maxReservationPercent) / 100;
            if (memoryReservation > allowed) {
                reportViolation(
                    `${where}: memory reservation is ${formatMb(memoryReservation)}, above ${maxReservationPercent}% of the ` +
                        `${formatMb(memory)} limit; required: at most ${formatMb(allowed)}`,
                );
            }
        }
    },
};
