import { spawnSync } from "child_process";
import { EngineFacts } from "../../machine";

/** Set by `scripts/env.sh` to `docker info --format '{{json .}}'` of the engine DOCKER_HOST names. */
export const DOCKER_INFO_VARIABLE = "LLM_PLATFORM_DOCKER_INFO";

/** The facts in `docker info --format '{{json .}}'` output. */
export function parseDockerInfo(json: string): EngineFacts {
    const info = JSON.parse(json);
    if (typeof info?.NCPU !== "number" || typeof info?.MemTotal !== "number") {
        throw new Error("docker info has no NCPU/MemTotal: is this the output of `docker info --format '{{json .}}'`?");
    }
    return {
        cpus: info.NCPU,
        memoryMb: Math.floor(info.MemTotal / 1024 / 1024),
        swapLimit: info.SwapLimit !== false,
        nvidiaRuntime: Object.keys(info.Runtimes ?? {}).includes("nvidia"),
        serverVersion: String(info.ServerVersion ?? "unknown"),
    };
}

/**
 * The engine's facts: from the variable `npm run up` sets, else from `docker info` (which
 * honours DOCKER_HOST, as the provider does), else undefined (no engine reachable, e.g. a
 * preview in CI).
 */
export function readEngineFacts(env: NodeJS.ProcessEnv = process.env): EngineFacts | undefined {
    const given = env[DOCKER_INFO_VARIABLE];
    if (given) return parseDockerInfo(given);
    const r = spawnSync("docker", ["info", "--format", "{{json .}}"], { encoding: "utf8", timeout: 15_000, env });
    if (r.status !== 0 || !r.stdout) return undefined;
    try {
        return parseDockerInfo(r.stdout);
    } catch {
        return undefined;
    }
}
