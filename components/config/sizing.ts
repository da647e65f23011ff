import { EngineFacts } from "../machine";
import { pulumiCommand } from "./commands";
import { describeMb, dockerFootprint, FootprintConfig, footprintTotals, FootprintTotals, SizedContainer } from "./footprint";
import { Preset, presetNames, SIZE_AUTO } from "./presets";

/**
 * Whether a Docker stack fits its engine. The rule (docs/configuration.md, "Size presets"):
 * - memory: the limits of everything that runs at once (services, node agents, backup
 *   schedulers and the one-shot steps of an `up`) add up to at most the engine's memory.
 *   Each reservation is at most its limit, so the reservations then fit too.
 * - CPU: no container's limit is above the engine's CPU count (Docker refuses to create it).
 *   CPU limits and reservations may add up to more than the engine has: CPU time is shared,
 *   so a busy stack slows down instead of being killed, and the reservations (CPU shares)
 *   decide who gets what under contention.
 */
export interface StackFit {
    readonly totals: FootprintTotals;
    readonly memoryFits: boolean;
    /** Containers whose CPU limit is above the engine's CPU count. */
    readonly aboveEngineCpus: readonly SizedContainer[];
    readonly fits: boolean;
}

export function fitOnEngine(config: FootprintConfig, engine: EngineFacts): StackFit {
    const containers = dockerFootprint(config);
    const totals = footprintTotals(containers);
    const memoryFits = totals.atOnce.memoryMb <= engine.memoryMb && totals.atOnce.memoryReservationMb <= engine.memoryMb;
    const aboveEngineCpus = containers.filter((c) => c.cpu > engine.cpus);
    return { totals, memoryFits, aboveEngineCpus, fits: memoryFits && aboveEngineCpus.length === 0 };
}

/** The presets from the largest down: `auto` takes the first that fits. */
export const PRESETS_LARGEST_FIRST: readonly Preset[] = presetNames;

/** `the Docker engine has 8 CPUs and 15872 MB` */
export function describeEngine(engine: EngineFacts): string {
    return `the Docker engine has ${engine.cpus} CPUs and ${engine.memoryMb} MB`;
}

/** `31584 MB (30.8 GB) of memory limits at once (services 27232, backup schedulers 1280, one-shot steps 3072)` */
export function describeDemand(t: FootprintTotals): string {
    const parts = [`services ${t.services.memoryMb}`, ...(t.backups.containers > 0 ? [`backup schedulers ${t.backups.memoryMb}`] : []), `one-shot steps ${t.steps.memoryMb}`];
    return `${describeMb(t.atOnce.memoryMb)} of memory limits at once (${parts.join(", ")})`;
}

/** Why a stack does not fit, in words: memory, then each container above the CPU count. */
export function whyNotFit(fit: StackFit, engine: EngineFacts): string {
    const reasons: string[] = [];
    if (!fit.memoryFits) reasons.push(`asks for ${describeDemand(fit.totals)}, more than the engine's ${engine.memoryMb} MB`);
    for (const c of fit.aboveEngineCpus) reasons.push(`${c.sizedBy ?? c.name}.cpu is ${c.cpu}, above the engine's ${engine.cpus} CPUs`);
    return reasons.join("; ");
}

export interface Tried {
    readonly preset: Preset;
    readonly fit: StackFit;
}

export interface SizeProblemArgs {
    /** The stack's keys, as the user wrote them: explicit ones are named, the rest is the preset's. */
    readonly raw: Record<string, unknown>;
    /** The presets that were held against the engine, and how they fared. */
    readonly tried: readonly Tried[];
    readonly engine: EngineFacts;
    readonly stack: string | undefined;
    /** What a Docker stack of these keys runs with a preset's sizes (validated by the caller). */
    readonly footprintOf: (raw: Record<string, unknown>, preset: Preset) => FootprintConfig;
}

/**
 * Why the stack does not fit the engine, in the keys to change: a CPU limit set explicitly
 * above the engine's CPU count names its key; anything the preset decides names `size`, with
 * the numbers and the preset (or the smaller stack) that would fit.
 */
export function sizeProblems(a: SizeProblemArgs): string[] {
    const { raw, tried, engine, stack } = a;
    const explicitCpu = (key: string | undefined) => key !== undefined && (raw[key] as { cpu?: unknown } | undefined)?.cpu !== undefined;
    const problems = new Map<string, string>();
    for (const { fit } of tried) {
        for (const c of fit.aboveEngineCpus.filter((x) => explicitCpu(x.sizedBy))) {
            const key = `${c.sizedBy}.cpu`;
            problems.set(
                key,
                `llm-platform:${key} = ${c.cpu}: the Docker engine has ${engine.cpus} CPUs and refuses more; ` +
                    `set it to at most ${engine.cpus} (${pulumiCommand(stack, `config set --path ${key} ${engine.cpus}`)}) or give Docker more CPUs`,
            );
        }
    }
    // Explicit keys alone explain it when some preset fails for nothing else.
    const onlyExplicit = tried.some(({ fit }) => fit.memoryFits && fit.aboveEngineCpus.every((c) => explicitCpu(c.sizedBy)));
    if (onlyExplicit) return [...problems.values()];

    const asked = raw.size ?? SIZE_AUTO;
    const others = PRESETS_LARGEST_FIRST.filter((p) => !tried.some((t) => t.preset === p));
    const fitting = others
        .map((preset) => ({ preset, fit: fitOnEngine(a.footprintOf(raw, preset), engine) }))
        .find((t) => t.fit.fits);
    const reasons = tried.map(({ preset, fit }) => `${tried.length > 1 ? `${preset} ` : ""}${whyNotFit(fit, engine)}`).join("; ");
    const head =
        asked === SIZE_AUTO
            ? `llm-platform:size = auto: no size preset fits: ${describeEngine(engine)}; ${reasons}`
            : `llm-platform:size = ${asked}: the dev stack does not fit: ${describeEngine(engine)}, and it ${reasons}`;
    const remedy = fitting
        ? `Size ${fitting.preset} fits, asking ${describeMb(fitting.fit.totals.atOnce.memoryMb)}: ${pulumiCommand(stack, `config set size ${fitting.preset}`)}, ` +
          `or remove size so that auto picks the largest preset that fits (${pulumiCommand(stack, "config rm size")}); or give Docker more memory`
        : `Give Docker more memory (Docker Desktop: Settings > Resources)${smallerStacks(a)}`;
    problems.set("size", `${head}. ${remedy}`);
    return [...problems.values()];
}

/** `, or run less: with observability.logs false small asks ...`: the smaller stacks of the smallest preset that would fit. */
function smallerStacks({ raw, engine, stack, footprintOf }: SizeProblemArgs): string {
    const smallest = PRESETS_LARGEST_FIRST[PRESETS_LARGEST_FIRST.length - 1];
    const observability = (raw.observability ?? {}) as Record<string, unknown>;
    const variants: { label: string; off: string[] }[] = [
        { label: "observability.logs false", off: ["logs"] },
        { label: "observability.logs and .metrics false", off: ["logs", "metrics"] },
    ];
    const fitting = variants
        .map((v) => {
            const patch = Object.fromEntries(v.off.map((k) => [k, false]));
            return { ...v, fit: fitOnEngine(footprintOf({ ...raw, size: smallest, observability: { ...observability, ...patch } }, smallest), engine) };
        })
        .find((v) => v.fit.memoryFits);
    if (!fitting) return "";
    const commands = [`config set size ${smallest}`, ...fitting.off.map((k) => `config set --path observability.${k} false`)].map((a) => pulumiCommand(stack, a));
    return `, or run less: size ${smallest} with ${fitting.label} asks ${describeMb(fitting.fit.totals.atOnce.memoryMb)} (${commands.join("; ")})`;
}

