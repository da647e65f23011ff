import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { globToRegExp } from "./patterns";

type Policy = ResourceValidationPolicy | StackValidationPolicy;

/**
 * One resource let off one rule, for a stated reason (policies/exemptions.ts). Exemptions
 * are per resource so that nobody turns a whole rule off to get one vendor image through.
 */
export interface Exemption {
    /** The rule's name, e.g. "no-host-access". */
    readonly policy: string;
    /** The resource's logical name or its URN; `*` matches any run of characters. */
    readonly resource: string;
    /** Why the resource needs it; shown in every report. */
    readonly reason: string;
}

export const MIN_REASON_LENGTH = 15;

/** Refuses exemptions that name no known rule, no resource, or give no real reason. */
export function validateExemptions(exemptions: readonly Exemption[], policies: readonly Policy[]): void {
    const names = new Set(policies.map((p) => p.name));
    exemptions.forEach((e, i) => {
        const where = `exemption #${i + 1} (${JSON.stringify(e)})`;
        if (!names.has(e.policy)) throw new Error(`${where}: policy "${e.policy}" is not a rule of the pack; rules: ${[...names].join(", ")}`);
        if (typeof e.resource !== "string" || e.resource.trim() === "" || e.resource.trim() === "*") {
            throw new Error(`${where}: resource must name a resource (logical name or URN pattern), not everything`);
        }
        if (typeof e.reason !== "string" || e.reason.trim().length < MIN_REASON_LENGTH) {
            throw new Error(`${where}: reason is required (at least ${MIN_REASON_LENGTH} characters saying why this resource needs it)`);
        }
    });
}

export function exemptionMatches(e: Exemption, resource: { name: string; urn: string }): boolean {
    const re = globToRegExp(e.resource);
    return re.test(resource.name) || re.test(resource.urn);
}

/** The rule with violations on exempt resources dropped. */
function exempting(policy: Policy, exemptions: readonly Exemption[]): Policy {
    const own = exemptions.filter((e) => e.policy === policy.name);
    if (own.length === 0) return policy;
    const exempt = (subject: { name: string; urn: string }) => own.some((e) => exemptionMatches(e, subject));
    if ("validateStack" in policy && typeof policy.validateStack === "function") {
        const validateStack = policy.validateStack;
        return {
            ...policy,
            validateStack: (args, report) => {
                const byUrn = new Map(args.resources.map((r) => [r.urn, r]));
                return validateStack(args, (message, urn) => {
                    const resource = urn === undefined ? undefined : byUrn.get(urn);
                    if (resource && exempt(resource)) return;
                    report(message, urn);
                });
            },
        };
    }
    const resourcePolicy = policy as ResourceValidationPolicy;
    const validations = Array.isArray(resourcePolicy.validateResource) ? resourcePolicy.validateResource : resourcePolicy.validateResource ? [resourcePolicy.validateResource] : [];
    return {
        ...resourcePolicy,
        validateResource: validations.map((validate) => (args, report) => (exempt(args) ? undefined : validate(args, report))),
    };
}

/**
 * An advisory rule that lists, in every preview, each exemption that lets a resource of
 * the stack off a rule, with its reason (and says which exemptions match nothing).
 */
function exemptionReport(exemptions: readonly Exemption[]): StackValidationPolicy {
    return {
        name: "policy-exemptions",
        description:
            "Lists every exemption (policies/exemptions.ts: rule, resource, reason) that applies to a resource of the stack, so " +
            "each one shows in every preview, and each exemption that matches no resource (remove it).",
        enforcementLevel: "advisory",
        configSchema: {
            properties: {
                reportUnused: { type: "boolean", default: true, description: "Also list exemptions that match no resource of the stack." },
            },
        },
        validateStack: (args, report) => {
            const { reportUnused } = { reportUnused: true, ...args.getConfig<{ reportUnused?: boolean }>() };
            for (const e of exemptions) {
                const matched = args.resources.filter((r) => exemptionMatches(e, r));
                for (const r of matched) report(`${r.type} "${r.name}" is exempt from ${e.policy}: ${e.reason}`, r.urn);
                if (matched.length === 0 && reportUnused) report(`exemption from ${e.policy} for "${e.resource}" matches no resource of this stack (${e.reason})`);
            }
        },
    };
}

/** The pack's rules with the exemptions applied, plus the advisory rule that lists them. */
export function withExemptions(policies: readonly Policy[], exemptions: readonly Exemption[]): Policy[] {
    validateExemptions(exemptions, policies);
    return [...policies.map((p) => exempting(p, exemptions)), exemptionReport(exemptions)];
}
