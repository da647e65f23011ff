import { HealthCheck } from "../types";
import { goDuration } from "./provider-forms";

/** Docker's form of a service health check (no start interval: it needs Docker Engine 25+). */
export function healthcheck(h: HealthCheck) {
    return {
        tests: ["CMD", ...h.command],
        // Durations as the provider reads them back (Go's Duration.String: 60 -> "1m0s").
        interval: goDuration(h.intervalSeconds),
        timeout: goDuration(h.timeoutSeconds),
        retries: h.retries,
        startPeriod: goDuration(h.startPeriodSeconds),
    };
}

/** How long `pulumi up` waits for healthy: the start period plus every retry, with a margin. */
export function healthTimeoutSeconds(h: HealthCheck): number {
    return h.startPeriodSeconds + (h.intervalSeconds + h.timeoutSeconds) * (h.retries + 1) + 30;
}
