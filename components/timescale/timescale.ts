import * as pulumi from "@pulumi/pulumi";
import { backupJobs, BackupSettings } from "../backup/job";
import { TIMESCALE_BACKUP_SCRIPT } from "./backup-script";
import { PlatformConfig } from "../config/load";
import { dataVolumePassword, generatedApiKey } from "../generated-secret";
import { loopbackPort, resourcesOf, stepResources } from "../platform/resources";
import { Platform, ServiceSpec } from "../platform/types";
import { postgresMemory, postgresSharedMemoryMb } from "../tuning";
import { migrationStep } from "../migrations/step";
import { TIMESCALE_MIGRATIONS } from "./migration-plan";
import { MONITOR_PASSWORD_ENV, MONITOR_ROLE, renderMonitorRoleSql } from "./monitor-role-sql";
import { renderObservabilityPolicies } from "./policies-sql";

export const POSTGRES_PORT = 5432;
const MAX_CONNECTIONS = 200;
/** The Alpine-based image's postgres user; its entrypoint runs initdb as it when started so. */
const POSTGRES_USER = { uid: 70, gid: 70 };

export interface TimescaleArgs {
    readonly config: PlatformConfig["timescale"];
    readonly backup: BackupSettings;
    readonly platform: Platform;
    /** Create a `pg_monitor` login for the metrics exporter and declare the exporter. */
    readonly monitoring?: boolean;
}

/** PostgreSQL flags derived from the container's memory limit, applied at every start. */
export function postgresFlags(memoryMb: number): string[] {
    const m = postgresMemory(memoryMb, MAX_CONNECTIONS);
    const settings: Record<string, string> = {
        shared_preload_libraries: "timescaledb",
        max_connections: String(MAX_CONNECTIONS),
        shared_buffers: `${m.sharedBuffersMb}MB`,
        effective_cache_size: `${m.effectiveCacheSizeMb}MB`,
        maintenance_work_mem: `${m.maintenanceWorkMemMb}MB`,
        work_mem: `${m.workMemMb}MB`,
        "timescaledb.telemetry_level": "off",
    };
    return Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
}

/** TimescaleDB holding the LLM observability data: traces, metrics and logs. */
export class Timescale extends pulumi.ComponentResource {
    readonly host: string;
    readonly port = POSTGRES_PORT;
    readonly database: string;
    readonly user = "postgres";
    /** Secret. */
    readonly password: pulumi.Output<string>;

    constructor(name: string, args: TimescaleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("llm-platform:data:Timescale", name, {}, opts);
        const c = args.config;
        this.database = c.database;
        this.password = dataVolumePassword(`${name}-password`, this);
        const monitorPassword = args.monitoring ? generatedApiKey(`${name}-monitor-password`, this, 32) : undefined;

        const spec: ServiceSpec = {
            name,
            image: c.image,
            command: ["postgres", ...postgresFlags(c.memoryMb)],
            env: {
                POSTGRES_USER: this.user,
                POSTGRES_DB: c.database,
                // Our flags replace timescaledb-tune, which would tune once, from the host's memory.
                NO_TS_TUNE: "true",
                PGDATA: "/var/lib/postgresql/data/pgdata",
            },
            secretEnv: { POSTGRES_PASSWORD: this.password },
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
                    ? { kind: "postgres", target: `${name}:${POSTGRES_PORT}`, user: MONITOR_ROLE, password: monitorPassword, database: c.database }
                    : undefined,
                probes: [{ name: "port", module: "tcp", target: `${name}:${POSTGRES_PORT}` }],
                logFormat: "postgres",
            },
            initSteps: [
                // The schema as versioned changes; the policies that follow the configuration after each deploy.
                migrationStep({
                    plan: TIMESCALE_MIGRATIONS,
                    target: { host: name, port: POSTGRES_PORT, database: c.database, user: this.user, password: this.password },
                    adopt: { to: "@init-steps", evidence: "llm_traces" },
                    afterDeploy: renderObservabilityPolicies({
                        tracesRetentionDays: c.tracesRetentionDays,
                        metricsRetentionDays: c.metricsRetentionDays,
                        logsRetentionDays: c.logsRetentionDays,
                        compressAfterDays: c.compressAfterDays,
                    }),
                    backupFirst: args.backup.enabled ? "full" : undefined,
                }),
                ...(monitorPassword
                    ? [
                          {
                              name: "monitor-role",
                              image: c.image,
                              entrypoint: ["psql"],
                              command: ["-h", name, "-U", this.user, "-d", c.database, "-v", "ON_ERROR_STOP=1", "-f", "/tmp/llm-platform-monitor.sql"],
                              secretEnv: { PGPASSWORD: this.password, [MONITOR_PASSWORD_ENV]: monitorPassword },
                              files: [{ path: "/tmp/llm-platform-monitor.sql", content: renderMonitorRoleSql() }],
                              resources: stepResources,
                              runAs: POSTGRES_USER,
                          },
                      ]
                    : []),
            ],
            backups: backupJobs(args.backup, [
                {
                    name: "full",
                    image: c.image,
                    script: TIMESCALE_BACKUP_SCRIPT,
                    env: { PGHOST: name, PGUSER: this.user, PGDATABASE: c.database },
                    secretEnv: { PGPASSWORD: this.password },
                },
            ]),
        };
        this.host = args.platform.deploy(spec, this).host;
        this.registerOutputs({ host: this.host });
    }

    /** libpq URI for a client that reaches the database at `hostPort`. */
    connectionString(hostPort: string): pulumi.Output<string> {
        return pulumi.secret(
            pulumi.interpolate`postgresql://${this.user}:${this.password}@${hostPort}/${this.database}?sslmode=prefer`,
        );
    }
}
