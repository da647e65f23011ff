import { asArray, isRecord } from "./values";

/** Docker `envs`: ["KEY=value", ...]. */
export function dockerEnv(envs: unknown): Map<string, string> {
    const env = new Map<string, string>();
    for (const entry of asArray(envs)) {
        if (typeof entry !== "string") continue;
        const eq = entry.indexOf("=");
        if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
    return env;
}

/** Kubernetes `env`: [{name, value}]; values from `valueFrom` are not known to a policy. */
export function kubernetesEnv(env: unknown): Map<string, string> {
    const result = new Map<string, string>();
    for (const entry of asArray(env)) {
        if (isRecord(entry) && typeof entry.name === "string" && typeof entry.value === "string") {
            result.set(entry.name, entry.value);
        }
    }
    return result;
}
