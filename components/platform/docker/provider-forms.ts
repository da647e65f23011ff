/**
 * Values in the form terraform-provider-docker v4.5.0 (bundled by @pulumi/docker 5.2)
 * stores back on Read. A value sent in any other form differs on the next `pulumi up`;
 * for a ForceNew field that replaces the container. `tests/docker-read-back.test.ts`
 * holds every field the program sets against these rules.
 */

// The CPU count's form is needed by config validation too: it lives below both (components/docker-cpus.ts).
export { cpusRoundTrips, dockerCpus, nanoCpus, nanoCpusString, nearestRoundTripCpus } from "../../docker-cpus";

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
