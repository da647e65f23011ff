import { asArray, asRecord, isRecord } from "./values";

export const DOCKER_CONTAINER = "docker:index/container:Container";
export const DOCKER_REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";

/** Labels the Docker platform puts on every container. */
const SERVICE_LABEL = "llm-platform.service";
const ROLE_LABEL = "llm-platform.role";

/** Docker `labels`: [{label, value}]. */
function dockerLabels(props: Record<string, any>): Map<string, string> {
    const labels = new Map<string, string>();
    for (const entry of asArray(props.labels)) {
        if (isRecord(entry) && typeof entry.label === "string") labels.set(entry.label, String(entry.value ?? ""));
    }
    return labels;
}

/** One label of a container, as written. */
export function dockerLabel(props: Record<string, any>, key: string): string | undefined {
    return dockerLabels(props).get(key);
}

/** The service a container belongs to: its service label, else its logical name. */
export function dockerServiceOf(name: string, props: Record<string, any>): string {
    return dockerLabels(props).get(SERVICE_LABEL) ?? name;
}

/** The container's `llm-platform.role` label as written (service, init, node-agent, ...). */
export function dockerRoleLabel(props: Record<string, any>): string | undefined {
    return dockerLabels(props).get(ROLE_LABEL);
}

/** A one-shot step (`llm-platform.role=init`) or a long-running service. */
export function dockerRoleOf(props: Record<string, any>): "service" | "init" | "job" {
    const role = dockerRoleLabel(props);
    // A backup or task scheduler works for its service but is not it: the service's bounds and settings do not apply.
    return role === "init" ? "init" : role === "backup" || role === "tasks" ? "job" : "service";
}

export interface FileContent {
    readonly path: string;
    readonly content: string;
}

/** Files uploaded into the container (`content` or `contentBase64`). */
export function dockerUploads(props: Record<string, any>): FileContent[] {
    const files: FileContent[] = [];
    for (const upload of asArray(props.uploads)) {
        const u = asRecord(upload);
        if (typeof u.file !== "string") continue;
        if (typeof u.content === "string") files.push({ path: u.file, content: u.content });
        else if (typeof u.contentBase64 === "string") {
            files.push({ path: u.file, content: Buffer.from(u.contentBase64, "base64").toString("utf8") });
        }
    }
    return files;
}

/** Entrypoint and command words. */
export function dockerCommandLine(props: Record<string, any>): string[] {
    return [...asArray(props.entrypoints), ...asArray(props.command)].filter((w): w is string => typeof w === "string");
}

export const DEFAULT_CPU_PERIOD_US = 100_000;

/**
 * The CPU limit Docker applies, in cores: `cpus` (a decimal such as "0.5"), else
 * `cpuQuota` / `cpuPeriod` (microseconds, period 100000 by default). `problem` says why
 * a given value is not a limit Docker accepts.
 */
export function dockerCpuLimit(props: Record<string, any>): { cores?: number; source?: string; problem?: string } {
    const { cpus, cpuQuota, cpuPeriod } = props;
    if (cpus !== undefined && cpus !== "") {
        if (typeof cpus !== "string" || !/^(\d+(\.\d*)?|\.\d+)$/.test(cpus.trim())) {
            return { problem: `cpus is ${JSON.stringify(cpus)}, not a decimal number of cores (Docker's --cpus takes e.g. "0.5", not a Kubernetes quantity such as "500m")` };
        }
        const cores = Number(cpus);
        return cores > 0 ? { cores, source: `cpus "${cpus}"` } : { problem: `CPU limit is ${JSON.stringify(cpus)} (unlimited)` };
    }
    if (typeof cpuQuota === "number" && cpuQuota > 0) {
        const period = typeof cpuPeriod === "number" && cpuPeriod > 0 ? cpuPeriod : DEFAULT_CPU_PERIOD_US;
        return { cores: cpuQuota / period, source: `cpuQuota ${cpuQuota} / cpuPeriod ${period}` };
    }
    return { problem: "CPU limit is not set (unlimited): neither cpus nor cpuQuota" };
}
