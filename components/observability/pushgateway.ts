import { PlatformConfig } from "../config/load";
import { resourcesOf } from "../platform/resources";
import { ServiceSpec } from "../platform/types";
import { BACKUP_METRIC } from "./alert-rules";
import { metricsHealth } from "./exporters";

/**
 * Where backup jobs on Kubernetes report their last success, for BackupTooOld. A job pushes
 *   <BACKUP_METRIC> <unix seconds>
 * with `PUT http://pushgateway:9091/metrics/job/llm-platform-backup/store/<store>/kind/<kind>`
 * (components/backup/transfer.ts); its pod carries the talks-to label of
 * PUSHGATEWAY.service (flows.ts `talksToLabel`), which the Pushgateway's NetworkPolicy admits.
 */
export const PUSHGATEWAY = {
    service: "pushgateway",
    port: 9091,
    /** The grouping key's job: every backup pushes under it, one group per store and kind. */
    backupJob: "llm-platform-backup",
    metric: BACKUP_METRIC,
} as const;

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
        healthCheck: metricsHealth(["wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${port}/-/healthy`], port, "/-/healthy"),
        // The image's nobody user.
        runAs: { uid: 65534, gid: 65534 },
        readOnlyRootFilesystem: true,
        observe: { metrics: { port, path: "/metrics", honorLabels: true } },
    };
}
