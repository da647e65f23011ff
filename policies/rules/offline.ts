/**
 * The whole pack, run in-process on resources of a mocked stack: what
 * `npm run policy:check` uses where no Pulumi CLI is available.
 */
import { policies } from "./index";
import { runPolicies } from "./support/evaluate";

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

/** Runs every policy of the pack (resource and stack policies) on these resources, with each policy's config = its configSchema defaults overlaid by config[policyName]. */
export function runPolicyPack(resources: OfflineResource[], config?: Record<string, Record<string, unknown>>): Promise<OfflineViolation[]> {
    return runPolicies(policies, resources, config ?? {});
}
