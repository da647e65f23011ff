import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { EngineFacts, readEngineFacts } from "../platform/docker/engine";
import { engineFitProblems } from "../platform/docker/engine-fit";
import { configKeys, configSchema, configSchemaFor, ParsedConfig, serviceNames, ServiceName } from "./schema";
import { knownDimensions } from "./models";
import { Preset, presetNames } from "./presets";

export const CONFIG_NAMESPACE = "llm-platform";
/**
 * Config namespaces the program may find besides its own: the providers it uses and
 * Pulumi's own. A key in any other namespace is a typo (`llm-platfrom:sqlserver`).
 */
/** Top-level keys holding a plain string; every other key holds an object. */
export const SCALAR_KEYS = ["platform", "size"] as const;
export const KNOWN_NAMESPACES = ["pulumi", "docker", "kubernetes", "aws", "random", "tls"] as const;

type DeepReadonly<T> = T extends (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

type Resolved = Omit<ParsedConfig, ServiceName | "ollama"> & {
    [K in Exclude<ServiceName, "ollama">]: ParsedConfig[K] & { cpuReservation: number; memoryReservationMb: number };
} & {
    ollama: Omit<ParsedConfig["ollama"], "gpu"> & {
        cpuReservation: number;
        memoryReservationMb: number;
        embeddingDimensions: number;
        /** Resolved: `auto` became what the Docker engine offers. */
        gpu: boolean;
    };
    /** The Docker engine the stack deploys to, when one was reachable (docker platform only). */
    engine?: EngineFacts;
};

/** What the machine offers, for the values resolved at deploy time. */
export interface Machine {
    readonly dockerEngine?: EngineFacts;
}

/** The validated, defaulted, frozen configuration of one stack. */
export type PlatformConfig = DeepReadonly<Resolved>;
export type ServiceSizing = PlatformConfig[ServiceName];

/** A configuration problem: stops the program before any resource exists. */
export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: string[]) {
        super(
            `invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was created:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** Validates raw configuration (the `llm-platform` namespace, keys without prefix). */
export function parseConfig(raw: Record<string, unknown>, machine: Machine = {}): PlatformConfig {
    const preset = (presetNames as readonly unknown[]).includes(raw.size) ? (raw.size as Preset) : "default";
    const result = configSchemaFor(preset).safeParse(raw);
    if (!result.success) throw new ConfigError(result.error.issues.map((i) => describeIssue(i, raw)));
    const c = result.data;
    const engine = c.platform === "docker" ? machine.dockerEngine : undefined;
    if (engine) {
        const problems = engineFitProblems(Object.fromEntries(serviceNames.map((n) => [n, c[n]])), engine);
        if (problems.length > 0) throw new ConfigError(problems);
    }
    const withReservations = <S extends { cpu: number; memoryMb: number; cpuReservation?: number; memoryReservationMb?: number }>(s: S) => ({
        ...s,
        cpuReservation: s.cpuReservation ?? s.cpu / 2,
        memoryReservationMb: s.memoryReservationMb ?? Math.floor(s.memoryMb / 2),
    });
    const resolved: Resolved = {
        ...c,
        sqlserver: withReservations(c.sqlserver),
        proxy: withReservations(c.proxy),
        timescale: withReservations(c.timescale),
        redis: withReservations(c.redis),
        qdrant: withReservations(c.qdrant),
        ollama: {
            ...withReservations(c.ollama),
            embeddingDimensions: c.ollama.embeddingDimensions ?? (knownDimensions(c.ollama.embeddingModel) as number),
            gpu: c.ollama.gpu === "auto" ? (engine?.nvidiaRuntime ?? false) : c.ollama.gpu,
        },
        ...(engine ? { engine } : {}),
    };
    return deepFreeze(resolved);
}

/**
 * Reads every key of the `llm-platform` namespace from the stack's configuration and
 * validates it. The only place in the program that reads configuration.
 */
export function loadConfig(
    probeDocker: () => EngineFacts | undefined = readEngineFacts,
    report: (message: string) => void = (m) => pulumi.log.info(m),
): PlatformConfig {
    const raw = rawConfig(pulumi.runtime.allConfig());
    const wantsEngine = (raw.platform ?? "docker") === "docker";
    const dockerEngine = wantsEngine ? probeDocker() : undefined;
    const parsed = parseConfig(raw, { dockerEngine });
    const resolved = machineValuesReport(raw, parsed);
    if (resolved) report(resolved);
    return parsed;
}

/**
 * The `llm-platform` keys of a stack's config (`namespace:key` -> text, as the engine
 * passes them), objects parsed. Keys in a namespace that is neither ours nor a known
 * provider's, unknown top-level keys and unparsable objects stop here.
 */
export function rawConfig(all: Readonly<Record<string, string>>): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const [fullKey, text] of Object.entries(all)) {
        const namespace = fullKey.slice(0, fullKey.indexOf(":"));
        if (namespace !== CONFIG_NAMESPACE && !(KNOWN_NAMESPACES as readonly string[]).includes(namespace)) {
            problems.push(
                `${fullKey}: unknown config namespace "${namespace}"${namespaceSuggestion(namespace)}; ` +
                    `this program reads ${CONFIG_NAMESPACE}:<key> (providers: ${KNOWN_NAMESPACES.join(", ")})`,
            );
            continue;
        }
        if (namespace !== CONFIG_NAMESPACE) continue;
        const key = fullKey.slice(CONFIG_NAMESPACE.length + 1);
        if (!(configKeys as string[]).includes(key)) {
            problems.push(`${fullKey}: unknown key; allowed keys: ${configKeys.join(", ")}`);
            continue;
        }
        raw[key] = (SCALAR_KEYS as readonly string[]).includes(key) ? text : parseJson(fullKey, text, problems);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return raw;
}

/** What was resolved at deploy time, so `pulumi up` shows it. */
function machineValuesReport(raw: Record<string, unknown>, c: PlatformConfig): string | undefined {
    if (c.platform !== "docker") return undefined;
    const asked = (raw.ollama as { gpu?: unknown } | undefined)?.gpu ?? "auto";
    if (asked !== "auto") return undefined;
    const outcome = c.engine
        ? c.engine.nvidiaRuntime
            ? "the Docker engine has the NVIDIA runtime: Ollama runs on the GPU"
            : "the Docker engine has no NVIDIA runtime: Ollama runs on the CPU"
        : "no Docker engine answered `docker info`: Ollama is planned on the CPU";
    return `ollama.gpu = auto: ${outcome} (set llm-platform:ollama.gpu to true or false to decide yourself)`;
}

/** `llm-platfrom` -> ` (did you mean llm-platform?)` when one edit or swap away. */
function namespaceSuggestion(namespace: string): string {
    const close = [CONFIG_NAMESPACE, ...KNOWN_NAMESPACES].find((known) => editDistance(known, namespace) <= 2);
    return close ? ` (did you mean ${close}?)` : "";
}

function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diagonal = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
            diagonal = above;
        }
    }
    return row[b.length];
}

function parseJson(fullKey: string, text: string, problems: string[]): unknown {
    try {
        return JSON.parse(text);
    } catch {
        problems.push(`${fullKey} = ${JSON.stringify(text)}: must be an object (structured config in Pulumi.<stack>.yaml)`);
        return undefined;
    }
}

function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, unknown>): string {
    const path = issue.path.map(String);
    const key = `${CONFIG_NAMESPACE}:${path.join(".")}`;
    if (issue.code === "unrecognized_keys") {
        const allowed = allowedKeysAt(path);
        return issue.keys
            .map((k) => `${key}.${k}: unknown key${suggestion(k, allowed)}; allowed keys: ${allowed.join(", ")}`)
            .join("\n  - ");
    }
    const value = valueAt(raw, path);
    const shown = value === undefined ? "(not set)" : JSON.stringify(value);
    return `${key} = ${shown}: ${allowedText(issue)}`;
}

function allowedText(issue: z.core.$ZodIssue): string {
    switch (issue.code) {
        case "invalid_type":
            return `must be ${typeNames[issue.expected] ?? `a ${issue.expected}`}`;
        case "invalid_value":
            return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
        case "invalid_union":
            // ollama.gpu: "auto" or a boolean.
            return `must be one of ${unionAlternatives(issue).join(", ")}`;
        case "too_small":
            return `must be ${issue.inclusive ? "at least" : "greater than"} ${issue.minimum}`;
        case "too_big":
            return `must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}`;
        default:
            return issue.message;
    }
}

const typeNames: Record<string, string> = {
    int: "a whole number",
    number: "a number (for a fraction on the command line: pulumi config set --path <key> 0.5 --type float)",
    boolean: "true or false",
    string: "a string",
    array: "a list",
    object: "an object",
};

function unionAlternatives(issue: z.core.$ZodIssueInvalidUnion): string[] {
    return issue.errors.flatMap((branch) =>
        branch.map((i) => (i.code === "invalid_value" ? i.values.map((v) => JSON.stringify(v)).join(", ") : i.code === "invalid_type" ? (typeNames[i.expected] ?? i.expected) : i.message)),
    );
}

/** The keys an object of the config accepts at this path, e.g. ["sqlserver"]. */
export function allowedKeysAt(path: string[]): string[] {
    let schema: z.ZodType = configSchema;
    for (const segment of path) {
        schema = unwrap(schema);
        const shape = (schema as z.ZodObject).shape;
        if (!shape || !(segment in shape)) return [];
        schema = shape[segment] as z.ZodType;
    }
    const shape = (unwrap(schema) as z.ZodObject).shape;
    return shape ? Object.keys(shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
    let s = schema;
    while (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) {
        s = s.def.innerType as z.ZodType;
    }
    return s;
}

function suggestion(key: string, allowed: string[]): string {
    const match = allowed.find((a) => a.toLowerCase() === key.toLowerCase());
    return match ? ` (did you mean ${match}?)` : "";
}

function valueAt(raw: unknown, path: string[]): unknown {
    let v: unknown = raw;
    for (const segment of path) {
        if (v === null || typeof v !== "object") return undefined;
        v = (v as Record<string, unknown>)[segment];
    }
    return v;
}

function deepFreeze<T>(value: T): DeepReadonly<T> {
    if (value && typeof value === "object") {
        for (const child of Object.values(value)) deepFreeze(child);
        Object.freeze(value);
    }
    return value as DeepReadonly<T>;
}

export { serviceNames };
