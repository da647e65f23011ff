import type { PolicyConfigSchema } from "@pulumi/policy";
import { stackOfUrn } from "./describe";
import { globToRegExp } from "./patterns";

/** The config property every rule with production-only checks shares. */
export const productionStacksProperty: NonNullable<PolicyConfigSchema["properties"]>[string] = {
    type: "array",
    items: { type: "string" },
    default: ["prod", "prod-*", "production", "staging"],
    description: "Stacks (from the URN) held to the production checks; `*` matches any run of characters (e.g. \"prod-*\").",
};

/** The stack of a resource when it matches one of the production patterns, else undefined. */
export function productionStack(urn: string, patterns: readonly string[]): string | undefined {
    const stack = stackOfUrn(urn);
    if (stack === undefined) return undefined;
    return patterns.some((p) => globToRegExp(p).test(stack)) ? stack : undefined;
}
