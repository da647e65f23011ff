import { asArray, asRecord, isRecord } from "./values";

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

/** Reads a key of a ConfigMap or Secret of the stack (see mounted-files.ts). */
export type EnvData = (kind: "configMap" | "secret", name: string) => Record<string, string> | undefined;

/**
 * Kubernetes `$(VAR)` references, as the kubelet expands them in env values (to earlier
 * variables) and in `command`/`args` (to the container's whole environment); `$$` is an
 * escaped `$`; a reference to an unknown variable stays as written.
 */
export function expand(value: string, env: ReadonlyMap<string, string>): string {
    return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
        if (name === undefined) return "$";
        return env.get(name) ?? match;
    });
}

/**
 * The environment a Kubernetes container gets, as the kubelet builds it: `envFrom`
 * ConfigMaps and Secrets first (with their prefix), then `env` in order, each value with
 * `$(VAR)` expanded from the variables before it, and `valueFrom` ConfigMap/Secret keys
 * resolved when the stack holds them (`data` given: stack policies).
 */
export function kubernetesEnv(container: Record<string, any>, data?: EnvData): Map<string, string> {
    const result = new Map<string, string>();
    for (const from of asArray(container.envFrom).filter(isRecord)) {
        const ref = isRecord(from.configMapRef) ? (["configMap", from.configMapRef] as const) : isRecord(from.secretRef) ? (["secret", from.secretRef] as const) : undefined;
        const values = ref && typeof ref[1].name === "string" ? data?.(ref[0], ref[1].name) : undefined;
        for (const [key, value] of Object.entries(values ?? {})) result.set(`${typeof from.prefix === "string" ? from.prefix : ""}${key}`, value);
    }
    for (const entry of asArray(container.env)) {
        if (!isRecord(entry) || typeof entry.name !== "string") continue;
        if (typeof entry.value === "string") {
            result.set(entry.name, expand(entry.value, result));
            continue;
        }
        const from = asRecord(entry.valueFrom);
        const ref = isRecord(from.configMapKeyRef) ? (["configMap", from.configMapKeyRef] as const) : isRecord(from.secretKeyRef) ? (["secret", from.secretKeyRef] as const) : undefined;
        const value = ref && typeof ref[1].name === "string" && typeof ref[1].key === "string" ? data?.(ref[0], ref[1].name)?.[ref[1].key] : undefined;
        if (value !== undefined) result.set(entry.name, value);
    }
    return result;
}
