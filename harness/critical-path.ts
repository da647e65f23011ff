/**
 * How long a cold `pulumi up` of a Docker stack waits, under a weighted model: the resource
 * graph (explicit dependsOn, and an input that names another resource's image, volume or
 * network) with a cost per resource, and its longest path. The engine runs everything whose
 * dependencies are done in parallel, so this path is what the deploy waits for at least.
 *
 * The model (seconds; estimates, the same for every stack, so paths compare):
 *   - an image pull: PULL_SECONDS, every image in parallel;
 *   - a long-running container: until Docker first reports it healthy, its health check's start
 *     period plus one interval (the provider's create waits for healthy: `wait: true`);
 *   - a one-shot step: STEP_SECONDS, or DOWNLOAD_SECONDS when it pulls a model;
 *   - networks and volumes: 0.
 * Figures go to `npm run bench`; tests assert which chain is critical, not how long it is.
 */
import { RegisteredResource, StackRun } from "./run-stack";

export const PULL_SECONDS = 20;
export const STEP_SECONDS = 10;
export const DOWNLOAD_SECONDS = 30;

const CONTAINER = "docker:index/container:Container";
const IMAGE = "docker:index/remoteImage:RemoteImage";
const VOLUME = "docker:index/volume:Volume";
const NETWORK = "docker:index/network:Network";

const key = (r: RegisteredResource) => `${r.type}::${r.name}`;
const label = (r: RegisteredResource, name: string) => r.inputs.labels?.find((l: any) => l.label === name)?.value;
const seconds = (duration: string) => {
    const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration);
    return m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : 0;
};

/** The cost of one resource under the model. */
export function weight(r: RegisteredResource): number {
    switch (r.type) {
        case IMAGE:
            return PULL_SECONDS;
        case CONTAINER: {
            if (r.inputs.attach) return label(r, "llm-platform.step")?.startsWith("pull-") ? DOWNLOAD_SECONDS : STEP_SECONDS;
            const h = r.inputs.healthcheck;
            return h ? seconds(h.startPeriod) + seconds(h.interval) : 0;
        }
        default:
            return 0;
    }
}

/** Each custom resource's dependencies: dependsOn, and the images, volumes and networks its inputs name. */
export function dependencies(run: StackRun): Map<string, Set<string>> {
    const custom = run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    const byValue = new Map<string, string>();
    for (const r of custom) {
        if (r.type === IMAGE) byValue.set(r.state.imageId, key(r));
        if (r.type === VOLUME || r.type === NETWORK) byValue.set(r.inputs.name, key(r));
    }
    const graph = new Map<string, Set<string>>();
    for (const r of custom) {
        const deps = new Set(r.options.dependsOn.filter((d) => d !== key(r)));
        if (r.type === CONTAINER) {
            const named = [r.inputs.image, ...(r.inputs.volumes ?? []).map((v: any) => v.volumeName), ...(r.inputs.networksAdvanced ?? []).map((n: any) => n.name)];
            for (const value of named) {
                const found = byValue.get(value);
                if (found) deps.add(found);
            }
        }
        graph.set(key(r), deps);
    }
    return graph;
}

export interface CriticalPath {
    /** `type::name` from the first resource to the last. */
    readonly path: string[];
    readonly seconds: number;
}

/** The longest path through the graph under the model, and each resource's earliest finish. */
export function criticalPath(run: StackRun): CriticalPath & { finish: Map<string, number> } {
    const graph = dependencies(run);
    const weights = new Map(run.resources.map((r) => [key(r), weight(r)]));
    const finish = new Map<string, number>();
    const via = new Map<string, string | undefined>();
    const visit = (node: string, trail: Set<string>): number => {
        const known = finish.get(node);
        if (known !== undefined) return known;
        if (trail.has(node)) throw new Error(`dependency cycle through ${node}`);
        trail.add(node);
        let start = 0;
        let from: string | undefined;
        for (const d of graph.get(node) ?? []) {
            const t = visit(d, trail);
            if (from === undefined || t > start) {
                start = t;
                from = d;
            }
        }
        trail.delete(node);
        const end = start + (weights.get(node) ?? 0);
        finish.set(node, end);
        via.set(node, from);
        return end;
    };
    for (const node of graph.keys()) visit(node, new Set());
    const [last, total] = [...finish.entries()].reduce((a, b) => (b[1] > a[1] ? b : a));
    const path: string[] = [];
    for (let n: string | undefined = last; n !== undefined; n = via.get(n)) path.unshift(n);
    return { path, seconds: total, finish };
}
