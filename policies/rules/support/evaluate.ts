import type {
    EnforcementLevel,
    Policies,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { schemaDefaults } from "./config";
import { rejectContradictions } from "./thresholds";
import { unknownCheckingProxy, UnknownValueError } from "./unknowns";
import { plainValue } from "./values";

export interface OfflineResource {
    type: string;
    name: string;
    urn: string;
    /** The inputs: what resource policies see. */
    props: Record<string, any>;
    /** Outputs computed beyond the inputs (image IDs, ARNs): stack policies see them under the inputs, as the engine hands them the resources' state. */
    outputs?: Record<string, any>;
}

export interface OfflineViolation {
    policy: string;
    enforcementLevel: "advisory" | "mandatory" | "remediate" | "disabled";
    resource?: { type: string; name: string; urn: string };
    message: string;
}

/**
 * Runs policies on resources the way the Pulumi engine's analyzer does (see
 * @pulumi/policy's server.js): plain props behind the unknown-checking proxy (inputs for
 * resource policies, outputs for stack policies, as policy.d.ts documents), each
 * policy's own config, `notApplicable` honoured, unknown values turned into an advisory
 * "can't run during preview", and a `remediate` level reported as mandatory.
 */
export async function runPolicies(
    policies: Policies,
    resources: readonly OfflineResource[],
    config: Record<string, Record<string, unknown> | EnforcementLevel> = {},
): Promise<OfflineViolation[]> {
    rejectUnknownConfig(policies, config);
    const present = new Map(policies.map((p) => [p.name, p]));
    rejectContradictions((name) => {
        const policy = present.get(name);
        return policy && policySettings(policy, config[name]).settings;
    });
    // Stack policies see the computed outputs with the inputs over them (an input set to undefined drops the output too).
    const plain = resources.map((r) => ({
        ...r,
        props: plainValue(r.props) as Record<string, any>,
        ...(r.outputs ? { outputs: plainValue({ ...r.outputs, ...r.props }) as Record<string, any> } : {}),
    }));
    const violations: OfflineViolation[] = [];
    for (const policy of policies) {
        const { level, settings } = policySettings(policy, config[policy.name]);
        if (level === "disabled") continue;
        // As the engine does: a violation left after remediation blocks like a mandatory one.
        const reported: OfflineViolation["enforcementLevel"] = level === "remediate" ? "mandatory" : level;
        const context: PolicyContext = { policy: policy.name, level: reported, settings, violations };
        if (isStackPolicy(policy)) await runStackPolicy(policy, plain, context);
        else await runResourcePolicy(policy, plain, context);
    }
    return violations;
}

interface PolicyContext {
    readonly policy: string;
    readonly level: OfflineViolation["enforcementLevel"];
    readonly settings: Record<string, unknown>;
    readonly violations: OfflineViolation[];
}

function isStackPolicy(policy: Policies[number]): policy is StackValidationPolicy {
    return typeof (policy as StackValidationPolicy).validateStack === "function";
}

function policySettings(policy: Policies[number], given: Record<string, unknown> | EnforcementLevel | undefined) {
    const overrides = typeof given === "string" ? { enforcementLevel: given } : given ?? {};
    const { enforcementLevel, ...rest } = overrides as Record<string, unknown>;
    const level = (enforcementLevel as EnforcementLevel | undefined) ?? policy.enforcementLevel ?? "advisory";
    return { level, settings: { ...schemaDefaults(policy.configSchema), ...rest } };
}

const LEVELS: readonly unknown[] = ["advisory", "mandatory", "remediate", "disabled"];

/** A typo in a policy name, a setting or a level would silently keep the default: refuse it. */
function rejectUnknownConfig(policies: Policies, config: Record<string, unknown>): void {
    const byName = new Map(policies.map((p) => [p.name, p]));
    for (const [name, value] of Object.entries(config)) {
        const policy = byName.get(name);
        if (!policy) throw new Error(`policy config names unknown policy "${name}"; known: ${[...byName.keys()].join(", ")}`);
        const settings = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : { enforcementLevel: value };
        if (settings.enforcementLevel !== undefined && !LEVELS.includes(settings.enforcementLevel)) {
            throw new Error(`policy config "${name}.enforcementLevel" is ${JSON.stringify(settings.enforcementLevel)}; allowed: ${LEVELS.join(", ")}`);
        }
        const known = Object.keys(policy.configSchema?.properties ?? {});
        for (const key of Object.keys(settings)) {
            if (key !== "enforcementLevel" && !known.includes(key)) {
                throw new Error(`policy config "${name}.${key}" is not a setting of ${name}; settings: ${known.join(", ") || "none"}`);
            }
        }
    }
}

class NotApplicableError extends Error {}

const notApplicable = (reason?: string): never => {
    throw new NotApplicableError(reason ?? "policy does not apply");
};

const noOptions = (): PolicyResourceOptions => ({
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
});

const emptyTags: ReadonlyMap<string, string> = new Map();

/** The engine's test: the class's Pulumi type token, else its `isInstance` on a stand-in. */
function isTypeOf(type: string, resourceClass: any): boolean {
    const token = resourceClass?.__pulumiType;
    if (typeof token === "string" && token.length > 0) return token === type;
    return typeof resourceClass?.isInstance === "function" && resourceClass.isInstance({ __pulumiType: type }) === true;
}

async function runResourcePolicy(policy: ResourceValidationPolicy, resources: readonly OfflineResource[], ctx: PolicyContext) {
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
    for (const resource of resources) {
        const subject = { type: resource.type, name: resource.name, urn: resource.urn };
        for (const validate of validations) {
            const props = unknownCheckingProxy(resource.props);
            const args: ResourceValidationArgs = {
                ...subject,
                props,
                opts: noOptions(),
                stackTags: emptyTags,
                isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
                asType: (resourceClass) => (isTypeOf(resource.type, resourceClass) ? (props as any) : undefined),
                getConfig: <T extends object>() => ({ ...ctx.settings }) as T,
                notApplicable,
            };
            await guarded(ctx, subject, () => validate(args, (message) => report(ctx, message, subject)));
        }
    }
}

async function runStackPolicy(policy: StackValidationPolicy, resources: readonly OfflineResource[], ctx: PolicyContext) {
    const policyResources: PolicyResource[] = resources.map((r) => {
        // The engine validates a stack on the resources' outputs, a resource on its inputs.
        const props = unknownCheckingProxy(r.outputs ?? r.props);
        return {
            type: r.type,
            name: r.name,
            urn: r.urn,
            props,
            opts: noOptions(),
            dependencies: [],
            propertyDependencies: {},
            isType: (resourceClass) => isTypeOf(r.type, resourceClass),
            asType: (resourceClass) => (isTypeOf(r.type, resourceClass) ? (props as any) : undefined),
        };
    });
    const byUrn = new Map(resources.map((r) => [r.urn, { type: r.type, name: r.name, urn: r.urn }]));
    const args: StackValidationArgs = {
        resources: policyResources,
        stackTags: emptyTags,
        getConfig: <T extends object>() => ({ ...ctx.settings }) as T,
        notApplicable,
    };
    await guarded(ctx, undefined, () =>
        policy.validateStack(args, (message, urn) => report(ctx, message, urn === undefined ? undefined : byUrn.get(urn) ?? subjectOfUrn(urn))),
    );
}

/** `urn:pulumi:<stack>::<project>::<parent$type>::<name>` */
function subjectOfUrn(urn: string): NonNullable<OfflineViolation["resource"]> {
    const [, , typeChain = "", name = ""] = urn.split("::");
    return { type: typeChain.split("$").pop() ?? "", name, urn };
}

function report(ctx: PolicyContext, message: string, resource: OfflineViolation["resource"]) {
    ctx.violations.push({ policy: ctx.policy, enforcementLevel: ctx.level, ...(resource ? { resource } : {}), message });
}

async function guarded(ctx: PolicyContext, resource: OfflineViolation["resource"], run: () => void | Promise<void>) {
    try {
        await run();
    } catch (e) {
        if (e instanceof NotApplicableError) return;
        if (e instanceof UnknownValueError) {
            ctx.violations.push({
                policy: ctx.policy,
                enforcementLevel: "advisory",
                ...(resource ? { resource } : {}),
                message: `can't run policy '${ctx.policy}' during preview: ${e.message}`,
            });
            return;
        }
        const where = resource ? ` on ${resource.type} "${resource.name}"` : "";
        throw new Error(`policy ${ctx.policy} failed${where}: ${(e as Error).message}`, { cause: e });
    }
}
