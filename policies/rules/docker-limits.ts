import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource, formatMb } from "./support/describe";
import { DOCKER_CONTAINER, dockerCpuLimit } from "./support/docker";

const schema: PolicyConfigSchema = {
    properties: {
        maxMemoryMb: {
            type: "number",
            minimum: 6,
            default: 1048576,
            description: "Largest believable `memory` in MB (1 TiB): a bigger number is almost always bytes given where Docker expects MB.",
        },
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
    maxMemoryMb: number;
}

// Docker refuses a memory limit below 6 MB.
const DOCKER_MIN_MEMORY_MB = 6;

export const dockerContainerLimits: ResourceValidationPolicy = {
    name: "docker-container-limits",
    description:
        "Every Docker container has a memory limit (`memory`, in MB: at least 6, at most maxMemoryMb so bytes given as MB " +
        "are caught) and a CPU limit (`cpus` as a decimal such as \"0.5\", or `cpuQuota`/`cpuPeriod`), and its memory " +
        "reservation is at most maxReservationPercent (default 100) of the limit. Set `cpu` and `memoryMb` (and " +
        "`memoryReservationMb`) in the service's config.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        if (args.type !== DOCKER_CONTAINER) return;
        const { maxReservationPercent, maxMemoryMb } = configOf<Config>(schema, args);
        const where = describeResource(args.type, args.name);
        const { memory, memoryReservation } = args.props;

        const hasMemory = typeof memory === "number" && memory > 0;
        if (!hasMemory) {
            reportViolation(`${where}: memory limit is ${memory ?? "not set"} (unlimited); required: \`memory\` > 0 MB`);
        } else if (memory > maxMemoryMb) {
            reportViolation(`${where}: memory is ${memory} MB, above maxMemoryMb ${maxMemoryMb}: Docker's \`memory\` is in MB, this looks like bytes (${formatMb(memory / 2 ** 20)}); required: MB`);
        } else if (memory < DOCKER_MIN_MEMORY_MB) {
            reportViolation(`${where}: memory is ${memory} MB, below Docker's minimum of ${DOCKER_MIN_MEMORY_MB} MB; required: \`memory\` in MB, e.g. 512`);
        }
        const cpu = dockerCpuLimit(args.props);
        if (cpu.problem) {
            reportViolation(`${where}: ${cpu.problem}; required: \`cpus\` > 0 as a decimal, e.g. "0.5" (or cpuQuota with cpuPeriod)`);
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
