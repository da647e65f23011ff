import { PlatformConfig } from "../config/load";
import { resourcesOf } from "../platform/resources";
import { ServiceSpec } from "../platform/types";
import { PUSHGATEWAY } from "../pushed-metrics";
import { wgetHealth } from "./exporters";

// Its address is known below both the Pushgateway and the jobs that push to it (components/pushed-metrics.ts).
export { PUSHGATEWAY };

const DATA_DIR = "/pushgateway";

/**
 * The Pushgateway: keeps what jobs pushed (on a small volume, so a restart does not silence
 * BackupTooOld until the next backup) and serves it to Prometheus with the jobs' own labels.
 */
export function pushgatewaySpec(c: PlatformConfig): ServiceSpec {
    const port = PUSHGATEWAY.port;
    return {
        name: PUSHGATEWAY.service,
        backupNotNeeded: "last-success times only; every backup job pushes its own again at its next run",
        image: c.pushgateway.image,
        command: [`--persistence.file=${DATA_DIR}/metrics`, "--persistence.interval=1m", `--web.listen-address=:${port}`],
        volumes: [{ name: "data", mountPath: DATA_DIR, sizeGb: 1 }],
        ports: [{ name: "http", port }],
        resources: resourcesOf(c.pushgateway),
        rolloutTimeoutMinutes: c.pushgateway.rolloutTimeoutMinutes,
        healthCheck: wgetHealth(port, "/-/healthy"),
        // The image's nobody user.
        runAs: { uid: 65534, gid: 65534 },
        readOnlyRootFilesystem: true,
        observe: { metrics: { port, path: "/metrics", honorLabels: true } },
    };
}
