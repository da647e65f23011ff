/**
 * What the machine a stack deploys to offers, as plain facts. The Docker platform reads them
 * (platform/docker/engine.ts: `docker info`); config validation takes them as inputs, so it
 * can resolve `size: auto` and `ollama.gpu: auto` and check that the stack fits, without
 * asking anything itself.
 */
export interface EngineFacts {
    readonly cpus: number;
    readonly memoryMb: number;
    /** The kernel can limit swap (cgroup swap accounting); without it Docker stores MemorySwap as -1. */
    readonly swapLimit: boolean;
    /** The NVIDIA container runtime is registered, so `--gpus all` works. */
    readonly nvidiaRuntime: boolean;
    readonly serverVersion: string;
}

/** What config validation knows besides the stack's keys. */
export interface Machine {
    /** The Docker engine the stack deploys to, when one answered (docker platform only). */
    readonly dockerEngine?: EngineFacts;
    /** The stack's name, for the commands messages suggest. */
    readonly stack?: string;
}
