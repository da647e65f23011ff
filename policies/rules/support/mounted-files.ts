import type { PolicyResource } from "@pulumi/policy";
import { DOCKER_REMOTE_IMAGE, FileContent } from "./docker";
import { K8S_CONFIG_MAP, K8S_SECRET, PodTemplate } from "./kubernetes";
import type { MountedFiles, StackData, StackLookup } from "./containers";
import { eachKnown, UnknownValueError } from "./unknowns";
import { asArray, asRecord, isRecord } from "./values";

interface Volume {
    readonly source: "configMap" | "secret";
    readonly name: string;
    readonly items?: { key: string; path: string }[];
}

export function stackDataFrom(resources: readonly PolicyResource[]): StackData {
    // Data is read only when a container uses it: an unknown ConfigMap elsewhere must not stop the check.
    const sources = new Map<string, () => Record<string, string>>();
    eachKnown(resources, (r) => {
        if (r.type !== K8S_CONFIG_MAP && r.type !== K8S_SECRET) return;
        const metadata = asRecord(r.props.metadata);
        if (typeof metadata.name !== "string") return;
        const namespace = typeof metadata.namespace === "string" ? metadata.namespace : "default";
        const kind = r.type === K8S_CONFIG_MAP ? "configMap" : "secret";
        sources.set(`${kind}/${namespace}/${metadata.name}`, () => dataOf(r.type, r.props));
    });
    return (kind, namespace, name) => sources.get(`${kind}/${namespace}/${name}`)?.();
}

/** The ConfigMaps and Secrets a pod volume draws on: directly, or through a projected volume. */
function volumeSources(v: Record<string, any>): Volume[] {
    const one = (source: Record<string, any>): Volume | undefined => {
        if (isRecord(source.configMap) && typeof source.configMap.name === "string") {
            return { source: "configMap", name: source.configMap.name, items: asArray(source.configMap.items) };
        }
        if (isRecord(source.secret) && typeof (source.secret.secretName ?? source.secret.name) === "string") {
            return { source: "secret", name: source.secret.secretName ?? source.secret.name, items: asArray(source.secret.items) };
        }
        return undefined;
    };
    if (isRecord(v.projected)) return asArray(v.projected.sources).filter(isRecord).map(one).filter((x): x is Volume => x !== undefined);
    const direct = one(v);
    return direct ? [direct] : [];
}

/**
 * Files a container sees from the ConfigMaps and Secrets of the stack that it mounts
 * (directly or through projected volumes), matched by name and namespace as the kubelet does.
 */
export function mountedFilesFrom(resources: readonly PolicyResource[], data: StackData = stackDataFrom(resources)): MountedFiles {
    return (template: PodTemplate, container: Record<string, any>): FileContent[] => {
        const volumes = new Map<string, Volume[]>();
        for (const v of asArray(template.spec.volumes).filter(isRecord)) volumes.set(v.name, volumeSources(v));
        const files: FileContent[] = [];
        for (const mount of asArray(container.volumeMounts).filter(isRecord)) {
            if (typeof mount.mountPath !== "string") continue;
            for (const volume of volumes.get(mount.name) ?? []) {
                const content = data(volume.source, template.namespace, volume.name);
                if (!content) continue;
                const paths = volume.items && volume.items.length > 0
                    ? volume.items.map((i) => [i.key, i.path] as const)
                    : Object.keys(content).map((key) => [key, key] as const);
                for (const [key, path] of paths) {
                    if (content[key] === undefined) continue;
                    if (typeof mount.subPath === "string" && mount.subPath.length > 0) {
                        if (mount.subPath === path) files.push({ path: mount.mountPath, content: content[key] });
                    } else {
                        files.push({ path: `${mount.mountPath.replace(/\/$/, "")}/${path}`, content: content[key] });
                    }
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

/**
 * The reference a Docker image ID was pulled as: a container refers to its RemoteImage's
 * `imageId` output (`sha256:...`), the RemoteImage names it (`name`).
 */
export function imageReferencesFrom(resources: readonly PolicyResource[]): (imageId: string) => string | undefined {
    let byId: Map<string, string> | undefined;
    return (imageId) => {
        if (!byId) {
            byId = new Map();
            for (const r of resources) {
                if (r.type !== DOCKER_REMOTE_IMAGE) continue;
                try {
                    if (typeof r.props.imageId === "string" && typeof r.props.name === "string") byId.set(r.props.imageId, r.props.name);
                } catch (e) {
                    // An image not pulled yet (preview) names no ID: nothing refers to it yet either.
                    if (!(e instanceof UnknownValueError)) throw e;
                }
            }
        }
        return byId.get(imageId);
    };
}

/** Files, data and image references of the stack, for containerViews in stack policies. */
export function stackLookupFrom(resources: readonly PolicyResource[]): StackLookup {
    const data = stackDataFrom(resources);
    return { data, files: mountedFilesFrom(resources, data), imageReference: imageReferencesFrom(resources) };
}
