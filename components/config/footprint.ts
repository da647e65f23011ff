import { BACKUP_SCHEDULER_SIZE, JVM_STEP_SIZE, Sizing, STEP_SIZE } from "./presets";
import type { MaintenanceConfig } from "./maintenance";
import type { RotationConfig } from "./rotation";
import { appResources, appServiceName } from "./apps";
import { serviceNames } from "./schema";

/** Why a container runs: the machine holds services, node agents and schedulers all the time, steps during `up`. */
export type ContainerRole = "service" | "node-agent" | "backup" | "tasks" | "init";

/** One container of a Docker stack as the config sizes it. */
export interface SizedContainer extends Sizing {
    /** The container's logical name (`sqlserver`, `timescale-exporter`, `redis-backup-full`, ...). */
    readonly name: string;
    readonly role: ContainerRole;
    /** The config object whose cpu/memoryMb size it; undefined for fixed sizes (steps, schedulers). */
    readonly sizedBy?: string;
}

type Sized = Readonly<Record<string, Sizing>>;

/** What the footprint reads of a stack's config: which parts run, and how large each is. */
export interface FootprintConfig {
    readonly observability: { readonly metrics: boolean; readonly logs: boolean };
    readonly backup: { readonly enabled: boolean };
    readonly maintenance: MaintenanceConfig;
    readonly rotation: RotationConfig;
    readonly services: Sized;
    /** The apps (`apps` config): those the platform runs, and whether any has a database on TimescaleDB. */
    readonly apps?: { readonly run: readonly ({ readonly name: string } & Sizing)[]; readonly timescaleDatabases: boolean; readonly sqlserverLogins?: boolean };
}

/**
 * Every container a Docker stack of this config runs, before any exists, so validation can
 * hold the whole stack against the engine: the services (and node agents), the backup
 * schedulers beside the stores, and the one-shot steps, which run while the services run
 * (each after its service is healthy, independent ones at the same time) on every `up`
 * whose inputs they depend on; a store's maintenance runs in its backup scheduler, or in a
 * `<store>-tasks` scheduler of its own when backups are off; a rotation in progress adds the
 * step that changes a stored password. The program registers exactly these (tests/footprint.test.ts
 * holds the two equal for every preset and observability/backup combination).
 */
export function dockerFootprint(c: FootprintConfig): SizedContainer[] {
    const { metrics, logs } = c.observability;
    const containers: SizedContainer[] = [];
    const service = (name: string, sizedBy: string, role: ContainerRole = "service") => containers.push({ name, role, sizedBy, ...pick(c.services[sizedBy]) });
    const step = (name: string, size: Sizing = STEP_SIZE) => containers.push({ name, role: "init", ...size });
    const scheduler = (store: string, kind: string) => {
        if (c.backup.enabled) containers.push({ name: `${store}-backup-${kind}`, role: "backup", ...BACKUP_SCHEDULER_SIZE });
    };
    // Maintenance without a backup scheduler to run in (the tasks' size: components/backup/tasks.ts taskResources).
    const m = c.maintenance;
    const tasks = (store: string, ...schedules: unknown[]) => {
        if (!c.backup.enabled && m.enabled && schedules.some((s) => s !== undefined)) containers.push({ name: `${store}-tasks`, role: "tasks", ...BACKUP_SCHEDULER_SIZE });
    };
    const rotating = (...secrets: string[]) => secrets.some((s) => (c.rotation[s]?.generation ?? 0) > 0);

    service("ollama", "ollama");
    step("ollama-pull-embedding-model");
    step("ollama-pull-chat-model");
    service("proxy", "proxy");
    service("sqlserver", "sqlserver");
    if (rotating("sqlserver-sa-password", "sqlserver-master-key-password")) step("sqlserver-rotate-credentials");
    step("sqlserver-settings");
    // Liquibase (components/migrations/step.ts).
    step("sqlserver-migrate", JVM_STEP_SIZE);
    if (c.apps?.sqlserverLogins) step("sqlserver-app-logins");
    scheduler("sqlserver", "full");
    scheduler("sqlserver", "log");
    tasks("sqlserver", m.sqlserverIntegrityCheck, m.sqlserverIndexes);
    service("timescale", "timescale");
    if (rotating("timescale-password")) step("timescale-rotate-password");
    step("timescale-migrate");
    if (c.apps?.timescaleDatabases) step("timescale-app-roles");
    scheduler("timescale", "full");
    tasks("timescale", m.postgresAnalyze, m.postgresBloatCheck);
    service("redis", "redis");
    scheduler("redis", "full");
    service("qdrant", "qdrant");
    step("qdrant-collection");
    scheduler("qdrant", "snapshot");
    tasks("qdrant", m.qdrantOptimize);
    if (metrics) {
        // The stores' monitoring logins, and an exporter for each service that serves no metrics itself.
        step("sqlserver-monitor-login");
        step("timescale-monitor-role");
        service("sqlserver-exporter", "sqlExporter");
        service("timescale-exporter", "postgresExporter");
        service("redis-exporter", "redisExporter");
        service("proxy-exporter", "nginxExporter");
        if (logs) service("elasticsearch-exporter", "elasticsearchExporter");
        service("node-exporter", "nodeExporter", "node-agent");
        service("cadvisor", "cadvisor", "node-agent");
        service("blackbox-exporter", "blackboxExporter");
        service("alertmanager", "alertmanager");
        service("prometheus", "prometheus");
        service("grafana", "grafana");
        if (rotating("grafana-admin-password")) step("grafana-rotate-admin-password");
    }
    if (logs) {
        service("elasticsearch", "elasticsearch");
        step("elasticsearch-setup");
        service("logstash", "logstash");
        service("kibana", "kibana");
        step("kibana-data-view");
        service("fluent-bit", "fluentBit", "node-agent");
    }
    for (const app of c.apps?.run ?? []) containers.push({ name: appServiceName(app.name), role: "service", ...pick(app) });
    return containers;
}

/** What the footprint reads of an app. */
interface FootprintApp {
    readonly name: string;
    readonly upstream: { readonly image?: string; readonly cpu?: number; readonly memoryMb?: number; readonly cpuReservation?: number; readonly memoryReservationMb?: number };
    readonly databases: { readonly postgres?: { readonly store: string }; readonly sqlserver?: unknown };
}

/** What the footprint reads of a validated config (reservations resolved). */
export function footprintConfigOf(
    c: Pick<FootprintConfig, "observability" | "backup" | "maintenance" | "rotation"> & { readonly apps?: readonly FootprintApp[] } & { readonly [service: string]: unknown },
): FootprintConfig {
    const apps = c.apps ?? [];
    return {
        apps: {
            run: apps.filter((a) => a.upstream.image !== undefined).map((a) => ({ name: a.name, ...appResources(a.upstream) })),
            timescaleDatabases: apps.some((a) => a.databases.postgres?.store === "timescale"),
            sqlserverLogins: apps.some((a) => a.databases.sqlserver !== undefined),
        },
        observability: c.observability,
        backup: c.backup,
        maintenance: c.maintenance,
        rotation: c.rotation,
        services: Object.fromEntries(serviceNames.map((n) => [n, c[n] as Sizing])),
    };
}

function pick(s: Sizing): Sizing {
    return { cpu: s.cpu, memoryMb: s.memoryMb, cpuReservation: s.cpuReservation, memoryReservationMb: s.memoryReservationMb };
}

export interface Totals {
    readonly containers: number;
    readonly cpu: number;
    readonly cpuReservation: number;
    readonly memoryMb: number;
    readonly memoryReservationMb: number;
}

/** Sums of limits and reservations. CPUs rounded to thousandths (0.1 + 0.2 is not 0.3 in floating point). */
export function totalsOf(containers: readonly Sizing[]): Totals {
    const sum = (f: (s: Sizing) => number) => containers.reduce((total, s) => total + f(s), 0);
    const cores = (n: number) => Math.round(n * 1000) / 1000;
    return {
        containers: containers.length,
        cpu: cores(sum((s) => s.cpu)),
        cpuReservation: cores(sum((s) => s.cpuReservation)),
        memoryMb: sum((s) => s.memoryMb),
        memoryReservationMb: sum((s) => s.memoryReservationMb),
    };
}

/** The footprint in the groups people ask about: what runs all the time, what `up` adds, and both. */
export interface FootprintTotals {
    /** Services and node agents. */
    readonly services: Totals;
    /** Backup and task schedulers: long-running, mostly asleep. */
    readonly backups: Totals;
    /** One-shot steps: during `up`, beside everything else. */
    readonly steps: Totals;
    /** Everything at once: what must fit the engine. */
    readonly atOnce: Totals;
}

export function footprintTotals(containers: readonly SizedContainer[]): FootprintTotals {
    return {
        services: totalsOf(containers.filter((c) => c.role === "service" || c.role === "node-agent")),
        backups: totalsOf(containers.filter((c) => c.role === "backup" || c.role === "tasks")),
        steps: totalsOf(containers.filter((c) => c.role === "init")),
        atOnce: totalsOf(containers),
    };
}

/** `31584 MB (30.8 GB)`: the form every sizing statement uses. */
export function describeMb(mb: number): string {
    return `${mb} MB (${(mb / 1024).toFixed(1)} GB)`;
}
