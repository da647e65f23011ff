/**
 * Size presets: one key (`size`) picks every service's limits; explicit keys override
 * them, and reservations follow the limits (half) unless set. `size: auto` (the default)
 * takes the largest preset whose whole dev stack fits the Docker engine
 * (components/config/sizing.ts); `npm run bench` and `npm run policy:check -- dev` print
 * what each asks.
 */
export const presetNames = ["default", "small"] as const;
export type Preset = (typeof presetNames)[number];
export const SIZE_AUTO = "auto";
export const sizeNames = [SIZE_AUTO, ...presetNames] as const;
/** What `size: auto` becomes where no Docker engine answers (tests, `npm run policy:check`, a preview in CI, Kubernetes). */
export const PRESET_WITHOUT_ENGINE: Preset = "default";

export interface Size {
    readonly cpu: number;
    readonly memoryMb: number;
}

/** Limits and reservations of one container. */
export interface Sizing extends Size {
    readonly cpuReservation: number;
    readonly memoryReservationMb: number;
}

/** A one-shot step (schema, model pull, collection): small, fixed, and still limited. */
export const STEP_SIZE: Sizing = { cpu: 0.5, memoryMb: 256, cpuReservation: 0.1, memoryReservationMb: 64 };
/** A migration step whose engine is a JVM (Liquibase): more than a shell step. */
export const JVM_STEP_SIZE: Sizing = { cpu: 1, memoryMb: 768, cpuReservation: 0.1, memoryReservationMb: 256 };
/** A backup scheduler: it sleeps, then streams a dump. */
export const BACKUP_SCHEDULER_SIZE: Sizing = { cpu: 0.5, memoryMb: 256, cpuReservation: 0.05, memoryReservationMb: 32 };

/** Reservations follow the limits (half) unless set. */
export function withReservations<S extends Size & { cpuReservation?: number; memoryReservationMb?: number }>(s: S): S & Sizing {
    return { ...s, cpuReservation: s.cpuReservation ?? s.cpu / 2, memoryReservationMb: s.memoryReservationMb ?? Math.floor(s.memoryMb / 2) };
}

/**
 * Per service, per preset. A service added to the config adds its row here. `default`'s whole
 * dev stack (schedulers and steps included) fits a 32 GB machine, `small`'s a 16 GB one.
 */
export const presetSizes: Readonly<Record<string, Readonly<Record<Preset, Size>>>> = {
    sqlserver: { default: { cpu: 2, memoryMb: 4096 }, small: { cpu: 1, memoryMb: 2048 } },
    ollama: { default: { cpu: 4, memoryMb: 8192 }, small: { cpu: 2, memoryMb: 3072 } },
    proxy: { default: { cpu: 0.5, memoryMb: 512 }, small: { cpu: 0.25, memoryMb: 128 } },
    timescale: { default: { cpu: 2, memoryMb: 4096 }, small: { cpu: 1, memoryMb: 1024 } },
    redis: { default: { cpu: 1, memoryMb: 1024 }, small: { cpu: 0.5, memoryMb: 512 } },
    qdrant: { default: { cpu: 2, memoryMb: 3072 }, small: { cpu: 1, memoryMb: 1024 } },
    // Observability (observability.metrics / observability.logs turn each half off).
    prometheus: { default: { cpu: 1, memoryMb: 768 }, small: { cpu: 0.5, memoryMb: 320 } },
    alertmanager: { default: { cpu: 0.25, memoryMb: 128 }, small: { cpu: 0.1, memoryMb: 48 } },
    grafana: { default: { cpu: 0.5, memoryMb: 256 }, small: { cpu: 0.25, memoryMb: 128 } },
    nodeExporter: { default: { cpu: 0.25, memoryMb: 64 }, small: { cpu: 0.1, memoryMb: 32 } },
    cadvisor: { default: { cpu: 0.5, memoryMb: 256 }, small: { cpu: 0.25, memoryMb: 96 } },
    blackboxExporter: { default: { cpu: 0.25, memoryMb: 64 }, small: { cpu: 0.1, memoryMb: 32 } },
    pushgateway: { default: { cpu: 0.1, memoryMb: 64 }, small: { cpu: 0.1, memoryMb: 32 } },
    postgresExporter: { default: { cpu: 0.25, memoryMb: 64 }, small: { cpu: 0.1, memoryMb: 32 } },
    redisExporter: { default: { cpu: 0.25, memoryMb: 64 }, small: { cpu: 0.1, memoryMb: 32 } },
    nginxExporter: { default: { cpu: 0.1, memoryMb: 32 }, small: { cpu: 0.1, memoryMb: 16 } },
    sqlExporter: { default: { cpu: 0.25, memoryMb: 128 }, small: { cpu: 0.1, memoryMb: 48 } },
    elasticsearchExporter: { default: { cpu: 0.25, memoryMb: 64 }, small: { cpu: 0.1, memoryMb: 32 } },
    cloudwatchExporter: { default: { cpu: 0.1, memoryMb: 128 }, small: { cpu: 0.1, memoryMb: 64 } },
    // Elasticsearch below 1024 MB fails the policy pack (service-resource-bounds); its heap is half.
    elasticsearch: { default: { cpu: 2, memoryMb: 2048 }, small: { cpu: 1, memoryMb: 1024 } },
    logstash: { default: { cpu: 1, memoryMb: 1024 }, small: { cpu: 0.5, memoryMb: 512 } },
    kibana: { default: { cpu: 1, memoryMb: 1024 }, small: { cpu: 0.5, memoryMb: 768 } },
    fluentBit: { default: { cpu: 0.5, memoryMb: 256 }, small: { cpu: 0.25, memoryMb: 64 } },
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
