/**
 * Size presets: one key (`size`) picks every service's limits; explicit keys override
 * them, and reservations follow the limits (half) unless set.
 *
 * `small` fits a 16 GB laptop: its limits add up to at most 12 GB, leaving the rest to
 * the OS and Docker (`npm run policy:check -- dev` prints the totals).
 */
export const presetNames = ["default", "small"] as const;
export type Preset = (typeof presetNames)[number];

export interface Size {
    readonly cpu: number;
    readonly memoryMb: number;
}

/** Per service, per preset. A service added to the config adds its row here. */
export const presetSizes: Readonly<Record<string, Readonly<Record<Preset, Size>>>> = {
    sqlserver: { default: { cpu: 2, memoryMb: 4096 }, small: { cpu: 1, memoryMb: 2048 } },
    ollama: { default: { cpu: 4, memoryMb: 8192 }, small: { cpu: 2, memoryMb: 3072 } },
    proxy: { default: { cpu: 0.5, memoryMb: 512 }, small: { cpu: 0.25, memoryMb: 128 } },
    timescale: { default: { cpu: 2, memoryMb: 4096 }, small: { cpu: 1, memoryMb: 1024 } },
    redis: { default: { cpu: 1, memoryMb: 2048 }, small: { cpu: 0.5, memoryMb: 512 } },
    qdrant: { default: { cpu: 2, memoryMb: 4096 }, small: { cpu: 1, memoryMb: 1024 } },
};

/** Models sized for the preset: `small` serves a 1B chat model that fits its Ollama limit. */
export const presetChatModels: Readonly<Record<Preset, string>> = {
    default: "llama3.2:3b",
    small: "llama3.2:1b",
};

export function presetSize(service: string, preset: Preset): Size {
    const sizes = presetSizes[service];
    if (!sizes) throw new Error(`no preset sizes for service ${service}: add it to components/config/presets.ts`);
    return sizes[preset];
}
