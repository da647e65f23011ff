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

/** Why an image reference is not pinned, or undefined when it is. */
export function unpinnedReason(image: string): string | undefined {
    if (/@sha256:[0-9a-f]{64}$/.test(image)) return undefined;
    const lastSegment = image.slice(image.lastIndexOf("/") + 1);
    const colon = lastSegment.indexOf(":");
    if (colon < 0) return "has no tag (Docker would pull 'latest')";
    const tag = lastSegment.slice(colon + 1);
    if (tag === "" || /^(latest|stable|mainline|edge|nightly)$/i.test(tag) || /-latest$/i.test(tag)) {
        return `uses the floating tag '${tag}'`;
    }
    return undefined;
}
