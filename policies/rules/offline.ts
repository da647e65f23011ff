/**
 * The whole pack, run in-process on resources of a mocked stack: what
 * `npm run policy:check` uses where no Pulumi CLI is available.
 */
import { policies } from "./index";
import { OfflineResource, OfflineViolation, runPolicies } from "./support/evaluate";

// The shapes the runner works on are defined with it (support/evaluate.ts), so the two do not import each other.
export type { OfflineResource, OfflineViolation };

/** Runs every policy of the pack (resource and stack policies) on these resources, with each policy's config = its configSchema defaults overlaid by config[policyName]. */
export function runPolicyPack(resources: OfflineResource[], config?: Record<string, Record<string, unknown>>): Promise<OfflineViolation[]> {
    return runPolicies(policies, resources, config ?? {});
}
