import type { PolicyResource } from "@pulumi/policy";
import { FileContent } from "./docker";
import { K8S_CONFIG_MAP, K8S_SECRET, PodTemplate } from "./kubernetes";
import { MountedFiles } from "./containers";
import { eachKnown } from "./unknowns";
import { asArray, asRecord, isRecord } from "./values";

interface Volume {
    readonly source: "configMap" | "secret";
    readonly name: string;
    readonly items?: { key: string; path: string }[];
}

/**
 * Files a container sees from the ConfigMaps and Secrets of the stack that it mounts,
 * matched by name and namespace as the kubelet does.
 */
export function mountedFilesFrom(resources: readonly PolicyResource[]): MountedFiles {
    // Data is read only when a container mounts it: an unknown ConfigMap elsewhere must not stop the check.
    const sources = new Map<string, () => Record<string, string>>();
    eachKnown(resources, (r) => {
        if (r.type !== K8S_CONFIG_MAP && r.type !== K8S_SECRET) return;
        const metadata = asRecord(r.props.metadata);
        if (typeof metadata.name !== "string") return;
        const namespace = typeof metadata.namespace === "string" ? metadata.namespace : "default";
        const kind = r.type === K8S_CONFIG_MAP ? "configMap" : "secret";
        sources.set(`${kind}/${namespace}/${metadata.name}`, () => dataOf(r.type, r.props));
    });

    return (template: PodTemplate, container: Record<string, any>): FileContent[] => {
        const volumes = new Map<string, Volume>();
        for (const v of asArray(template.spec.volumes).filter(isRecord)) {
            if (isRecord(v.configMap) && typeof v.configMap.name === "string") {
                volumes.set(v.name, { source: "configMap", name: v.configMap.name, items: asArray(v.configMap.items) });
            } else if (isRecord(v.secret) && typeof v.secret.secretName === "string") {
                volumes.set(v.name, { source: "secret", name: v.secret.secretName, items: asArray(v.secret.items) });
            }
        }
        const files: FileContent[] = [];
        for (const mount of asArray(container.volumeMounts).filter(isRecord)) {
            const volume = volumes.get(mount.name);
            const data = volume && sources.get(`${volume.source}/${template.namespace}/${volume.name}`)?.();
            if (!volume || !data || typeof mount.mountPath !== "string") continue;
            const paths = volume.items && volume.items.length > 0
                ? volume.items.map((i) => [i.key, i.path] as const)
                : Object.keys(data).map((key) => [key, key] as const);
            for (const [key, path] of paths) {
                if (data[key] === undefined) continue;
                if (typeof mount.subPath === "string" && mount.subPath.length > 0) {
                    if (mount.subPath === path) files.push({ path: mount.mountPath, content: data[key] });
                } else {
                    files.push({ path: `${mount.mountPath.replace(/\/$/, "")}/${path}`, content: data[key] });
                }
            }
        }
        return files;
    };
}

/** Text data of a ConfigMap, or of a Secret (base64 `data` decoded, `stringData` as is). */
export function dataOf(type: string, props: Record<string, any>): Record<string, string> {
    const data: Record<string, string> = {};
    for (const [key, value] of Object.entries(asRecord(props.data))) {
        if (typeof value !== "string") continue;
        data[key] = type === K8S_SECRET ? Buffer.from(value, "base64").toString("utf8") : value;
    }
    for (const [key, value] of Object.entries(asRecord(props.stringData))) {
        if (typeof value === "string") data[key] = value;
    }
    return data;
}
