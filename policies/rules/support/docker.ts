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

/** The service a container belongs to: its service label, else its logical name. */
export function dockerServiceOf(name: string, props: Record<string, any>): string {
    return dockerLabels(props).get(SERVICE_LABEL) ?? name;
}

/** A one-shot step (`llm-platform.role=init`) or a long-running service. */
export function dockerRoleOf(props: Record<string, any>): "service" | "init" | "job" {
    const role = dockerLabels(props).get(ROLE_LABEL);
    // A backup scheduler works for its service but is not it: the service's bounds and settings do not apply.
    return role === "init" ? "init" : role === "backup" ? "job" : "service";
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
