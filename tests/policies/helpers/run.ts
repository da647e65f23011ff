import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { OfflineResource, OfflineViolation } from "../../../policies/rules/offline";
import { runPolicies } from "../../../policies/rules/support/evaluate";

/** A resource as the engine would name it in stack `stack`. */
export function resource(type: string, name: string, props: Record<string, any>, stack = "dev"): OfflineResource {
    return { type, name, urn: `urn:pulumi:${stack}::llm-platform::${type}::${name}`, props };
}

/** Runs one policy, with the engine's semantics, on these resources. */
export function check(
    policy: ResourceValidationPolicy | StackValidationPolicy,
    resources: OfflineResource | OfflineResource[],
    config?: Record<string, unknown>,
): Promise<OfflineViolation[]> {
    return runPolicies([policy], Array.isArray(resources) ? resources : [resources], config ? { [policy.name]: config } : {});
}

export function messages(violations: readonly OfflineViolation[]): string[] {
    return violations.map((v) => v.message);
}
