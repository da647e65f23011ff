import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { EngineFacts, Machine } from "../machine";
import { pulumiCommand } from "./commands";
import { FootprintConfig, footprintConfigOf } from "./footprint";
import { knownDimensions } from "./models";
import { configNotices, Notice } from "./notices";
import { DeepReadonly, PlatformConfig, Resolved, ServiceSizing } from "./platform-config";
import { Preset, PRESET_WITHOUT_ENGINE, SIZE_AUTO, sizeNames, withReservations } from "./presets";
import { configKeys, configSchema, configSchemaFor, ParsedConfig, serviceNames, ServiceName } from "./schema";
import { fitOnEngine, PRESETS_LARGEST_FIRST, sizeProblems, Tried } from "./sizing";

export const CONFIG_NAMESPACE = "llm-platform";
/** Top-level keys holding a plain string; every other key holds an object. */
export const SCALAR_KEYS = ["platform", "size"] as const;
/**
 * Config namespaces the program may find besides its own: the providers it uses and
 * Pulumi's own. A key in any other namespace is a typo (`llm-platfrom:sqlserver`).
 */
export const KNOWN_NAMESPACES = ["pulumi", "docker", "kubernetes", "aws", "random", "tls"] as const;

export type { Machine };

// Defined apart so the modules load.ts calls (notices.ts) can name it without importing load.ts.
export type { PlatformConfig, ServiceSizing };

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

/**
 * Validates raw configuration (the `llm-platform` namespace, keys without prefix) against
 * what the machine offers, given as plain facts. `size: auto` becomes the largest preset
 * whose whole dev stack fits the Docker engine, or `default` where no engine answered (tests,
 * `npm run policy:check`, a preview in CI) and on Kubernetes; an explicit size that does not
 * fit stops here, with the numbers and the preset that would fit.
 */
export function parseConfig(raw: Record<string, unknown>, machine: Machine = {}): PlatformConfig {
    const engine = (raw.platform ?? "docker") === "docker" ? machine.dockerEngine : undefined;
    const asked = (sizeNames as readonly unknown[]).includes(raw.size ?? SIZE_AUTO) ? ((raw.size ?? SIZE_AUTO) as (typeof sizeNames)[number]) : undefined;
    if (!engine || asked !== SIZE_AUTO) {
        // An invalid size is reported by the schema, parsed with the default preset's sizes.
        const preset = asked === undefined || asked === SIZE_AUTO ? PRESET_WITHOUT_ENGINE : asked;
        const c = resolve(raw, preset, engine, machine.stack);
        if (engine) {
            const fit = fitOnEngine(footprintConfigOf(c), engine);
            if (!fit.fits) throw new ConfigError(sizeProblems({ raw, tried: [{ preset, fit }], engine, stack: machine.stack, footprintOf }));
        }
        return deepFreeze(c);
    }
    const tried: Tried[] = [];
    for (const preset of PRESETS_LARGEST_FIRST) {
        const c = resolve(raw, preset, engine, machine.stack);
        const fit = fitOnEngine(footprintConfigOf(c), engine);
        if (fit.fits) return deepFreeze(c);
        tried.push({ preset, fit });
    }
    throw new ConfigError(sizeProblems({ raw, tried, engine, stack: machine.stack, footprintOf }));
}

/** What a Docker stack of this config (with this preset's sizes) runs. */
function footprintOf(raw: Record<string, unknown>, preset: Preset): FootprintConfig {
    return footprintConfigOf(resolve(raw, preset, undefined));
}

/** The config with one preset's sizes: validated, reservations and model dimensions filled, `gpu: auto` resolved. */
function resolve(raw: Record<string, unknown>, preset: Preset, engine: EngineFacts | undefined, stack?: string): Resolved {
    const result = configSchemaFor(preset).safeParse(raw);
    if (!result.success) throw new ConfigError(result.error.issues.map((i) => describeIssue(i, raw, stack)));
    const c = result.data;
    const sized = Object.fromEntries(serviceNames.map((name) => [name, withReservations(c[name])])) as {
        [K in ServiceName]: ParsedConfig[K] & { cpuReservation: number; memoryReservationMb: number };
    };
    return {
        ...c,
        ...sized,
        size: preset,
        ollama: {
            ...withReservations(c.ollama),
            embeddingDimensions: c.ollama.embeddingDimensions ?? (knownDimensions(c.ollama.embeddingModel) as number),
            gpu: c.ollama.gpu === "auto" ? (engine?.nvidiaRuntime ?? false) : c.ollama.gpu,
        },
        ...(engine ? { engine } : {}),
    };
}

/**
 * Reads every key of the `llm-platform` namespace from the stack's configuration and
 * validates it against what the machine offers. The only place in the program that reads
 * configuration. What was decided for this machine (`auto` values) and what the config
 * leaves out (alert receivers) is reported once, through `report`.
 */
export function loadConfig(
    /** What `docker info` says (platform/docker/engine.ts), asked only for a Docker stack. */
    probeDocker: () => EngineFacts | undefined,
    report: (notice: Notice) => void = (n) => (n.level === "warning" ? pulumi.log.warn(n.text) : pulumi.log.info(n.text)),
): PlatformConfig {
    const raw = rawConfig(pulumi.runtime.allConfig());
    const wantsEngine = (raw.platform ?? "docker") === "docker";
    const stack = pulumi.getStack();
    const parsed = parseConfig(raw, { dockerEngine: wantsEngine ? probeDocker() : undefined, stack });
    for (const notice of configNotices(raw, parsed, stack)) report(notice);
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
            problems.push(`${fullKey}: unknown key${suggestion(key, configKeys)}; allowed keys: ${configKeys.join(", ")}`);
            continue;
        }
        raw[key] = (SCALAR_KEYS as readonly string[]).includes(key) ? text : parseJson(fullKey, text, problems);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return raw;
}

/** `llm-platfrom` -> ` (did you mean llm-platform?)` */
function namespaceSuggestion(namespace: string): string {
    return suggestion(namespace, [CONFIG_NAMESPACE, ...KNOWN_NAMESPACES]);
}

/**
 * ` (did you mean memoryMb?)` for a key that differs from an allowed one in case only, or by
 * at most two edits (a third of its length for short keys); the closest one wins.
 */
function suggestion(key: string, allowed: readonly string[]): string {
    const lower = key.toLowerCase();
    const scored = allowed
        .map((a) => ({ a, d: a.toLowerCase() === lower ? 0 : editDistance(a.toLowerCase(), lower) }))
        .filter(({ a, d }) => d <= Math.min(2, Math.floor(Math.max(a.length, key.length) / 3)))
        .sort((x, y) => x.d - y.d);
    return scored.length > 0 ? ` (did you mean ${scored[0].a}?)` : "";
}

/** Edits between two keys: insertions, deletions, substitutions and swaps of neighbours (`tsl` -> `tls` is one). */
function editDistance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.length][b.length];
}

function parseJson(fullKey: string, text: string, problems: string[]): unknown {
    try {
        return JSON.parse(text);
    } catch {
        problems.push(`${fullKey} = ${JSON.stringify(text)}: must be an object (structured config in Pulumi.<stack>.yaml)`);
        return undefined;
    }
}

function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, unknown>, stack: string | undefined): string {
    const path = issue.path.map(String);
    const key = `${CONFIG_NAMESPACE}:${path.join(".")}`;
    if (issue.code === "unrecognized_keys") {
        const allowed = allowedKeysAt(path);
        return issue.keys
            .map((k) => `${CONFIG_NAMESPACE}:${[...path, k].join(".")}: unknown key${suggestion(k, allowed)}; allowed keys: ${allowed.join(", ")}`)
            .join("\n  - ");
    }
    const value = valueAt(raw, path);
    const shown = value === undefined ? "(not set)" : JSON.stringify(value);
    return `${key} = ${shown}: ${allowedText(issue, path, stack)}`;
}

function allowedText(issue: z.core.$ZodIssue, path: string[], stack: string | undefined): string {
    switch (issue.code) {
        case "invalid_type":
            if (issue.expected === "number") {
                // `config set --path` stores 4096 as a number but 0.5 as a string: a fraction needs its type.
                const whole = (unwrap(schemaAt(path) ?? z.never()) as z.ZodNumber).isInt === true;
                return whole
                    ? "must be a whole number"
                    : `must be a number (a fraction on the command line needs its type: ${pulumiCommand(stack, `config set --path ${path.join(".")} 0.5 --type float`)})`;
            }
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
    number: "a number",
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
    const schema = schemaAt(path);
    const shape = schema && (unwrap(schema) as z.ZodObject).shape;
    return shape ? Object.keys(shape) : [];
}

/** The schema of the key at this path (objects and lists' items; a record's entries are not walked). */
export function schemaAt(path: readonly string[]): z.ZodType | undefined {
    let schema: z.ZodType = configSchema;
    for (const segment of path) {
        const inner = unwrap(schema);
        // A list's items (`apps.0.upstream`): every item has the same schema.
        if (inner instanceof z.ZodArray && /^\d+$/.test(segment)) {
            schema = inner.element as z.ZodType;
            continue;
        }
        const shape = (inner as z.ZodObject).shape;
        if (!shape || !(segment in shape)) return undefined;
        schema = shape[segment] as z.ZodType;
    }
    return schema;
}

export function unwrap(schema: z.ZodType): z.ZodType {
    let s = schema;
    while (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) {
        s = s.def.innerType as z.ZodType;
    }
    return s;
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
