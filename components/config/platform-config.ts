import { EngineFacts } from "../machine";
import { Preset } from "./presets";
import { ParsedConfig, ServiceName } from "./schema";

/*
 * The type of a validated stack configuration, apart from load.ts (which validates) so the
 * modules load.ts calls can name it without importing load.ts back.
 */

export type DeepReadonly<T> = T extends (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

export type Resolved = Omit<ParsedConfig, ServiceName | "ollama" | "size"> & {
    [K in Exclude<ServiceName, "ollama">]: ParsedConfig[K] & { cpuReservation: number; memoryReservationMb: number };
} & {
    /** Resolved: `auto` became a preset (the largest that fits the Docker engine). */
    size: Preset;
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

/** The validated, defaulted, frozen configuration of one stack. */
export type PlatformConfig = DeepReadonly<Resolved>;
export type ServiceSizing = PlatformConfig[ServiceName];
