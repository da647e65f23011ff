/**
 * Thresholds of different rules that must agree: a pair that contradicts would let a
 * stack pass today and block its own deploys later. The offline check refuses such a
 * config; the Pulumi engine hands each rule only its own config, so the README states
 * the same pairs.
 */
export interface ThresholdPair {
    readonly low: { readonly policy: string; readonly key: string };
    readonly high: { readonly policy: string; readonly key: string };
    /** Whether low may equal high. */
    readonly equalAllowed: boolean;
    readonly why: string;
}

export const THRESHOLD_PAIRS: readonly ThresholdPair[] = [
    {
        low: { policy: "pem-certificate-validity", key: "minValidDays" },
        high: { policy: "tls-certificate-validity", key: "minEarlyRenewalDays" },
        equalAllowed: true,
        why: "a certificate re-issued only that close to expiry fails the PEM check, and blocks every deploy, until it is",
    },
    {
        low: { policy: "tls-certificate-validity", key: "minEarlyRenewalDays" },
        high: { policy: "tls-certificate-validity", key: "minValidityDays" },
        equalAllowed: false,
        why: "a certificate of the shortest allowed validity would be inside its renewal window from the start",
    },
];

/** Throws when the effective settings of rules that are both present contradict each other. */
export function rejectContradictions(settingsOf: (policy: string) => Record<string, unknown> | undefined): void {
    for (const pair of THRESHOLD_PAIRS) {
        const low = settingsOf(pair.low.policy)?.[pair.low.key];
        const high = settingsOf(pair.high.policy)?.[pair.high.key];
        if (typeof low !== "number" || typeof high !== "number") continue;
        if (low < high || (pair.equalAllowed && low === high)) continue;
        throw new Error(
            `policy config contradicts itself: ${pair.high.policy}.${pair.high.key} (${high}) must be ${pair.equalAllowed ? "at least" : "greater than"} ` +
                `${pair.low.policy}.${pair.low.key} (${low}): ${pair.why}`,
        );
    }
}
