/**
 * What a stack would deploy, as files a person (or a real tool) can read: every generated
 * file as its container sees it (Docker uploads; Kubernetes ConfigMap and Secret keys mounted
 * into a pod), every Kubernetes object as a YAML manifest, and every other resource's inputs —
 * from a run of the program under mocks (run-stack.ts), every secret masked.
 *
 * `npm run render` writes `renderStack`'s tree; the tests that check generated files with real
 * binaries (promtool, amtool, redis-server, sh) read them through `uploadsOf` and `mountedFilesOf`,
 * the same extraction.
 */
import { stringify } from "yaml";
import { RegisteredResource, StackRun } from "./run-stack";
import { isRecord } from "../policies/rules/support/values";

/** A file the program generates, where a container finds it. */
export interface GeneratedFile {
    /** Where it lives in the rendered tree's `files/`: the Docker container, or `<namespace>/<kind>-<name>/<container>`. */
    readonly owner: string;
    /** The absolute path inside the container. */
    readonly path: string;
    readonly content: string;
}

const DOCKER_CONTAINER = "docker:index/container:Container";
const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"];

/** Every generated file of the stack: Docker uploads and the files Kubernetes pods mount from ConfigMaps and Secrets. */
export function stackFiles(run: StackRun): GeneratedFile[] {
    const docker = run.ofType(DOCKER_CONTAINER).flatMap((c) => Object.entries(uploadsOf(c)).map(([path, content]) => ({ owner: c.name, path, content })));
    return [...docker, ...kubernetesFiles(run)];
}

/** A Docker container's uploads by path. */
export function uploadsOf(container: RegisteredResource): Record<string, string> {
    return Object.fromEntries(
        ((container.inputs.uploads ?? []) as any[]).map((u) => [u.file, u.content ?? Buffer.from(u.contentBase64 ?? "", "base64").toString("utf8")]),
    );
}

/** The files the pods of a Kubernetes workload (by metadata.name, any kind) mount, by path. */
export function mountedFilesOf(run: StackRun, workload: string): Record<string, string> {
    const files = kubernetesFiles(run).filter((f) => f.workload === workload);
    if (files.length === 0) throw new Error(`workload ${workload} mounts no generated files`);
    return Object.fromEntries(files.map((f) => [f.path, f.content]));
}

const isKubernetesObject = (r: RegisteredResource) => r.custom && r.type.startsWith("kubernetes:") && isRecord(r.inputs.metadata);
const namespaceOf = (r: RegisteredResource): string | undefined => r.inputs.metadata?.namespace;
const kindOf = (r: RegisteredResource) => r.type.slice(r.type.lastIndexOf(":") + 1);

/** A workload's pod spec (a CronJob keeps it one level down). */
function podSpecOf(w: RegisteredResource): any {
    return (w.inputs.spec?.template ?? w.inputs.spec?.jobTemplate?.spec?.template)?.spec ?? {};
}

/** Each file a container of a workload mounts from a ConfigMap or Secret key (subPath, or the whole volume). */
function kubernetesFiles(run: StackRun): (GeneratedFile & { workload: string })[] {
    const objects = run.resources.filter(isKubernetesObject);
    const source = (kind: "ConfigMap" | "Secret", namespace: string | undefined, name: string): Record<string, string> => {
        const found = objects.find((o) => kindOf(o) === kind && o.inputs.metadata.name === name && namespaceOf(o) === namespace);
        if (!found) return {};
        const decoded = Object.fromEntries(Object.entries<string>(found.inputs.data ?? {}).map(([k, v]) => [k, kind === "Secret" ? Buffer.from(v, "base64").toString("utf8") : v]));
        return { ...decoded, ...(found.inputs.stringData ?? {}) };
    };
    const files: (GeneratedFile & { workload: string })[] = [];
    for (const w of objects.filter((o) => WORKLOAD_KINDS.includes(kindOf(o)))) {
        const pod = podSpecOf(w);
        const namespace = namespaceOf(w);
        const workload: string = w.inputs.metadata.name;
        // Each configMap/secret volume: its paths in the volume (items, or every key) -> content.
        const volumes = new Map<string, Map<string, string>>();
        for (const v of pod.volumes ?? []) {
            const ref = v.configMap ? source("ConfigMap", namespace, v.configMap.name) : v.secret ? source("Secret", namespace, v.secret.secretName) : undefined;
            if (!ref) continue;
            const items: { key: string; path: string }[] = v.configMap?.items ?? v.secret?.items ?? Object.keys(ref).map((key) => ({ key, path: key }));
            volumes.set(v.name, new Map(items.filter((i) => ref[i.key] !== undefined).map((i) => [i.path, ref[i.key]])));
        }
        for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
            for (const m of c.volumeMounts ?? []) {
                const volume = volumes.get(m.name);
                if (!volume) continue;
                const owner = `${namespace ?? "_cluster"}/${kindOf(w)}-${workload}/${c.name}`;
                const mounted: [string, string][] =
                    m.subPath !== undefined
                        ? volume.has(m.subPath) ? [[m.mountPath, volume.get(m.subPath)!]] : []
                        : [...volume].map(([p, content]) => [`${m.mountPath.replace(/\/$/, "")}/${p}`, content]);
                for (const [path, content] of mounted) files.push({ owner, workload, path, content });
            }
        }
    }
    return files;
}

/** The mask that replaces a secret in every written file. Plain letters, so masked files stay valid for their tools. */
export const maskFor = (name: string) => `MASKED-${name.replace(/[^A-Za-z0-9._-]+/g, "-")}`;
/** What every value of a Kubernetes Secret becomes in its manifest (`data` holds it base64-encoded). */
export const SECRET_DATA_MASK = "MASKED";

/**
 * Every secret value the stack holds, with its mask: generated passwords and API keys, private
 * keys, the alert receivers' credentials from config. They are the sources: every Pulumi secret
 * of the program is one of them or made from them (a secret file such as redis.conf keeps its
 * text, with the password inside masked). Under mocks Pulumi marks whole lists secret when one
 * element is, so the secret marks themselves cannot tell which string is the secret.
 */
export function stackSecrets(run: StackRun): Map<string, string> {
    const secrets = new Map<string, string>();
    const add = (value: unknown, name: string) => {
        if (typeof value === "string" && value.length >= 4 && !secrets.has(value)) secrets.set(value, maskFor(name));
    };
    for (const r of run.ofType("random:index/randomPassword:RandomPassword")) add(r.state.result, r.name);
    for (const r of run.ofType("random:index/randomString:RandomString")) add(r.state.result, r.name);
    for (const r of run.ofType("tls:index/privateKey:PrivateKey")) {
        for (const key of ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"]) add(r.state[key], `${r.name}-${key}`);
    }
    const receivers = run.config.observability.alertReceivers as Record<string, any>;
    add(receivers.slackWebhookUrl, "observability.alertReceivers.slackWebhookUrl");
    add(receivers.pagerdutyRoutingKey, "observability.alertReceivers.pagerdutyRoutingKey");
    add(receivers.email?.password, "observability.alertReceivers.email.password");
    return secrets;
}

/** Replaces every secret in a string, longest first (a key that contains another is masked whole). */
function masker(secrets: Map<string, string>): (text: string) => string {
    const ordered = [...secrets].sort((a, b) => b[0].length - a[0].length);
    return (text) => ordered.reduce((t, [value, mask]) => (t.includes(value) ? t.split(value).join(mask) : t), text);
}

function deepMap(value: unknown, f: (s: string) => string): any {
    if (typeof value === "string") return f(value);
    if (Array.isArray(value)) return value.map((v) => deepMap(v, f));
    if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepMap(v, f)]));
    return value;
}

/** The rendered tree: path relative to the output folder -> content. */
export interface Rendering {
    readonly files: Map<string, string>;
    readonly counts: { readonly manifests: number; readonly generatedFiles: number; readonly resources: number; readonly secrets: number };
}

const safe = (s: string) => s.replace(/^\/+/, "").replace(/[^A-Za-z0-9._/-]+/g, "_");
const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_");

/** `aws:s3/bucketPolicy:BucketPolicy` -> `aws/s3.BucketPolicy`; `docker:index/container:Container` -> `docker/Container`. */
function typeFolder(type: string): string {
    const [pkg, module = "", kind = ""] = type.split(":");
    const mod = module.split("/")[0];
    return kind ? `${pkg}/${mod === "index" ? "" : `${mod}.`}${kind}` : `${pkg}/${module}`;
}

const yamlDoc = (value: unknown) => stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });

/** A string that holds a JSON document (an IAM or bucket policy), indented so it can be read; still a string. */
function indentJson(text: string): string {
    if (!/^\s*[[{]/.test(text)) return text;
    try {
        return `${JSON.stringify(JSON.parse(text), null, 2)}\n`;
    } catch {
        return text;
    }
}

/**
 * The files `npm run render` writes, secrets masked:
 *   files/<container>/<path>                            Docker: each upload, as the container sees it
 *   files/<namespace>/<kind>-<name>/<container>/<path>  Kubernetes: each file a pod mounts
 *   kubernetes/<namespace>/<kind>-<name>.yaml           every Kubernetes object (cluster-scoped: _cluster/)
 *   resources/<package>/<type>/<name>.yaml              every other resource's inputs (Docker, AWS, TLS, passwords)
 */
export function renderStack(run: StackRun): Rendering {
    const secrets = stackSecrets(run);
    const mask = masker(secrets);
    const files = new Map<string, string>();
    const put = (path: string, content: string) => {
        let unique = path;
        for (let i = 2; files.has(unique); i++) unique = path.replace(/(\.[a-z]+)?$/, `-${i}$1`);
        files.set(unique, content);
    };

    const generated = stackFiles(run);
    for (const f of generated) put(`files/${safe(f.owner)}/${safe(f.path)}`, mask(f.content));

    const objects = run.resources.filter(isKubernetesObject);
    for (const o of objects) {
        let manifest = deepMap(o.inputs, mask);
        if (kindOf(o) === "Secret") {
            const hide = (data: unknown, mask: string) => (isRecord(data) ? Object.fromEntries(Object.keys(data).map((k) => [k, mask])) : data);
            manifest = {
                ...manifest,
                ...(manifest.data ? { data: hide(manifest.data, Buffer.from(SECRET_DATA_MASK).toString("base64")) } : {}),
                ...(manifest.stringData ? { stringData: hide(manifest.stringData, SECRET_DATA_MASK) } : {}),
            };
        }
        put(`kubernetes/${safeName(namespaceOf(o) ?? "_cluster")}/${kindOf(o)}-${safeName(o.inputs.metadata.name ?? o.name)}.yaml`, yamlDoc(manifest));
    }

    const others = run.resources.filter((r) => r.custom && !isKubernetesObject(r));
    for (const r of others) {
        let inputs = r.inputs;
        if (r.type === DOCKER_CONTAINER && Array.isArray(inputs.uploads)) {
            // The content is in files/: the resource names where.
            inputs = { ...inputs, uploads: inputs.uploads.map((u: any) => ({ file: u.file, permissions: u.permissions, rendered: `files/${safe(r.name)}/${safe(u.file)}` })) };
        }
        put(`resources/${typeFolder(r.type)}/${safeName(r.name)}.yaml`, yamlDoc(deepMap(inputs, (s) => indentJson(mask(s)))));
    }
    return { files, counts: { manifests: objects.length, generatedFiles: generated.length, resources: others.length, secrets: secrets.size } };
}
