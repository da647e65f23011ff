import { HealthCheck } from "../types";

/** Docker's form of a service health check (no start interval: it needs Docker Engine 25+). */
export function healthcheck(h: HealthCheck) {
    return {
        tests: ["CMD", ...h.command],
        interval: `${h.intervalSeconds}s`,
        timeout: `${h.timeoutSeconds}s`,
        retries: h.retries,
        startPeriod: `${h.startPeriodSeconds}s`,
    };
}

/** How long `pulumi up` waits for healthy: the start period plus every retry, with a margin. */
export function healthTimeoutSeconds(h: HealthCheck): number {
    return h.startPeriodSeconds + (h.intervalSeconds + h.timeoutSeconds) * (h.retries + 1) + 30;
}
