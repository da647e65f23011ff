import type { Exemption } from "./rules/support/exemptions";

/**
 * Resources let off one rule each, with the reason: the pack refuses an entry without a
 * rule it knows, a resource pattern or a reason, and the advisory rule policy-exemptions
 * lists every entry that applies in every preview. Prefer fixing the resource.
 *
 * Example:
 *   { policy: "container-sandbox", resource: "cadvisor", reason: "cAdvisor reads every container's cgroups: needs SYS_ADMIN" }
 */
export const exemptions: readonly Exemption[] = [];
