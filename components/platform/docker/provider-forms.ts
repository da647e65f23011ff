/**
 * Values in the form terraform-provider-docker v4.5.0 (bundled by @pulumi/docker 5.2)
 * stores back on Read. A value sent in any other form differs on the next `pulumi up`;
 * for a ForceNew field that replaces the container. `tests/docker-read-back.test.ts`
 * holds every field the program sets against these rules.
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

/**
 * Health check durations: read back as Go's time.Duration.String()
 * (resource_docker_container_funcs.go:961): 30 -> "30s", 60 -> "1m0s", 90 -> "1m30s", 3600 -> "1h0m0s".
 */
export function goDuration(seconds: number): string {
    if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`duration must be whole seconds, got ${seconds}`);
    if (seconds === 0) return "0s";
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    if (h > 0) return `${h}h${m}m${s}s`;
    if (m > 0) return `${m}m${s}s`;
    return `${s}s`;
}

/** The first host address of an IPv4 subnet: the gateway Docker would allocate (and, on Engine >= 29, report). */
export function subnetGateway(cidr: string): string {
    const [address, bits] = cidr.split("/");
    const octets = address.split(".").map(Number);
    const value = octets.reduce((acc, o) => acc * 256 + o, 0);
    const size = 2 ** (32 - Number(bits));
    const gateway = Math.floor(value / size) * size + 1;
    return [24, 16, 8, 0].map((shift) => Math.floor(gateway / 2 ** shift) % 256).join(".");
}
