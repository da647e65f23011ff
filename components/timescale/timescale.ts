import * as pulumi from "@pulumi/pulumi";
import { backupJobs, BackupSettings } from "../backup/job";
import { DrillSettings, drillTasks, maintenanceTasks, MaintenanceSettings } from "../backup/tasks";
import { TIMESCALE_BACKUP_SCRIPT } from "./backup-script";
import { PlatformConfig } from "../config/load";
import { dataVolumePassword, generatedApiKey, Rotations, rotatingSecret } from "../generated-secret";
import { loopbackPort, resourcesOf, stepResources } from "../platform/resources";
import { Platform, ServiceSpec } from "../platform/types";
import { postgresMemory, postgresSharedMemoryMb } from "../tuning";
import { migrationStep } from "../migrations/step";
import { diagnosticsSettings, renderDiagnosticsSql } from "./diagnostics-sql";
import { POSTGRES_ANALYZE_SCRIPT, POSTGRES_BLOAT_SCRIPT } from "./maintenance-scripts";
import { TIMESCALE_MIGRATIONS } from "./migration-plan";
import { AppDatabaseRole, renderAppRolesSql } from "./app-roles-sql";
import { MONITOR_PASSWORD_ENV, MONITOR_ROLE, renderMonitorRoleSql } from "./monitor-role-sql";
import { renderObservabilityPolicies } from "./policies-sql";
import { TIMESCALE_ROTATE_PASSWORD_SCRIPT } from "./rotate-password-script";
import { ServerTls } from "../tls/certificates";
import { libpqVerifyFull, STORE_CA_PATH } from "../tls/store-clients";
import { POSTGRES_TLS_PATHS, postgresTlsEntrypoint, postgresTlsSettings, renderPgHba } from "./postgres-tls";

export const POSTGRES_PORT = 5432;
const MAX_CONNECTIONS = 200;
/** The Alpine-based image's postgres user; its entrypoint runs initdb as it when started so. */
export const POSTGRES_USER = { uid: 70, gid: 70 };

export interface TimescaleArgs {
    readonly config: PlatformConfig["timescale"];
    readonly backup: BackupSettings & DrillSettings;
    readonly maintenance: MaintenanceSettings & Pick<PlatformConfig["maintenance"], "postgresAnalyze" | "postgresBloatCheck" | "bloatPercent" | "bloatMinDeadRows">;
    readonly platform: Platform;
    /** Create a `pg_monitor` login for the metrics exporter and declare the exporter. */
    readonly monitoring?: boolean;
    /** The generations of its secrets (`rotation` config). */
    readonly rotations?: Rotations;
    /** The apps' own databases and logins (`apps[].databases.postgres` on `timescale`), each password by its env var. Secret. */
    readonly appDatabases?: { readonly roles: readonly AppDatabaseRole[]; readonly passwords: Readonly<Record<string, pulumi.Output<string>>> };
    /** The server's certificate, with every name clients use, from the platform's CA: TCP clients get TLS only, and verify it. */
    readonly tls: ServerTls;
}

/** Loaded at start: TimescaleDB, and the statement statistics the diagnostics read. */
const PRELOAD_LIBRARIES = ["timescaledb", "pg_stat_statements"];
/** The operand image's postgres user (CloudNativePG's cluster chart sets the same for it). */
const CLUSTER_POSTGRES_USER = { uid: 1000, gid: 1000 };
/** A primary and two standbys: one synchronous standby in another zone survives a zone loss without losing a commit. */
const CLUSTER_INSTANCES = 3;

/** PostgreSQL settings derived from the container's memory limit (and the slow-query threshold). */
export function postgresSettings(memoryMb: number, slowQueryMs: number): Record<string, string> {
    const m = postgresMemory(memoryMb, MAX_CONNECTIONS);
    return {
        max_connections: String(MAX_CONNECTIONS),
        shared_buffers: `${m.sharedBuffersMb}MB`,
        effective_cache_size: `${m.effectiveCacheSizeMb}MB`,
        maintenance_work_mem: `${m.maintenanceWorkMemMb}MB`,
        work_mem: `${m.workMemMb}MB`,
        "timescaledb.telemetry_level": "off",
        ...diagnosticsSettings(slowQueryMs),
    };
}

/** The settings as flags, applied at every start of the single server, which serves TLS with the files at POSTGRES_TLS_PATHS. */
export function postgresFlags(memoryMb: number, slowQueryMs: number): string[] {
    const settings = { shared_preload_libraries: PRELOAD_LIBRARIES.join(","), ...postgresSettings(memoryMb, slowQueryMs), ...postgresTlsSettings() };
    return Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
}

/** TimescaleDB holding the LLM observability data: traces, metrics and logs. */
export class Timescale extends pulumi.ComponentResource {
    readonly host: string;
    readonly port = POSTGRES_PORT;
    readonly database: string;
    readonly user = "postgres";
    /** The CA clients verify the server's certificate with (`sslmode=verify-full`). */
    readonly caCertPem: pulumi.Input<string>;
    /** Secret. */
    readonly password: pulumi.Output<string>;
    /** Done once every step has run (the apps' roles among them). */
    readonly initialized: readonly pulumi.Resource[];

    constructor(name: string, args: TimescaleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("llm-platform:data:Timescale", name, {}, opts);
        const c = args.config;
        this.database = c.database;
        this.caCertPem = args.tls.caCertPem;
        // Every libpq client (steps, backups, tasks) checks the server's name and chain.
        const verify = libpqVerifyFull(args.tls.caCertPem);
        const rotations = args.rotations ?? {};
        const owner = rotatingSecret(`${name}-password`, rotations, "login", (n) => dataVolumePassword(n, this));
        this.password = owner.current;
        const monitorPassword = args.monitoring ? rotatingSecret(`${name}-monitor-password`, rotations, "none", (n) => generatedApiKey(n, this, 32)).current : undefined;
        // A rotation in progress: a step changes the stored password before the others log in with it.
        const afterRotation = owner.previous ? { afterStep: "rotate-password" } : {};
        // libpq's environment: the database owner, as the backups use it.
        const client = { env: { PGHOST: name, PGUSER: this.user, PGDATABASE: c.database, ...verify.env }, secretEnv: { PGPASSWORD: this.password }, files: verify.files };
        // The apps' databases are in the same backups, a dump each.
        const appDatabases = (args.appDatabases?.roles ?? []).map((r) => r.database);
        const backups = backupJobs(args.backup, [
            { name: "full", image: c.image, script: TIMESCALE_BACKUP_SCRIPT, ...client, env: { ...client.env, ...(appDatabases.length > 0 ? { APP_DATABASES: appDatabases.join(" ") } : {}) } },
        ]);
        const m = args.maintenance;

        const spec: ServiceSpec = {
            name,
            replicatedPostgres:
                c.engine === "cloudnativepg"
                    ? {
                          instances: CLUSTER_INSTANCES,
                          image: c.clusterImage,
                          runAs: CLUSTER_POSTGRES_USER,
                          database: c.database,
                          superuser: this.user,
                          superuserPassword: this.password,
                          preloadLibraries: PRELOAD_LIBRARIES,
                          settings: postgresSettings(c.memoryMb, c.slowQueryMs),
                          storageGb: c.storageGb,
                          sizedBy: "timescale.storageGb",
                          baseBackupDailyAtUtc: args.backup.fullDailyAtUtc,
                          retentionDays: args.backup.retentionDays,
                          tls: args.tls,
                      }
                    : undefined,
            image: c.image,
            entrypoint: postgresTlsEntrypoint(),
            command: ["postgres", ...postgresFlags(c.memoryMb, c.slowQueryMs)],
            env: {
                POSTGRES_USER: this.user,
                POSTGRES_DB: c.database,
                // Our flags replace timescaledb-tune, which would tune once, from the host's memory.
                NO_TS_TUNE: "true",
                PGDATA: "/var/lib/postgresql/data/pgdata",
            },
            secretEnv: { POSTGRES_PASSWORD: this.password },
            // The key is copied to the server's own file at each start (postgresTlsEntrypoint): a new certificate rolls the server.
            files: [
                { path: POSTGRES_TLS_PATHS.certFile, content: args.tls.certPem, mode: "0644" },
                { path: POSTGRES_TLS_PATHS.mountedKeyFile, content: args.tls.keyPem, secret: true, mode: "0644" },
                { path: POSTGRES_TLS_PATHS.hbaFile, content: renderPgHba(), mode: "0644" },
            ],
            volumes: [{ name: "data", mountPath: "/var/lib/postgresql/data", sizeGb: c.storageGb, sizedBy: "timescale.storageGb" }],
            ports: [loopbackPort("postgres", POSTGRES_PORT, c.hostPort)],
            resources: resourcesOf(c),
            rolloutTimeoutMinutes: c.rolloutTimeoutMinutes,
            runAs: POSTGRES_USER,
            // PostgreSQL writes its data, /tmp and its socket directory, nothing else.
            readOnlyRootFilesystem: true,
            scratchPaths: ["/var/run/postgresql"],
            healthCheck: {
                command: ["pg_isready", "-h", "127.0.0.1", "-U", this.user, "-d", c.database],
                intervalSeconds: 10,
                timeoutSeconds: 5,
                retries: 6,
                startPeriodSeconds: 20,
            },
            sharedMemoryMb: postgresSharedMemoryMb(c.memoryMb),
            stopGraceSeconds: 60,
            observe: {
                exporter: monitorPassword
                    ? { kind: "postgres", target: `${name}:${POSTGRES_PORT}`, user: MONITOR_ROLE, password: monitorPassword, database: c.database, caCertPem: args.tls.caCertPem }
                    : undefined,
                probes: [{ name: "port", module: "tcp", target: `${name}:${POSTGRES_PORT}` }],
                logFormat: "postgres",
            },
            initSteps: [
                ...(owner.previous
                    ? [
                          {
                              name: "rotate-password",
                              image: c.image,
                              entrypoint: ["/bin/sh", "/tmp/llm-platform-rotate.sh"],
                              command: [],
                              env: client.env,
                              secretEnv: { PGPASSWORD: owner.current, PGPASSWORD_PREVIOUS: owner.previous },
                              files: [{ path: "/tmp/llm-platform-rotate.sh", content: TIMESCALE_ROTATE_PASSWORD_SCRIPT, mode: "0755" }, ...verify.files],
                              resources: stepResources,
                              runAs: POSTGRES_USER,
                          },
                      ]
                    : []),
                // The schema as versioned changes; the policies that follow the configuration after each deploy.
                {
                    ...migrationStep({
                        plan: TIMESCALE_MIGRATIONS,
                        target: { host: name, port: POSTGRES_PORT, database: c.database, user: this.user, password: this.password, sslMode: "verify-full", caCertPem: args.tls.caCertPem },
                        adopt: { to: "@init-steps", evidence: "llm_traces" },
                        // The policies follow the configuration; pg_stat_statements follows shared_preload_libraries.
                    afterDeploy:
                            renderObservabilityPolicies({
                                tracesRetentionDays: c.tracesRetentionDays,
                                metricsRetentionDays: c.metricsRetentionDays,
                                logsRetentionDays: c.logsRetentionDays,
                                compressAfterDays: c.compressAfterDays,
                            }) + renderDiagnosticsSql(),
                        backupFirst: args.backup.enabled ? "full" : undefined,
                    }),
                    ...afterRotation,
                },
                ...(monitorPassword
                    ? [
                          {
                              name: "monitor-role",
                              ...afterRotation,
                              image: c.image,
                              entrypoint: ["psql"],
                              command: ["-h", name, "-U", this.user, "-d", c.database, "-v", "ON_ERROR_STOP=1", "-f", "/tmp/llm-platform-monitor.sql"],
                              env: verify.env,
                              secretEnv: { PGPASSWORD: this.password, [MONITOR_PASSWORD_ENV]: monitorPassword },
                              files: [{ path: "/tmp/llm-platform-monitor.sql", content: renderMonitorRoleSql() }, ...verify.files],
                              resources: stepResources,
                              runAs: POSTGRES_USER,
                          },
                      ]
                    : []),
                ...(args.appDatabases && args.appDatabases.roles.length > 0
                    ? [
                          {
                              name: "app-roles",
                              ...afterRotation,
                              image: c.image,
                              entrypoint: ["psql"],
                              command: ["-h", name, "-U", this.user, "-d", c.database, "-v", "ON_ERROR_STOP=1", "-f", "/tmp/llm-platform-app-roles.sql"],
                              env: verify.env,
                              secretEnv: { PGPASSWORD: this.password, ...args.appDatabases.passwords },
                              files: [{ path: "/tmp/llm-platform-app-roles.sql", content: renderAppRolesSql(args.appDatabases.roles) }, ...verify.files],
                              resources: stepResources,
                              runAs: POSTGRES_USER,
                          },
                      ]
                    : []),
            ],
            backups,
            scheduledTasks: [
                ...maintenanceTasks(m, [
                    { name: "analyze", schedule: m.postgresAnalyze, image: c.image, script: POSTGRES_ANALYZE_SCRIPT, failureSeverity: "warning", ...client },
                    {
                        name: "bloat-check",
                        schedule: m.postgresBloatCheck,
                        image: c.image,
                        script: POSTGRES_BLOAT_SCRIPT,
                        failureSeverity: "warning",
                        env: { ...client.env, BLOAT_PERCENT: String(m.bloatPercent), BLOAT_MIN_DEAD_ROWS: String(m.bloatMinDeadRows) },
                        secretEnv: client.secretEnv,
                        files: client.files,
                    },
                ]),
                // pg_restore into a scratch database: a client, streaming.
                ...drillTasks(args.backup, backups, { cpu: 1, memoryMb: 512, cpuReservation: 0.1, memoryReservationMb: 64 }),
            ],
        };
        const deployed = args.platform.deploy(spec, this);
        this.host = deployed.host;
        this.initialized = deployed.initialized;
        this.registerOutputs({ host: this.host });
    }

    /**
     * libpq URI for a client that reaches the database at `hostPort` (a name in the certificate) and
     * keeps the CA at `caPath` (the stack's `caCertificatePem` output saved; in the platform's
     * containers, the mounted STORE_CA_PATH).
     */
    connectionString(hostPort: string, caPath = STORE_CA_PATH): pulumi.Output<string> {
        return pulumi.secret(
            pulumi.interpolate`postgresql://${this.user}:${this.password}@${hostPort}/${this.database}?sslmode=verify-full&sslrootcert=${encodeURIComponent(caPath)}`,
        );
    }
}
