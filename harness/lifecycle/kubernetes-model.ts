/**
 * What pulumi-kubernetes and the Kubernetes API do with the stack's objects after the first `up`,
 * modelled from their source. pulumi-kubernetes: the provider at commit 94977969d of
 * github.com/pulumi/pulumi-kubernetes (the newest snapshot that could be read, after v4.32.0;
 * the SDK pinned here is @pulumi/kubernetes 4.34.2, whose own provider source was not at hand),
 * paths under provider/pkg/. Kubernetes: the API's validation and controllers.
 */
import { quantityGi, LiveClaim, SIZED_BY_ANNOTATION } from "../../components/platform/kubernetes/claims";
import { differingPaths, LiveObject, ProviderModel, StateResource, Verdict } from "./model";

const PROVIDER = "pulumi:providers:kubernetes";
const PVC = "kubernetes:core/v1:PersistentVolumeClaim";

/**
 * Fields whose change makes the provider replace the object instead of updating it
 * (provider/diff.go forceNew, plus metadataForceNewProperties: .metadata.name/.namespace).
 * Paths without the leading dot.
 */
const selector = (prefix: string) => [prefix, `${prefix}.matchExpressions`, `${prefix}.matchLabels`];
const FORCE_NEW: Record<string, string[]> = {
    "apps/v1/StatefulSet": ["spec.podManagementPolicy", "spec.revisionHistoryLimit", "spec.serviceName", "spec.volumeClaimTemplates", ...selector("spec.selector")],
    "apps/v1/Deployment": selector("spec.selector"),
    "apps/v1/DaemonSet": selector("spec.selector"),
    "batch/v1/Job": ["spec.completions", "spec.parallelism", "spec.template", ...selector("spec.selector")],
    "core/v1/PersistentVolumeClaim": ["spec.accessModes", "spec.storageClassName", "spec.volumeName", ...selector("spec.selector")],
    "core/v1/Secret": ["type"],
    "core/v1/Service": ["spec.clusterIP"],
    "storage.k8s.io/v1/StorageClass": ["parameters", "provisioner"],
};

/**
 * Fields the API server refuses to change on a live object, which the provider nevertheless plans
 * as an update: the update fails (Kubernetes pkg/apis/<group>/validation, Validate<Kind>Update).
 */
const IMMUTABLE: Record<string, string[]> = {
    "scheduling.k8s.io/v1/PriorityClass": ["value", "preemptionPolicy"],
    "storage.k8s.io/v1/StorageClass": ["reclaimPolicy", "volumeBindingMode"],
};

/** `kubernetes:apps/v1:StatefulSet` -> `apps/v1/StatefulSet`. */
const kindOf = (type: string) => type.replace(/^kubernetes:/, "").replace(":", "/");
const touches = (path: string, field: string) => path === field || path.startsWith(`${field}.`) || field.startsWith(`${path}.`);
const storageGi = (o: { inputs: Record<string, any> }) => quantityGi(o.inputs.spec.resources.requests.storage);

function without(inputs: Record<string, any>, paths: readonly string[]): Record<string, any> {
    const copy = structuredClone(inputs);
    for (const path of paths) {
        const parts = path.split(".");
        const parent = parts.slice(0, -1).reduce<any>((o, k) => o?.[k], copy);
        if (parent && typeof parent === "object") delete parent[parts[parts.length - 1]];
    }
    return copy;
}

/** The cluster a provider's config points at (provider/provider.go getActiveClusterFromConfig): the kubeconfig's current context's server, or the named context. */
function activeCluster(inputs: Record<string, any>): string {
    let server = "";
    try {
        const kubeconfig = JSON.parse(inputs.kubeconfig ?? "{}");
        const context = inputs.context ?? kubeconfig["current-context"];
        const clusterName = kubeconfig.contexts?.find((c: any) => c.name === context)?.context?.cluster;
        server = kubeconfig.clusters?.find((c: any) => c.name === clusterName)?.cluster?.server ?? "";
    } catch {
        // A path, not inline JSON: the context names the cluster.
    }
    return `${server}|${inputs.context ?? ""}|${inputs.cluster ?? ""}`;
}

/** provider/provider.go DiffConfig: a changed provider config replaces the provider (and with it every object) only for these. */
function diffConfig(before: StateResource, after: StateResource): Verdict {
    const changed = differingPaths(before.inputs, after.inputs, "", 1);
    if (changed.length === 0) return { action: "same" };
    if (changed.includes("renderYamlToDirectory")) return { action: "replace", why: "renderYamlToDirectory changed (DiffConfig)" };
    if (activeCluster(before.inputs) !== activeCluster(after.inputs)) return { action: "replace", why: "the active cluster changed (DiffConfig)" };
    return { action: "update", why: `${changed.join(", ")} (DiffConfig: an update)` };
}

/** What the API server refuses when this object is applied over the live one. */
function refusal(kind: string, next: StateResource, live: LiveObject): string | undefined {
    if (kind === "core/v1/PersistentVolumeClaim") {
        if (storageGi(next) < storageGi(live)) {
            return `spec.resources.requests.storage: Forbidden: field can not be less than previous value (${live.inputs.spec.resources.requests.storage})`;
        }
        for (const field of ["spec.accessModes", "spec.storageClassName"]) {
            if (differingPaths(next.inputs.spec, live.inputs.spec, "spec").some((p) => touches(p, field))) return `${field}: Forbidden: spec is immutable after creation`;
        }
    }
    for (const field of IMMUTABLE[kind] ?? []) {
        if (differingPaths(next.inputs, live.inputs).some((p) => touches(p, field))) return `${field}: Invalid value: field is immutable`;
    }
    return undefined;
}

export interface KubernetesModel extends ProviderModel {
    /** The claims of a namespace as `kubectl get pvc` shows them: what the program's size check reads. */
    liveClaims(world: ReadonlyMap<string, LiveObject>, namespace: string): LiveClaim[];
}

export const kubernetesModel: KubernetesModel = {
    name: "kubernetes",
    covers: (type) => type.startsWith("kubernetes:") || type === PROVIDER,

    objectOf(r) {
        if (r.type === PROVIDER) return undefined;
        const m = r.inputs.metadata ?? {};
        return `${kindOf(r.type)}/${m.namespace ?? ""}/${m.name ?? r.name}`;
    },

    diff(before, after, live) {
        if (after.type === PROVIDER) return diffConfig(before, after);
        const kind = kindOf(after.type);
        // Paths under ignoreChanges never reach the diff (provider.go Diff: "Remove any ignored changes").
        const ignored = after.options.ignoreChanges ?? [];
        const changed = differingPaths(without(before.inputs, ignored), without(after.inputs, ignored));
        if (changed.length === 0) return { action: "same" };
        const force = [...(FORCE_NEW[kind] ?? []), "metadata.name", "metadata.namespace", ...(after.options.replaceOnChanges ?? [])];
        const replacing = changed.filter((p) => force.some((f) => touches(p, f)));
        // A named object is deleted before its replacement is created (provider.go Diff: deleteBeforeReplace), so it collides with nothing.
        if (replacing.length > 0) return { action: "replace", why: `${replacing.join(", ")} (diff.go forceNew)` };
        // An update reads the live object first (await/await.go Update: client.Get); one the cluster deleted fails.
        if (live === undefined) return { action: "refused", why: "unable to get cluster state: not found (provider.go Update)" };
        const refused = refusal(kind, after, live);
        if (refused) return { action: "refused", why: refused };
        return { action: "update", why: changed.join(", ") };
    },

    create(r, provider, live) {
        // await/await.go Creation: a server-side apply patch when ServerSideApply (on unless
        // enableServerSideApply is "false", provider.go Configure) and UpsertExistingObjects; else a
        // plain Create, which fails with AlreadyExists.
        const upsert = provider?.inputs.upsertExistingObjects === "true" && provider?.inputs.enableServerSideApply !== "false";
        if (!upsert) return { action: "refused", why: `AlreadyExists: ${live.id} (await.go Creation: a plain Create; upsertExistingObjects is off)` };
        const refused = refusal(kindOf(r.type), r, live);
        if (refused) return { action: "refused", why: refused };
        const forced = r.inputs.metadata?.annotations?.["pulumi.com/patchForce"] === "true";
        return { action: "adopt", why: `server-side apply over the existing object${forced ? ", forcing conflicts (pulumi.com/patchForce)" : ""}` };
    },

    /**
     * The StatefulSet controller creates a claim per template for its pod when none exists
     * (kubernetes pkg/controller/statefulset/stateful_pod_control.go createMissingPersistentVolumeClaims),
     * with the template's size; it never resizes an existing claim.
     */
    created(r, world, now) {
        if (r.type !== "kubernetes:apps/v1:StatefulSet") return [];
        const namespace = r.inputs.metadata.namespace;
        return (r.inputs.spec.volumeClaimTemplates ?? [])
            .map((t: any) => {
                const name = `${t.metadata.name}-${r.inputs.metadata.name}-0`;
                return { id: `core/v1/PersistentVolumeClaim/${namespace}/${name}`, type: PVC, byController: true, since: now, inputs: { metadata: { ...t.metadata, name, namespace }, spec: t.spec } };
            })
            .filter((o: LiveObject) => !world.has(o.id));
    },

    /** The TTL-after-finished controller deletes a finished Job ttlSecondsAfterFinished after it finished (kubernetes pkg/controller/ttlafterfinished); the mocks' Jobs finish at once. */
    expired(world, now) {
        return [...world.values()]
            .filter((o) => o.type === "kubernetes:batch/v1:Job" && o.inputs.spec?.ttlSecondsAfterFinished !== undefined && (now - o.since) * 3600 >= o.inputs.spec.ttlSecondsAfterFinished)
            .map((o) => o.id);
    },

    liveClaims(world, namespace) {
        return [...world.values()]
            .filter((o) => o.type === PVC && o.inputs.metadata.namespace === namespace)
            .map((o) => {
                const sizedBy = o.inputs.metadata.annotations?.[SIZED_BY_ANNOTATION];
                return { name: o.inputs.metadata.name, sizeGi: storageGi(o), ...(sizedBy ? { sizedBy } : {}) };
            });
    },
};
