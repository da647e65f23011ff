import type { PolicyConfigSchema, StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { ContainerView, containerViews } from "./support/containers";
import { formatMb } from "./support/describe";
import { jvmMaxHeapMb, maxmemoryInArgs, maxmemoryInConf, RedisMaxmemory } from "./support/memory-units";
import { mountedFilesFrom } from "./support/mounted-files";
import { eachKnown } from "./support/unknowns";

const schema: PolicyConfigSchema = {
    properties: {
        maxHeapPercent: { type: "number", minimum: 1, maximum: 100, default: 50, description: "JVM -Xmx at most this % of the memory limit." },
        jvmOptionVariables: {
            type: "array",
            items: { type: "string" },
            default: ["ES_JAVA_OPTS", "LS_JAVA_OPTS", "JAVA_OPTS"],
            description: "Environment variables whose -Xmx is checked.",
        },
        heapRequiredServices: {
            type: "array",
            items: { type: "string" },
            // Logstash's packaged jvm.options fixes the heap at 1 GB whatever the limit; Elasticsearch sizes its own.
            default: ["logstash"],
            description: "Services whose container must set -Xmx in one of jvmOptionVariables.",
        },
        maxSqlServerMemoryPercent: {
            type: "number",
            minimum: 1,
            maximum: 100,
            default: 90,
            description: "MSSQL_MEMORY_LIMIT_MB at most this % of the memory limit (the rest is headroom for the OS and SQL Server's own threads).",
        },
        maxRedisMemoryPercent: {
            type: "number",
            minimum: 1,
            maximum: 100,
            default: 100,
            description: "Redis maxmemory strictly below this % of the memory limit.",
        },
        redisServices: {
            type: "array",
            items: { type: "string" },
            default: ["redis"],
            description: "Services whose container must set maxmemory (redis.conf upload or mount, or --maxmemory).",
        },
    },
};

interface Config {
    maxHeapPercent: number;
    jvmOptionVariables: string[];
    heapRequiredServices: string[];
    maxSqlServerMemoryPercent: number;
    maxRedisMemoryPercent: number;
    redisServices: string[];
}

type Report = (message: string) => void;

export const memorySettingsFitLimits: StackValidationPolicy = {
    name: "memory-settings-fit-limits",
    description:
        "Memory settings fit inside the container's memory limit: JVM -Xmx (ES_JAVA_OPTS, LS_JAVA_OPTS) at most 50%, " +
        "MSSQL_MEMORY_LIMIT_MB at most 90%, Redis maxmemory below it (set, for redis). Derive them from the limit " +
        "instead of typing them.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateStack: (args, reportViolation) => {
        const config = configOf<Config>(schema, args);
        const mounted = mountedFilesFrom(args.resources);
        eachKnown(args.resources, (resource) => {
            eachKnown(containerViews(resource.type, resource.name, resource.props, mounted), (view) => {
                const report: Report = (message) => reportViolation(`${view.where}: ${message}`, resource.urn);
                eachKnown([checkJvmHeap, checkSqlServerMemory, checkRedisMaxmemory], (check) => check(view, config, report));
            });
        });
    },
};

function limitText(view: ContainerView): string {
    return view.memoryLimitMb === undefined ? "no memory limit" : `the ${formatMb(view.memoryLimitMb)} memory limit`;
}

function checkJvmHeap(view: ContainerView, config: Config, report: Report) {
    let heapSet = false;
    for (const variable of config.jvmOptionVariables) {
        const options = view.env.get(variable);
        const heap = options === undefined ? undefined : jvmMaxHeapMb(options);
        if (heap === undefined) continue;
        heapSet = true;
        if (view.memoryLimitMb === undefined) {
            report(`${variable} sets -Xmx ${formatMb(heap)} but the container has no memory limit; required: a limit of at least ${formatMb((heap * 100) / config.maxHeapPercent)}`);
            continue;
        }
        const allowed = (view.memoryLimitMb * config.maxHeapPercent) / 100;
        if (heap > allowed) {
            report(`${variable} sets -Xmx ${formatMb(heap)}, above ${config.maxHeapPercent}% of ${limitText(view)}; required: at most ${formatMb(allowed)}`);
        }
    }
    if (!heapSet && view.role === "service" && config.heapRequiredServices.includes(view.service)) {
        report(`service ${view.service} sets no -Xmx in ${config.jvmOptionVariables.join("/")}; required: a heap of at most ${config.maxHeapPercent}% of ${limitText(view)}`);
    }
}

function checkSqlServerMemory(view: ContainerView, config: Config, report: Report) {
    const raw = view.env.get("MSSQL_MEMORY_LIMIT_MB");
    if (raw === undefined) return;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) {
        report(`MSSQL_MEMORY_LIMIT_MB is ${JSON.stringify(raw)}; required: a positive number of MB`);
        return;
    }
    if (view.memoryLimitMb === undefined) {
        report(`MSSQL_MEMORY_LIMIT_MB is ${value} but the container has no memory limit; required: a limit it fits in`);
        return;
    }
    const allowed = (view.memoryLimitMb * config.maxSqlServerMemoryPercent) / 100;
    if (value > allowed) {
        report(`MSSQL_MEMORY_LIMIT_MB is ${formatMb(value)}, above ${config.maxSqlServerMemoryPercent}% of ${limitText(view)}; required: at most ${formatMb(Math.floor(allowed))}`);
    }
}

function redisMaxmemoryOf(view: ContainerView): RedisMaxmemory | undefined {
    // A command-line --maxmemory overrides the config file.
    const fromArgs = maxmemoryInArgs(view.commandLine);
    if (fromArgs) return fromArgs;
    for (const file of view.files) {
        const found = maxmemoryInConf(file.content);
        if (found) return found;
    }
    return undefined;
}

function checkRedisMaxmemory(view: ContainerView, config: Config, report: Report) {
    const maxmemory = redisMaxmemoryOf(view);
    const required = view.role === "service" && config.redisServices.includes(view.service);
    if (!maxmemory) {
        if (required) report(`service ${view.service} sets no maxmemory; required: maxmemory below ${config.maxRedisMemoryPercent}% of ${limitText(view)}`);
        return;
    }
    if (maxmemory.mb === undefined || (maxmemory.mb === 0 && required)) {
        report(`maxmemory is ${maxmemory.raw}${maxmemory.mb === 0 ? " (no limit)" : ", not a size"}; required: a size below ${config.maxRedisMemoryPercent}% of ${limitText(view)}`);
        return;
    }
    if (view.memoryLimitMb === undefined) {
        report(`maxmemory is ${maxmemory.raw} but the container has no memory limit; required: a limit above it`);
        return;
    }
    const bound = (view.memoryLimitMb * config.maxRedisMemoryPercent) / 100;
    if (maxmemory.mb >= bound) {
        report(`maxmemory is ${maxmemory.raw} (${formatMb(maxmemory.mb)}), not below ${config.maxRedisMemoryPercent}% of ${limitText(view)}; required: less than ${formatMb(bound)}`);
    }
}
