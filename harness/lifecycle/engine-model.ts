/**
 * The Pulumi engine's side of a lifecycle, as a pure model over what the program registered
 * under mocks (harness/run-stack.ts) and the AWS model (aws-model.ts): matching resources by
 * URN (and aliases), the steps `pulumi up` takes, what `pulumi destroy --exclude-protected`
 * keeps, and what AWS holds afterwards. Modelled from pulumi/pulumi at 1b594989 (2026-08-21):
 *
 * - pkg/resource/deploy/step_generator.go: a goal with an import id and no old state imports
 *   (isImport, :1113), then diffs and updates like any resource (continueStepsFromImport); a
 *   resource protected in its old state and by the program is never replaced (:1957).
 * - pkg/resource/deploy/step.go DeleteStep.Apply: a protected resource's delete fails; with
 *   retainOnDelete the provider's Delete is skipped (:661), judged by the OLD state's option.
 * - Replacements create the new object before deleting the old unless deleteBeforeReplace;
 *   the deletes of replaced and removed resources run after the creates and updates.
 * - pkg/cmd/pulumi/operations/destroy.go getProtectedExcludes (:589) with
 *   pkg/resource/graph/dependency_graph.go markAsDependency: `--exclude-protected` keeps every
 *   protected resource and, transitively, its dependencies, provider and parents.
 *
 * Only AWS resources are followed into AWS; other resources (Kubernetes, TLS, components)
 * are matched and diffed by their inputs so the step list is complete, nothing more.
 *
 * Why not model.ts's Lifecycle (the Kubernetes and Docker lifecycles): the AWS items turn on
 * engine behaviours it does not play — protect (a refused delete or replacement), aliases,
 * the `import` option, `--exclude-protected`, a delete AWS refuses, a create colliding with a
 * kept name, and RDS holding a change until the maintenance window. Folding both into one
 * engine model is the next step; until then each says which engine facts it plays.
 */
import { RegisteredResource, StackRun } from "../run-stack";
import { awsChange, behaviourOf, sameValue } from "./aws-model";

type Inputs = Record<string, any>;

/** One resource in the stack's state. */
export interface StateEntry {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    readonly inputs: Inputs;
    readonly outputs: Inputs;
    readonly parent?: string;
    readonly dependencies: readonly string[];
    readonly provider?: string;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
}

/** An object in AWS: its type, id, the inputs it was last written with, and (RDS) what runs until the maintenance window. */
export interface CloudObject {
    readonly type: string;
    readonly id: string;
    inputs: Inputs;
    running?: Inputs;
}

/** AWS as the lifecycle leaves it, by `<type> <id>`. */
export type Cloud = Map<string, CloudObject>;

export type Op = "same" | "create" | "import" | "update" | "replace" | "delete" | "retain";

export interface Step {
    readonly op: Op;
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** Inputs that changed (update, replace). */
    readonly keys?: readonly string[];
    /** The old URN an alias matched. */
    readonly from?: string;
}

export interface Outcome {
    readonly steps: Step[];
    /** What AWS or the engine refused, as the error the user would see. */
    readonly refusals: { urn: string; reason: string }[];
    /** The state after the operation. */
    readonly state: StateEntry[];
    readonly cloud: Cloud;
}

const isAws = (type: string) => type.startsWith("aws:");
const key = (type: string, id: string) => `${type} ${id}`;

/** The state entries a run registers, as the engine would store them. */
export function stateOf(run: StackRun): StateEntry[] {
    return run.resources.map((r) => ({
        urn: r.engine.urn,
        type: r.type,
        name: r.name,
        custom: r.custom,
        inputs: r.inputs,
        outputs: r.state,
        parent: r.engine.parent,
        dependencies: r.engine.dependencies,
        provider: r.provider?.split("::").slice(0, -1).join("::"),
        protect: r.engine.protect,
        retainOnDelete: r.engine.retainOnDelete,
    }));
}

/** The id of an AWS object in the model (its import id where it has one). */
export function cloudId(type: string, urn: string, inputs: Inputs, outputs: Inputs): string {
    return behaviourOf(type).id?.(inputs, outputs) ?? urn;
}

/**
 * The URNs a resource's aliases stand for: `{ name }` (the program's renames) and `{ type }`
 * (@pulumi/aws's own, from the v6 `*V2` types), under the same parent.
 */
function aliasUrns(r: RegisteredResource): string[] {
    return (r.options.aliases ?? []).map((a) => {
        const spec = a as { name?: string; type?: string };
        if (typeof spec !== "object" || Object.keys(spec).some((k) => k !== "name" && k !== "type")) throw new Error(`engine model: only { name } and { type } aliases are modelled (${r.name})`);
        const [stack, project, qualified, name] = r.engine.urn.replace(/^urn:pulumi:/, "").split("::");
        const types = qualified.split("$");
        if (spec.type !== undefined) types[types.length - 1] = spec.type;
        return `urn:pulumi:${stack}::${project}::${types.join("$")}::${spec.name ?? name}`;
    });
}

/** `pulumi up`: the program's registrations against the prior state and AWS. */
export function up(prior: readonly StateEntry[], run: StackRun, before: Cloud): Outcome {
    const cloud: Cloud = new Map([...before].map(([k, v]) => [k, { ...v }]));
    const byUrn = new Map(prior.map((p) => [p.urn, p]));
    const matched = new Set<string>();
    const steps: Step[] = [];
    const refusals: Outcome["refusals"] = [];
    const pendingDeletes: StateEntry[] = [];
    const next = stateOf(run);
    /** New entries whose step failed, and the old entries that therefore stay as they were. */
    const failedNew = new Set<string>();
    const failedOld = new Set<string>();
    const taken = (unique: string | undefined) => unique !== undefined && [...cloud.values()].some((o) => isAws(o.type) && behaviourOf(o.type).unique?.(o.inputs) === unique);

    run.resources.forEach((r, index) => {
        const entry = next[index];
        const step = (op: Op, extra: Partial<Step> = {}) => steps.push({ op, urn: entry.urn, type: r.type, name: r.name, ...extra });
        let old = byUrn.get(entry.urn);
        let from: string | undefined;
        if (!old) {
            from = aliasUrns(r).find((u) => byUrn.has(u) && !matched.has(u));
            old = from ? byUrn.get(from) : undefined;
        }
        if (old) matched.add(old.urn);
        const refuse = (reason: string) => {
            refusals.push({ urn: entry.urn, reason });
            failedNew.add(entry.urn);
            if (old) failedOld.add(old.urn);
        };
        if (!isAws(r.type) || !r.custom) {
            step(!old ? "create" : sameValue(old.inputs, entry.inputs) ? "same" : "update", from ? { from } : {});
            return;
        }
        const b = behaviourOf(r.type);
        const id = cloudId(r.type, entry.urn, entry.inputs, entry.outputs);
        if (!old && r.engine.importId !== undefined) {
            const found = cloud.get(key(r.type, r.engine.importId));
            if (!found) return refuse(`importing ${r.engine.importId}: resource does not exist`);
            step("import");
            // The engine diffs the program against what it imported and updates the rest.
            const change = awsChange(r.type, found.inputs, entry.inputs);
            if (change.kind === "replace") return refuse(`imported ${r.engine.importId} differs in ${change.keys.join(", ")}, which replace it`);
            if (change.kind === "update") step("update", { keys: change.keys });
            found.inputs = entry.inputs;
            return;
        }
        if (!old) {
            const unique = b.unique?.(entry.inputs);
            if (taken(unique)) return refuse(`creating ${r.name}: ${unique} already exists`);
            step("create", from ? { from } : {});
            cloud.set(key(r.type, id), { type: r.type, id, inputs: entry.inputs, running: entry.inputs });
            return;
        }
        const change = awsChange(r.type, old.inputs, entry.inputs);
        const oldId = cloudId(old.type, old.urn, old.inputs, old.outputs);
        if (change.kind === "same") {
            step("same", from ? { from } : {});
            return;
        }
        if (change.kind === "update") {
            const refused = b.refuseUpdate?.(old.inputs, entry.inputs);
            if (refused) return refuse(refused);
            step("update", { keys: change.keys, ...(from ? { from } : {}) });
            const obj = cloud.get(key(r.type, oldId));
            if (obj) {
                obj.inputs = entry.inputs;
                // RDS: a change with applyImmediately false waits for the maintenance window (maintenanceWindow below).
                if (!(r.type === "aws:rds/instance:Instance" && entry.inputs.applyImmediately === false)) obj.running = entry.inputs;
            }
            return;
        }
        if (old.protect && entry.protect) return refuse(`${r.name} is protected and cannot be replaced (${change.keys.join(", ")} changed)`);
        const unique = b.unique?.(entry.inputs);
        if (!r.engine.deleteBeforeReplace && taken(unique)) {
            return refuse(`replacing ${r.name}: ${unique} already exists (the replacement is created before the old one is deleted)`);
        }
        step("replace", { keys: change.keys, ...(from ? { from } : {}) });
        cloud.set(key(r.type, id), { type: r.type, id, inputs: entry.inputs, running: entry.inputs });
        // The replaced object goes at the end, judged by its old state's options.
        if (oldId !== id) pendingDeletes.push(old);
    });

    const removed = prior.filter((p) => !matched.has(p.urn));
    for (const old of [...pendingDeletes, ...removed.reverse()]) {
        if (!deleteOne(old, cloud, steps, refusals, removed.includes(old)) && removed.includes(old)) failedOld.add(old.urn);
    }
    // A step that failed leaves the old state entry as it was.
    const state = [...next.filter((n) => !failedNew.has(n.urn)), ...prior.filter((p) => failedOld.has(p.urn))];
    return { steps, refusals, state, cloud };
}

/** A delete as the engine runs it: refused when protected, skipped in AWS with retainOnDelete, else the provider's Delete. False when refused. */
function deleteOne(old: StateEntry, cloud: Cloud, steps: Step[], refusals: Outcome["refusals"], logical: boolean): boolean {
    const step = (op: Op) => steps.push({ op, urn: old.urn, type: old.type, name: old.name });
    const refuse = (reason: string) => (refusals.push({ urn: old.urn, reason }), false);
    if (logical && old.protect) return refuse(`resource ${old.urn} cannot be deleted because it is protected`);
    if (old.retainOnDelete) return step("retain"), true;
    if (!isAws(old.type) || !old.custom) return step("delete"), true;
    const id = cloudId(old.type, old.urn, old.inputs, old.outputs);
    const obj = cloud.get(key(old.type, id));
    const refused = behaviourOf(old.type).refuseDelete?.(obj?.inputs ?? old.inputs) ?? inUse(old, cloud);
    if (refused) return refuse(refused);
    step("delete");
    cloud.delete(key(old.type, id));
    return true;
}

/** RDS refuses to delete a parameter group an instance still runs with (until the maintenance window applies a change). */
function inUse(old: StateEntry, cloud: Cloud): string | undefined {
    if (old.type !== "aws:rds/parameterGroup:ParameterGroup") return undefined;
    const user = [...cloud.values()].find((o) => o.type === "aws:rds/instance:Instance" && o.running?.parameterGroupName === old.inputs.name);
    return user ? `InvalidDBParameterGroupState: One or more database instances are still members of this parameter group ${old.inputs.name}, so the group cannot be deleted` : undefined;
}

/** The maintenance window: RDS applies what it held back. */
export function maintenanceWindow(cloud: Cloud): Cloud {
    for (const o of cloud.values()) if (o.type === "aws:rds/instance:Instance") o.running = o.inputs;
    return cloud;
}

/** What `pulumi destroy --exclude-protected` keeps: protected resources and, transitively, their dependencies, providers and parents. */
export function excludedByProtect(state: readonly StateEntry[]): Set<string> {
    const byUrn = new Map(state.map((s) => [s.urn, s]));
    const kept = new Set<string>();
    const mark = (urn: string | undefined) => {
        const s = urn === undefined ? undefined : byUrn.get(urn);
        if (!s || kept.has(s.urn)) return;
        kept.add(s.urn);
        for (const d of s.dependencies) mark(d);
        mark(s.provider);
        mark(s.parent);
    };
    for (const s of state) if (s.protect) mark(s.urn);
    return kept;
}

/** `pulumi destroy` (with `--exclude-protected`: everything but what that keeps), deletes in reverse order. */
export function destroy(state: readonly StateEntry[], before: Cloud, options: { excludeProtected: boolean }): Outcome {
    const cloud: Cloud = new Map([...before].map(([k, v]) => [k, { ...v }]));
    const keep = options.excludeProtected ? excludedByProtect(state) : new Set<string>();
    const steps: Step[] = [];
    const refusals: Outcome["refusals"] = [];
    const failed = new Set<string>();
    for (const s of [...state].reverse()) if (!keep.has(s.urn) && !deleteOne(s, cloud, steps, refusals, true)) failed.add(s.urn);
    return { steps, refusals, state: state.filter((s) => keep.has(s.urn) || failed.has(s.urn)), cloud };
}

/** The AWS objects a state entry stands for that AWS no longer holds (a record deleted under a name the state still lists). */
export function dangling(state: readonly StateEntry[], cloud: Cloud): string[] {
    return state.filter((s) => s.custom && isAws(s.type) && !cloud.has(key(s.type, cloudId(s.type, s.urn, s.inputs, s.outputs)))).map((s) => s.urn);
}
