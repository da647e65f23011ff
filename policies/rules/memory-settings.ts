import type { PolicyConfigSchema, StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { ContainerView, containerViews } from "./support/containers";
import { formatMb } from "./support/describe";
import { jvmHeapSetting, maxmemoryInArgs, maxmemoryInConf, mssqlConfMemoryLimit, RedisMaxmemory } from "./support/memory-units";
import { stackLookupFrom } from "./support/mounted-files";
import { serviceImagesOf, serviceImagesProperty, servicesOfContainer } from "./support/service-images";
import { eachKnown } from "./support/unknowns";

const schema: PolicyConfigSchema = {
    properties: {
        maxHeapPercent: { type: "number", minimum: 1, maximum: 100, default: 50, description: "JVM -Xmx at most this % of the memory limit." },
        jvmOptionVariables: {
            type: "array",
            items: { type: "string" },
            default: ["ES_JAVA_OPTS", "LS_JAVA_OPTS", "JAVA_OPTS", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS"],
            description: "Environment variables whose -Xmx or -XX:MaxRAMPercentage is checked (the command line and jvm.options files are too).",
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
        serviceImages: serviceImagesProperty,
    },
};

interface Config {
    maxHeapPercent: number;
    jvmOptionVariables: string[];
    heapRequiredServices: string[];
    maxSqlServerMemoryPercent: number;
    maxRedisMemoryPercent: number;
    redisServices: string[];
    serviceImages: Record<string, string[]>;
}

/** Which of these services the container is (by its image, or by its label as the workload's main container), if any. */
function oneOf(view: ContainerView, services: readonly string[], config: Config): string | undefined {
    return view.patch ? undefined : servicesOfContainer(view, serviceImagesOf(config.serviceImages)).find((s) => services.includes(s));
}

type Report = (message: string) => void;

export const memorySettingsFitLimits: StackValidationPolicy = {
    name: "memory-settings-fit-limits",
    description:
        "Memory settings fit inside the container's memory limit: the JVM heap (-Xmx or -XX:MaxRAMPercentage in " +
        "jvmOptionVariables, jvm.options files or the command line) at most maxHeapPercent (default 50), SQL Server's " +
        "MSSQL_MEMORY_LIMIT_MB or mssql.conf memorylimitmb at most maxSqlServerMemoryPercent (default 90), Redis maxmemory " +
        "below maxRedisMemoryPercent (default 100; required for redisServices). A container is one of heapRequiredServices " +
        "or redisServices by its image (serviceImages: Logstash, Redis/Valkey) or by its label as the workload's main " +
        "container. Values are read through envFrom, ConfigMap/Secret key references, $(VAR) expansion (in env, command " +
        "and args) and mounted (also projected) files; a *Patch is judged when it sets the memory limit. Derive them from the limit.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateStack: (args, reportViolation) => {
        const config = configOf<Config>(schema, args);
        const stack = stackLookupFrom(args.resources);
        eachKnown(args.resources, (resource) => {
            eachKnown(containerViews(resource.type, resource.name, resource.props, stack), (view) => {
                // A patch that sets no memory limit keeps the live one, which the settings cannot be compared with.
                if (view.patch && view.memoryLimitMb === undefined) return;
                const report: Report = (message) => reportViolation(`${view.where}: ${message}`, resource.urn);
                eachKnown([checkJvmHeap, checkSqlServerMemory, checkRedisMaxmemory], (check) => check(view, config, report));
            });
        });
    },
};

function limitText(view: ContainerView): string {
    return view.memoryLimitMb === undefined ? "no memory limit" : `the ${formatMb(view.memoryLimitMb)} memory limit`;
}

/** Where a container's JVM options come from: the configured variables, jvm.options files, its command line. */
function jvmOptionSources(view: ContainerView, config: Config): { source: string; options: string }[] {
    const sources = config.jvmOptionVariables.flatMap((variable) => {
        const options = view.env.get(variable);
        return options === undefined ? [] : [{ source: variable, options }];
    });
    for (const file of view.files) {
        if (/(^|\/)jvm\.options(\.d\/[^/]+\.options)?$/.test(file.path)) {
            sources.push({ source: file.path, options: file.content.split("\n").filter((l) => !l.trim().startsWith("#")).join(" ") });
        }
    }
    if (view.commandLine.length > 0) sources.push({ source: "the command line", options: view.commandLine.join(" ") });
    return sources;
}

function checkJvmHeap(view: ContainerView, config: Config, report: Report) {
    let heapSet = false;
    for (const { source, options } of jvmOptionSources(view, config)) {
        const heap = jvmHeapSetting(options);
        if (heap === undefined) continue;
        heapSet = true;
        if ("percent" in heap) {
            if (view.memoryLimitMb === undefined) {
                report(`${source} sets -XX:MaxRAMPercentage=${heap.percent} but the container has no memory limit, so the heap follows the host's memory; required: a memory limit`);
            } else if (heap.percent > config.maxHeapPercent) {
                report(`${source} sets -XX:MaxRAMPercentage=${heap.percent}, a heap of ${formatMb((view.memoryLimitMb * heap.percent) / 100)}, above ${config.maxHeapPercent}% of ${limitText(view)}; required: at most ${config.maxHeapPercent}`);
            }
            continue;
        }
        if (view.memoryLimitMb === undefined) {
            report(`${source} sets -Xmx ${formatMb(heap.mb)} but the container has no memory limit; required: a limit of at least ${formatMb((heap.mb * 100) / config.maxHeapPercent)}`);
            continue;
        }
        const allowed = (view.memoryLimitMb * config.maxHeapPercent) / 100;
        if (heap.mb > allowed) {
            report(`${source} sets -Xmx ${formatMb(heap.mb)}, above ${config.maxHeapPercent}% of ${limitText(view)}; required: at most ${formatMb(allowed)}`);
        }
    }
    const heapRequired = heapSet ? undefined : oneOf(view, config.heapRequiredServices, config);
    if (heapRequired) {
        report(`service ${heapRequired} sets no -Xmx in ${config.jvmOptionVariables.join("/")}, a jvm.options file or its command line; required: a heap of at most ${config.maxHeapPercent}% of ${limitText(view)}`);
    }
}

/** SQL Server's memory cap: MSSQL_MEMORY_LIMIT_MB, and memorylimitmb in an mssql.conf it is given. */
function checkSqlServerMemory(view: ContainerView, config: Config, report: Report) {
    const settings: { source: string; raw: string }[] = [];
    const fromEnv = view.env.get("MSSQL_MEMORY_LIMIT_MB");
    if (fromEnv !== undefined) settings.push({ source: "MSSQL_MEMORY_LIMIT_MB", raw: fromEnv });
    for (const file of view.files) {
        const raw = /(^|\/)mssql\.conf$/.test(file.path) ? mssqlConfMemoryLimit(file.content) : undefined;
        if (raw !== undefined) settings.push({ source: `memorylimitmb in ${file.path}`, raw });
    }
    for (const { source, raw } of settings) {
        const value = Number(raw);
        if (!Number.isFinite(value) || value <= 0) {
            report(`${source} is ${JSON.stringify(raw)}; required: a positive number of MB`);
            continue;
        }
        if (view.memoryLimitMb === undefined) {
            report(`${source} is ${value} but the container has no memory limit; required: a limit it fits in`);
            continue;
        }
        const allowed = (view.memoryLimitMb * config.maxSqlServerMemoryPercent) / 100;
        if (value > allowed) {
            report(`${source} is ${formatMb(value)}, above ${config.maxSqlServerMemoryPercent}% of ${limitText(view)}; required: at most ${formatMb(Math.floor(allowed))}`);
        }
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
    const redis = oneOf(view, config.redisServices, config);
    const required = redis !== undefined;
    if (!maxmemory) {
        if (required) report(`service ${redis} sets no maxmemory; required: maxmemory below ${config.maxRedisMemoryPercent}% of ${limitText(view)}`);
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
