/**
 * Runs the program of a stack in-process under Pulumi's mocks, from the stack's own
 * Pulumi.<stack>.yaml plus the project defaults in Pulumi.yaml, exactly as the CLI
 * would merge them. Used by the tests and by the offline policy check; needs no
 * Pulumi CLI, no Docker engine and no cloud credentials.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadConfig, PlatformConfig } from "../components/config/load";
import { Notice } from "../components/config/notices";
import { prepareAws } from "../components/aws/foundation";
import { buildStack } from "../components/stack";
import { EngineFacts } from "../components/machine";
import { checkClaimSizes, LiveClaim } from "../components/platform/kubernetes/claims";
import { withExampleUserValues } from "./example-user-values";
import { mockCall, mockState } from "./mock-state";
import { setMocksWithErrorHooks } from "./mock-monitor";
import { plainValue } from "../policies/rules/support/values";
import { ConfigValues, engineConfig, stackConfigValues, withOverrides } from "./stack-config";

// Reading a stack's config has a module of its own, which scripts can load without the program.
export { PROJECT_DIR, engineConfig, stackConfigValues, stackRawConfig, withOverrides } from "./stack-config";

export interface RegisteredResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly custom: boolean;
    /** The provider reference (`<provider urn>::<id>`) a custom resource was registered with. */
    readonly provider?: string;
    /** Inputs with secrets unwrapped. */
    readonly inputs: Record<string, any>;
    /** Inputs as the engine receives them: secrets still wrapped. */
    readonly rawInputs: Record<string, any>;
    readonly state: Record<string, any>;
    /** Options the program gave: retainOnDelete, protect, and dependsOn as `type::name`. */
    readonly options: RecordedOptions;
    /** What the engine receives for it: the graph `pulumi destroy --exclude-protected` and replacements work on. */
    readonly engine: EngineView;
}

/**
 * A registration as the engine sees it (RegisterResourceRequest): URNs qualified by the
 * parent's type as the mock monitor forms them, every dependency (dependsOn and the
 * resources whose outputs feed an input), and the options after inheritance from the parent.
 */
export interface EngineView {
    readonly urn: string;
    readonly parent?: string;
    /** Explicit and property dependencies, as URNs. */
    readonly dependencies: readonly string[];
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    /** The `import` option: adopt the existing cloud object with this id. */
    readonly importId?: string;
    readonly deleteBeforeReplace: boolean;
}

export interface RecordedOptions {
    readonly retainOnDelete?: boolean;
    readonly protect?: boolean;
    readonly deleteBeforeReplace?: boolean;
    readonly customTimeouts?: pulumi.CustomTimeouts;
    readonly ignoreChanges?: string[];
    readonly replaceOnChanges?: string[];
    /** Names of the error hooks bound to the resource. */
    readonly onError?: string[];
    /** The bound error hooks themselves, so a test can call one as the engine would. */
    readonly errorHooks?: pulumi.ErrorHook[];
    readonly dependsOn: string[];
    /** Earlier identities of the resource (`{ name }`: the same parent and type under another name). */
    readonly aliases?: readonly pulumi.Input<string | pulumi.Alias>[];
}

export interface StackRun {
    readonly stack: string;
    readonly config: PlatformConfig;
    readonly resources: RegisteredResource[];
    readonly outputs: Record<string, any>;
    /** The outputs as the program returned them (Outputs, secrets still marked). */
    readonly rawOutputs: Record<string, any>;
    /** The provider functions (lookups) the program called, by token. */
    readonly calls: readonly string[];
    /** What `pulumi up` would say once (config/notices.ts): collected, not printed. */
    readonly notices: Notice[];
    /** Registered resources of one type, e.g. `docker:index/container:Container`. */
    ofType(type: string): RegisteredResource[];
    /** The custom resource of a type with this logical name. */
    named(type: string, name: string): RegisteredResource;
}

export interface RunOptions {
    /** Config changes on top of the stack's files. */
    readonly overrides?: ConfigValues;
    /** Exit code every one-shot container or Job reports (default 0); null: none, as after a create that timed out. */
    readonly stepExitCode?: number | null;
    /** What `docker info` reports; default: no engine reachable (as in CI), never the machine's own. */
    readonly dockerEngine?: EngineFacts;
    /** Stand in example values for the cluster and domain a stack file leaves to its owner. */
    readonly exampleUserValues?: boolean;
    /** Keys (`namespace:key`) to drop from the stack's files, e.g. `llm-platform:aws`. */
    readonly without?: readonly string[];
    /** The claims the cluster holds (Kubernetes); default none, as a cluster the stack never ran on. Never read from a real cluster. */
    readonly liveClaims?: readonly LiveClaim[];
}

/** Answers a provider function (an invoke) instead of the mock account, or `undefined` to leave it to the mock. */
export type LookupOverride = (token: string, inputs: Record<string, any>) => Record<string, any> | undefined;

/**
 * Runs of this process by their inputs (stack and options; the stack files do not change
 * during a test run). Many test files read the same run; each caller gets its own copy, so
 * a test that edits what it got changes nothing for the others.
 */
const runs = new Map<string, Promise<StackRun>>();

/** The stack's program under mocks; the same inputs run once per process (see `runs`). */
export async function runStack(stack: string, options: RunOptions = {}): Promise<StackRun> {
    const key = JSON.stringify([stack, options]);
    let run = runs.get(key);
    if (!run) {
        run = runStackOnce(stack, options);
        runs.set(key, run);
        // A failed run is not kept: the caller sees its error, the next one runs it again.
        run.catch(() => runs.delete(key));
    }
    return copyOf(await run);
}

async function runStackOnce(stack: string, options: RunOptions): Promise<StackRun> {
    let values = withOverrides(stackConfigValues(stack), options.overrides ?? {});
    for (const key of options.without ?? []) delete values[key];
    if (options.exampleUserValues) values = withExampleUserValues(values, stack).values;
    return runProgram(stack, values, options.stepExitCode === undefined ? 0 : options.stepExitCode, [], options.dockerEngine, options.liveClaims);
}

/** A run a caller may change freely: its own resources and outputs (the frozen config and the Outputs are shared). */
function copyOf(run: StackRun): StackRun {
    const resources = run.resources.map((r) => ({
        ...r,
        // The error hooks are functions (not clonable) and nothing edits them: shared.
        options: { ...structuredClone({ ...r.options, errorHooks: undefined }), errorHooks: r.options.errorHooks },
        inputs: structuredClone(r.inputs),
        rawInputs: structuredClone(r.rawInputs),
        state: structuredClone(r.state),
    }));
    return stackRun(run.stack, run.config, resources, structuredClone(run.outputs), run.rawOutputs, [...run.calls], [...run.notices]);
}

/** Runs the program (config validation included) with exactly these config values. */
export async function runProgram(
    stack: string,
    values: ConfigValues,
    stepExitCode: number | null = 0,
    /** Receives every registered resource, also when the program fails. */
    resources: RegisteredResource[] = [],
    dockerEngine?: EngineFacts,
    liveClaims: readonly LiveClaim[] = [],
    /** What AWS holds already, for lookups the mock account cannot answer (adopting a kept key). */
    lookup?: LookupOverride,
): Promise<StackRun> {
    const restoreStackTraces = withoutPulumiStackTraces();
    try {
        return await runProgramWithTraces(stack, values, stepExitCode, resources, dockerEngine, liveClaims, lookup);
    } finally {
        restoreStackTraces();
    }
}

/**
 * Pulumi takes a stack trace for every promise it makes (`new Error().stack` in
 * @pulumi/pulumi/runtime/debuggable.js, read only to report leaked promises at exit) and an
 * unbounded one for every resource (`Resource.callsites` in resource.js, the source position the
 * engine shows), each frame mapped through the source maps: over half the CPU of a run under
 * mocks (`npm run bench -- --tests`). Neither is read here, so while the program runs, errors
 * capture no frames and no frame is mapped. LLM_PLATFORM_STACK_TRACES=1 keeps both, to find
 * where in the program an error was thrown.
 */
function withoutPulumiStackTraces(): () => void {
    if (process.env.LLM_PLATFORM_STACK_TRACES === "1") return () => {};
    if (quietRuns++ === 0) {
        tracesBefore = { limit: Error.stackTraceLimit, mapped: process.sourceMapsEnabled };
        Error.stackTraceLimit = 0;
        process.setSourceMapsEnabled(false);
    }
    return () => {
        // Runs may overlap (Promise.all): the last one to finish puts the traces back.
        if (--quietRuns === 0) {
            Error.stackTraceLimit = tracesBefore.limit;
            process.setSourceMapsEnabled(tracesBefore.mapped);
        }
    };
}
let quietRuns = 0;
let tracesBefore = { limit: Error.stackTraceLimit, mapped: false };

async function runProgramWithTraces(
    stack: string,
    values: ConfigValues,
    stepExitCode: number | null,
    resources: RegisteredResource[],
    dockerEngine: EngineFacts | undefined,
    liveClaims: readonly LiveClaim[],
    lookup: LookupOverride | undefined,
): Promise<StackRun> {
    const options = new Map<string, RecordedOptions>();
    const names = new WeakMap<pulumi.Resource, string>();
    const calls: string[] = [];
    const recordOptions: pulumi.ResourceTransformation = ({ resource, type, name, opts }) => {
        names.set(resource, `${type}::${name}`);
        const dependsOn = ([] as pulumi.Input<pulumi.Resource>[]).concat((opts.dependsOn as any) ?? []);
        options.set(`${type}::${name}`, {
            retainOnDelete: opts.retainOnDelete,
            protect: opts.protect,
            deleteBeforeReplace: (opts as pulumi.CustomResourceOptions).deleteBeforeReplace,
            customTimeouts: (opts as pulumi.CustomResourceOptions).customTimeouts,
            ignoreChanges: opts.ignoreChanges,
            replaceOnChanges: opts.replaceOnChanges,
            onError: opts.hooks?.onError?.map((h) => h.name),
            errorHooks: opts.hooks?.onError,
            dependsOn: dependsOn.map((d) => names.get(d as pulumi.Resource) ?? "(unknown)"),
            aliases: opts.aliases,
        });
        return undefined;
    };
    await setMocksWithErrorHooks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                const state = mockState(args.type, args.name, args.inputs, stepExitCode);
                const engine = engineViews.get(`${args.type}::${args.name}`) ?? { urn: "", dependencies: [], protect: false, retainOnDelete: false, deleteBeforeReplace: false };
                resources.push({
                    engine,
                    type: args.type,
                    name: args.name,
                    get options() {
                        return options.get(`${args.type}::${args.name}`) ?? { dependsOn: [] };
                    },
                    urn: `urn:pulumi:${stack}::llm-platform::${args.type}::${args.name}`,
                    custom: args.custom ?? true,
                    provider: args.provider,
                    inputs: plainValue(args.inputs),
                    rawInputs: args.inputs,
                    state,
                });
                return { id: args.custom === false ? undefined : `${args.name}-id`, state };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                calls.push(args.token);
                return lookup?.(args.token, args.inputs) ?? mockCall(args.token, args.inputs);
            },
        },
        "llm-platform",
        stack,
    );
    const engineViews = recordEngineViews();
    pulumi.runtime.setAllConfig(engineConfig(values));

    const notices: Notice[] = [];
    const config = loadConfig(() => dockerEngine, (n) => notices.push(n));
    checkClaimSizes(config, () => liveClaims);
    const rawOutputs = buildStack(config, stack, { transformations: [recordOptions] }, await prepareAws(config, stack, "llm-platform"));
    const outputs = await resolve(rawOutputs);
    // Let the last registrations reach the mock monitor.
    await new Promise((r) => setTimeout(r, 0));

    return stackRun(stack, config, resources, outputs, rawOutputs, calls, notices);
}

function stackRun(
    stack: string,
    config: PlatformConfig,
    resources: RegisteredResource[],
    outputs: Record<string, any>,
    rawOutputs: Record<string, any>,
    calls: readonly string[],
    notices: Notice[],
): StackRun {
    const ofType = (type: string) => resources.filter((r) => r.type === type);
    return {
        stack,
        config,
        resources,
        outputs,
        rawOutputs,
        calls,
        notices,
        ofType,
        named(type: string, name: string) {
            const found = ofType(type).find((r) => r.name === name);
            if (!found) throw new Error(`no ${type} named ${name}; have: ${ofType(type).map((r) => r.name).join(", ")}`);
            return found;
        },
    };
}

/**
 * Records each RegisterResourceRequest the mock monitor receives, keyed `type::name`, before
 * the mocks answer it (the mock monitor itself keeps only type, name and inputs).
 */
function recordEngineViews(): Map<string, EngineView> {
    const views = new Map<string, EngineView>();
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: unknown) => {
        const propertyDependencies: string[] = [];
        req.getPropertydependenciesMap().forEach((deps: any) => propertyDependencies.push(...deps.getUrnsList()));
        views.set(`${req.getType()}::${req.getName()}`, {
            urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
            parent: req.getParent() || undefined,
            dependencies: [...new Set([...req.getDependenciesList(), ...propertyDependencies])],
            protect: req.getProtect() === true,
            retainOnDelete: req.getRetainondelete() === true,
            importId: req.getImportid() || undefined,
            deleteBeforeReplace: req.getDeletebeforereplace() === true,
        });
        return register(req, callback);
    };
    return views;
}

/** Waits for every output and returns plain values (secrets unwrapped); rejects when an output failed. */
function resolve(value: unknown): Promise<any> {
    // Output.promise() is internal but stable; it is what Pulumi's own unit tests await.
    return (pulumi.output(value as pulumi.Input<unknown>) as any).promise();
}
