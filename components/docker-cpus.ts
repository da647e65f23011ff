/**
 * How Docker stores a container's CPU count: terraform-provider-docker v4.5.0 (bundled by
 * @pulumi/docker 5.2) sends NanoCPUs and reads `cpus` back as a decimal string. Config
 * validation (a docker stack's `<service>.cpu` must round-trip) and the Docker platform (the
 * `cpus` it sends) both need it, so it lives below both; platform/docker/provider-forms.ts
 * re-exports it with the provider's other read-back forms.
 */

const NANO = 1_000_000_000n;

/**
 * `cpus`: read back as nanoInt64ToDecimalString(NanoCPUs) (internal/provider/helpers.go:133):
 * nine decimals; when the digits hold exactly nine zeros it is printed with one decimal
 * ("2" -> "2.0", "0.05" -> "0.1"), otherwise with trailing zeros trimmed ("10" -> "10.", "0.25" -> "0.25").
 */
export function nanoCpusString(nanoCpus: bigint): string {
    if (nanoCpus === 0n) return "0";
    const whole = nanoCpus / NANO;
    const fraction = (nanoCpus % NANO).toString().padStart(9, "0");
    const nineDecimals = `${whole}.${fraction}`;
    if ((nineDecimals.match(/0/g) ?? []).length === 9) {
        // big.Rat.FloatString(1): rounded half away from zero to one decimal.
        const tenths = (nanoCpus * 10n + NANO / 2n) / NANO;
        return `${tenths / 10n}.${tenths % 10n}`;
    }
    return nineDecimals.replace(/0+$/, "");
}

/** Docker's NanoCPUs for a CPU count, as the provider computes it on create (ParseFloat * 1e9). */
export function nanoCpus(cpu: number): bigint {
    return BigInt(Math.round(cpu * 1e9));
}

/** The `cpus` string to send: the read-back form of the configured count. */
export function dockerCpus(cpu: number): string {
    return nanoCpusString(nanoCpus(cpu));
}

/** True when `cpus` survives the round trip with its value: "0.05" is read back as "0.1" and would change. */
export function cpusRoundTrips(cpu: number): boolean {
    return Number(dockerCpus(cpu)) === cpu;
}

/** The CPU count nearest to `cpu`, in hundredths, that survives the round trip (0.05 -> 0.1). */
export function nearestRoundTripCpus(cpu: number): number {
    const hundredths = Math.round(cpu * 100);
    for (let step = 0; step < 100; step++) {
        for (const candidate of [hundredths + step, hundredths - step]) {
            if (candidate > 0 && cpusRoundTrips(candidate / 100)) return candidate / 100;
        }
    }
    return Math.max(1, Math.round(cpu));
}
