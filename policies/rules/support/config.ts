import type { PolicyConfigSchema } from "@pulumi/policy";

/** The `default` of every property of a policy's config schema. */
export function schemaDefaults(schema: PolicyConfigSchema | undefined): Record<string, unknown> {
    const defaults: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(schema?.properties ?? {})) {
        if (typeof property === "object" && property.default !== undefined) defaults[key] = property.default;
    }
    return defaults;
}

/**
 * A policy's effective config: schema defaults overlaid by what the user set. The CLI
 * fills defaults in too; doing it here keeps the rules correct under any runner.
 */
export function configOf<T>(schema: PolicyConfigSchema, args: { getConfig<U extends object>(): U }): T {
    return { ...schemaDefaults(schema), ...args.getConfig<Record<string, unknown>>() } as T;
}
