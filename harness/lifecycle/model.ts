/**
 * A stack's life after its first `pulumi up`, under mocks: runs of the program (harness/run-stack.ts)
 * are applied one after another to a simulated Pulumi state and a simulated world (the cluster, the
 * Docker engine), and each resource's fate is asked of the model of its provider, written from that
 * provider's source. What the engine does is Pulumi's own logic: resources are matched by URN; a
 * URN only in the new run is created, one only in the state is deleted (unless retainOnDelete:
 * the object stays in the world); a resource whose provider is replaced is replaced; a refresh drops
 * what the world no longer has.
 *
 * A provider model (harness/lifecycle/kubernetes-model.ts, docker-model.ts; an AWS one can join in
 * the same shape) answers four questions:
 *   covers(type)                    is the resource its provider's?
 *   objectOf(r)                     the live object a resource stands for (its name in the world)
 *   diff(before, after, live)       same / update / replace / refused, as its Diff (and the API) decide
 *   create(r, provider, live)       what a create does when the world already holds that object
 * and may give the world a behaviour of its own: `created` (objects a controller adds), `expired`
 * (what time removes), `leaves` (what the provider's delete leaves in place).
 */
import { RegisteredResource, RecordedOptions, StackRun } from "../run-stack";

export type Action = "create" | "adopt" | "same" | "update" | "replace" | "delete" | "keep" | "drop" | "refused";

/** One resource's fate in a step. */
export interface Change {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly action: Action;
    /** What decided it: the fields that differ, the source line, the API's refusal. */
    readonly why?: string;
}

/** A resource as Pulumi's state holds it. */
export interface StateResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
    readonly options: RecordedOptions;
    /** Its provider resource, as `type::name`. */
    readonly provider?: string;
}

/** An object in the world: what the provider created, or a controller did. */
export interface LiveObject {
    readonly id: string;
    readonly type: string;
    /** As last applied. */
    readonly inputs: Record<string, any>;
    /** Made by a controller, not by Pulumi (a StatefulSet's claims). */
    readonly byController?: boolean;
    /** The lifecycle's clock (hours) when it was created or last replaced. */
    readonly since: number;
}

export interface Verdict {
    readonly action: "create" | "adopt" | "same" | "update" | "replace" | "refused";
    readonly why?: string;
}

export interface ProviderModel {
    readonly name: string;
    covers(type: string): boolean;
    /** The live object's id (kind/namespace/name, container/<name>...), or undefined when it has none. */
    objectOf(r: StateResource): string | undefined;
    /** The provider's Diff of an existing resource, and what the world says to the update it plans. */
    diff(before: StateResource, after: StateResource, live: LiveObject | undefined): Verdict;
    /** A create whose object the world already holds (a destroy retained it): adopt, or refused. */
    create(r: StateResource, provider: StateResource | undefined, live: LiveObject): Verdict;
    /** Objects the world creates by itself when a resource is created or updated (controllers). */
    created?(r: StateResource, world: ReadonlyMap<string, LiveObject>, now: number): LiveObject[];
    /** Objects time has removed by `now` (a Job past its TTL). */
    expired?(world: ReadonlyMap<string, LiveObject>, now: number): string[];
    /** The provider's delete leaves the object in the world (an image kept locally). */
    leaves?(r: StateResource): boolean;
}

/**
 * The provider a resource was registered with, as `type::name`: the reference is
 * `<provider URN>::<id>`, and the URN's type carries the parents' types (`a$b$pulumi:providers:x`).
 */
function providerKey(ref: string | undefined): string | undefined {
    if (!ref) return undefined;
    const urn = ref.slice(0, ref.lastIndexOf("::"));
    const [qualifiedType, name] = urn.split("::").slice(-2);
    return `${qualifiedType.split("$").pop()}::${name}`;
}

export function toState(r: RegisteredResource): StateResource {
    return { urn: r.urn, type: r.type, name: r.name, inputs: r.inputs, options: r.options, provider: providerKey(r.provider) };
}

/** The changes of one step, with helpers to ask about them. */
export class Plan {
    constructor(readonly changes: readonly Change[]) {}
    /** Names (`type-suffix name`) of the resources with this action, sorted. */
    names(action: Action, type?: string): string[] {
        return this.changes.filter((c) => c.action === action && (type === undefined || c.type === type)).map((c) => c.name).sort();
    }
    of(name: string, type?: string): Change | undefined {
        return this.changes.find((c) => c.name === name && (type === undefined || c.type === type));
    }
    /** Every action that is not `same`, as `action type name (why)` lines. */
    get summary(): string[] {
        return this.changes.filter((c) => c.action !== "same").map((c) => `${c.action} ${c.type} ${c.name}${c.why ? ` (${c.why})` : ""}`);
    }
    count(action: Action): number {
        return this.changes.filter((c) => c.action === action).length;
    }
}

/**
 * Pulumi's state and the world of one stack, stepped through `up`, `refresh`, `destroy` and time.
 * Only resources a model covers take part (the others, e.g. AWS without its model, are left out).
 */
export class Lifecycle {
    readonly state = new Map<string, StateResource>();
    readonly world = new Map<string, LiveObject>();
    /** Hours since the lifecycle began. */
    private now = 0;

    constructor(private readonly models: readonly ProviderModel[]) {}

    private modelOf(type: string): ProviderModel | undefined {
        return this.models.find((m) => m.covers(type));
    }

    /** `pulumi up` with the resources of a run: each one's fate, in dependency order. */
    up(run: StackRun): Plan {
        const next = run.resources.filter((r) => r.custom && this.modelOf(r.type)).map(toState);
        const byUrn = new Map(next.map((r) => [r.urn, r]));
        const byKey = new Map(next.map((r) => [`${r.type}::${r.name}`, r]));
        const changes: Change[] = [];
        const replacedProviders = new Set<string>();
        for (const r of dependencyOrder(next)) {
            const model = this.modelOf(r.type)!;
            const before = this.state.get(r.urn);
            const id = model.objectOf(r);
            const live = id ? this.world.get(id) : undefined;
            let verdict: Verdict;
            if (before === undefined) {
                verdict = live ? model.create(r, r.provider ? byKey.get(r.provider) : undefined, live) : { action: "create" as const };
                if (verdict.action === "create" || verdict.action === "adopt") this.apply(model, r, id);
            } else if (r.provider && replacedProviders.has(r.provider)) {
                verdict = { action: "replace", why: "its provider is replaced" };
                this.apply(model, r, id);
            } else {
                verdict = model.diff(before, r, live);
                if (verdict.action === "update" || verdict.action === "replace") this.apply(model, r, id);
                if (verdict.action === "replace" && r.type.startsWith("pulumi:providers:")) replacedProviders.add(`${r.type}::${r.name}`);
            }
            changes.push({ urn: r.urn, type: r.type, name: r.name, action: verdict.action, why: verdict.why });
        }
        for (const [urn, old] of [...this.state]) {
            if (byUrn.has(urn)) continue;
            changes.push(this.remove(old));
        }
        return new Plan(changes);
    }

    /** `pulumi destroy`: every resource deleted, except what retainOnDelete keeps in the world. */
    destroy(): Plan {
        return new Plan([...this.state.values()].reverse().map((r) => this.remove(r)));
    }

    /**
     * `pulumi refresh`: a resource whose object the world no longer holds is dropped from the state
     * (the provider's Read finds nothing: pulumi-kubernetes provider.go Read answers a 404 with an
     * empty response, the engine deletes the resource from the state).
     */
    refresh(): Plan {
        const changes: Change[] = [];
        for (const r of [...this.state.values()]) {
            const id = this.modelOf(r.type)!.objectOf(r);
            if (id && !this.world.has(id)) {
                this.state.delete(r.urn);
                changes.push({ urn: r.urn, type: r.type, name: r.name, action: "drop", why: "not found in the world" });
            } else changes.push({ urn: r.urn, type: r.type, name: r.name, action: "same" });
        }
        return new Plan(changes);
    }

    /** Time passes: each model's world removes what it removes on its own; returns their ids. */
    elapse(hours: number): string[] {
        this.now += hours;
        const gone = this.models.flatMap((m) => m.expired?.(this.world, this.now) ?? []);
        for (const id of gone) this.world.delete(id);
        return gone;
    }

    private apply(model: ProviderModel, r: StateResource, id: string | undefined): void {
        this.state.set(r.urn, r);
        if (id) this.world.set(id, { id, type: r.type, inputs: r.inputs, since: this.now });
        for (const o of model.created?.(r, this.world, this.now) ?? []) this.world.set(o.id, o);
    }

    private remove(r: StateResource): Change {
        this.state.delete(r.urn);
        const model = this.modelOf(r.type)!;
        const id = model.objectOf(r);
        const change = { urn: r.urn, type: r.type, name: r.name };
        // retainOnDelete: the engine never calls the provider's Delete.
        if (r.options.retainOnDelete) return { ...change, action: "keep", why: "retainOnDelete: the object stays" };
        if (model.leaves?.(r)) return { ...change, action: "delete", why: "the provider's delete leaves the object" };
        if (id) this.world.delete(id);
        return { ...change, action: "delete" };
    }
}

/** Resources ordered so each comes after what it dependsOn (the engine waits for those; the rest keeps program order). */
function dependencyOrder(resources: readonly StateResource[]): StateResource[] {
    const byKey = new Map(resources.map((r) => [`${r.type}::${r.name}`, r]));
    const done = new Set<string>();
    const ordered: StateResource[] = [];
    const visit = (r: StateResource) => {
        if (done.has(r.urn)) return;
        done.add(r.urn);
        for (const d of r.options.dependsOn) {
            const dep = byKey.get(d);
            if (dep) visit(dep);
        }
        ordered.push(r);
    };
    resources.forEach(visit);
    return ordered;
}

/** JSON paths (`spec.template.spec.containers`) where two values differ, at most `depth` levels deep. */
export function differingPaths(a: unknown, b: unknown, path = "", depth = 6): string[] {
    if (JSON.stringify(a) === JSON.stringify(b)) return [];
    const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
    if (depth === 0 || !isObject(a) || !isObject(b)) return [path || "(root)"];
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => differingPaths(a[k], b[k], path ? `${path}.${k}` : k, depth - 1));
}
