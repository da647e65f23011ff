import { unpinnedReason as pinningProblem } from "../../policies/rules/support/image-reference";

/**
 * Default images, each pinned to an exact tag. Every service's `image` config key
 * overrides its entry; the override must be pinned too (see `pinnedImage`).
 */
export const defaultImages = {
    sqlserver: "mcr.microsoft.com/mssql/server:2025-CU9-ubuntu-22.04",
    ollama: "ollama/ollama:0.40.2",
    proxy: "nginx:1.30.5-alpine",
    timescale: "timescale/timescaledb:2.30.2-pg17",
    redis: "valkey/valkey:8.1.7-alpine",
    qdrant: "qdrant/qdrant:v1.19.2",
    /** Runs the one-shot HTTP steps (Qdrant collection). */
    curl: "curlimages/curl:8.22.0",
} as const;

/**
 * Why an image reference is not pinned, or undefined when it is: the policy pack's
 * definition (exact version tag or digest), so config and the pack agree word for word.
 */
export function unpinnedReason(image: string): string | undefined {
    return pinningProblem(image);
}
