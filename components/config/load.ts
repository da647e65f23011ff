import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { configKeys, configSchema, ParsedConfig, serviceNames, ServiceName } from "./schema";
import { knownDimensions } from "./models";

export const CONFIG_NAMESPACE = "llm-platform";

type DeepReadonly<T> = T extends (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

type Resolved = Omit<ParsedConfig, ServiceName | "ollama"> & {
    [K in Exclude<ServiceName, "ollama">]: ParsedConfig[K] & { cpuReservation: number; memoryReservationMb: number };
} & {
    ollama: ParsedConfig["ollama"] & { cpuReservation: number; memoryReservationMb: number; embeddingDimensions: number };
};

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
export function parseConfig(raw: Record<string, unknown>): PlatformConfig {
    const result = configSchema.safeParse(raw);
    if (!result.success) throw new ConfigError(result.error.issues.map((i) => describeIssue(i, raw)));
    const c = result.data;
    const withReservations = <S extends { cpu: number; memoryMb: number; cpuReservation?: number; memoryReservationMb?: number }>(s: S) => ({
        ...s,
        cpuReservation: s.cpuReservation ?? s.cpu / 2,
        memoryReservationMb: s.memoryReservationMb ?? Math.floor(s.memoryMb / 2),
    });
    const sized = Object.fromEntries(serviceNames.map((name) => [name, withReservations(c[name])])) as {
        [K in ServiceName]: ParsedConfig[K] & { cpuReservation: number; memoryReservationMb: number };
    };
    const resolved: Resolved = {
        ...c,
        ...sized,
        ollama: {
            ...withReservations(c.ollama),
            embeddingDimensions: c.ollama.embeddingDimensions ?? (knownDimensions(c.ollama.embeddingModel) as number),
        },
    };
    return deepFreeze(resolved);
}

/**
 * Reads every key of the `llm-platform` namespace from the stack's configuration and
 * validates it. The only place in the program that reads configuration.
 */
export function loadConfig(): PlatformConfig {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const raw: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
        if (!fullKey.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
        const key = fullKey.slice(CONFIG_NAMESPACE.length + 1);
        if (!(configKeys as string[]).includes(key)) {
            problems.push(`${fullKey}: unknown key; allowed keys: ${configKeys.join(", ")}`);
            continue;
        }
        const text = config.get(key) as string;
        raw[key] = key === "platform" ? text : parseJson(fullKey, text, problems);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return parseConfig(raw);
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
            return `must be a ${issue.expected}`;
        case "invalid_value":
            return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
        case "too_small":
            return `must be ${issue.inclusive ? "at least" : "greater than"} ${issue.minimum}`;
        case "too_big":
            return `must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}`;
        default:
            return issue.message;
    }
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
