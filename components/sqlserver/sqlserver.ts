import * as pulumi from "@pulumi/pulumi";
import { backupJobs, BackupSettings } from "../backup/job";
import { SQLSERVER_BACKUP_SCRIPT } from "./backup-script";
import { PlatformConfig } from "../config/load";
import { dataVolumePassword, generatedPassword } from "../generated-secret";
import { loopbackPort, resourcesOf, stepResources } from "../platform/resources";
import { Platform, ServiceSpec } from "../platform/types";
import { sqlServerMemoryLimitMb } from "../tuning";
import { migrationStep } from "../migrations/step";
import { SQLSERVER_MIGRATIONS } from "./migration-plan";
import { renderSqlSettings } from "./settings-sql";
import { MONITOR_LOGIN, renderMonitorLoginSql } from "./monitor-login-sql";

/**
 * SQL Server's first start creates the system databases, and the first start on a new CU runs
 * its upgrade scripts over every database before it accepts logins; the image is over 1.5 GB.
 */
const SQLSERVER_ROLLOUT_MINUTES = 20;

export const SQLSERVER_PORT = 1433;
const SQLCMD = "/opt/mssql-tools18/bin/sqlcmd";
/** SQL Server on Linux loads PEM files from here at startup to trust outbound TLS peers. */
export const SQLSERVER_CA_DIR = "/var/opt/mssql/security/ca-certificates";
export const EXTERNAL_MODEL_NAME = "ollama_embeddings";
/** The images run as mssql (uid 10001). */
const MSSQL_USER = { uid: 10001, gid: 10001 };

export interface SqlServerArgs {
    readonly config: PlatformConfig["sqlserver"];
    readonly backup: BackupSettings & { readonly sqlserverLogEveryMinutes: number };
    readonly embeddingModel: string;
    readonly embeddingDimensions: number;
    /** Ollama's embed API behind the TLS proxy, e.g. `https://proxy/api/embed`. */
    readonly embedUrl: string;
    /** The CA that signed the proxy's certificate: SQL Server must trust it. */
    readonly caCertPem: pulumi.Input<string>;
    /** The proxy's API key for SQL Server (secret). */
    readonly apiKey: pulumi.Input<string>;
    readonly platform: Platform;
    /** Create a least-privilege login for the metrics exporter and declare the exporter. */
    readonly monitoring?: boolean;
}

/**
 * SQL Server 2025 with a vector table, a DiskANN index and an external embedding
 * model that calls Ollama through the TLS proxy.
 */
export class SqlServer extends pulumi.ComponentResource {
    readonly host: string;
    readonly port = SQLSERVER_PORT;
    /** Secret. */
    readonly saPassword: pulumi.Output<string>;
    readonly database: string;

    constructor(name: string, args: SqlServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("llm-platform:data:SqlServer", name, {}, opts);
        const c = args.config;
        this.saPassword = dataVolumePassword(`${name}-sa-password`, this);
        // The master key lives in the data volume, so its password must outlive a destroy as the volume does.
        const masterKeyPassword = dataVolumePassword(`${name}-master-key-password`, this);
        this.database = c.database;
        const monitorPassword = args.monitoring ? generatedPassword(`${name}-monitor-password`, this) : undefined;
        const settingsSql = pulumi.all([args.apiKey, masterKeyPassword]).apply(([apiKey, masterKey]) =>
            renderSqlSettings({
                database: c.database,
                dimensions: args.embeddingDimensions,
                embedUrl: args.embedUrl,
                embeddingModel: args.embeddingModel,
                modelName: EXTERNAL_MODEL_NAME,
                vectorIndexMinRows: c.vectorIndexMinRows,
                apiKey,
                masterKeyPassword: masterKey,
            }),
        );

        // SQL Server writes BACKUP files itself, into the backups it mounts where its scheduler does.
        const backup = {
            image: c.image,
            script: SQLSERVER_BACKUP_SCRIPT,
            env: { SQLSERVER: `${name},${SQLSERVER_PORT}`, DATABASE: c.database },
            secretEnv: { SQLCMDPASSWORD: this.saPassword },
            serviceWritesBackups: true,
        };
        const spec: ServiceSpec = {
            name,
            image: c.image,
            env: {
                ACCEPT_EULA: "Y",
                MSSQL_PID: c.edition,
                MSSQL_MEMORY_LIMIT_MB: String(sqlServerMemoryLimitMb(c.memoryMb)),
                MSSQL_TCP_PORT: String(SQLSERVER_PORT),
            },
            // SQLCMDPASSWORD lets the health check log in without the password on its command line.
            secretEnv: { MSSQL_SA_PASSWORD: this.saPassword, SQLCMDPASSWORD: this.saPassword },
            files: [{ path: `${SQLSERVER_CA_DIR}/llm-platform-ca.crt`, content: args.caCertPem, mode: "0644" }],
            volumes: [{ name: "data", mountPath: "/var/opt/mssql", sizeGb: c.storageGb, sizedBy: "sqlserver.storageGb" }],
            ports: [loopbackPort("tds", SQLSERVER_PORT, c.hostPort)],
            resources: resourcesOf(c),
            rolloutTimeoutMinutes: c.rolloutTimeoutMinutes ?? SQLSERVER_ROLLOUT_MINUTES,
            // The image's mssql user; its external model calls Ollama through the proxy.
            runAs: MSSQL_USER,
            talksTo: [new URL(args.embedUrl).hostname],
            healthCheck: {
                command: [SQLCMD, "-S", "localhost", "-U", "sa", "-C", "-b", "-l", "5", "-Q", "SELECT 1"],
                intervalSeconds: 10,
                timeoutSeconds: 8,
                retries: 10,
                startPeriodSeconds: 30,
            },
            // A clean shutdown checkpoints every database.
            stopGraceSeconds: 60,
            initSteps: [
                // The database, its settings and the external model; the migrations connect to that database.
                {
                    name: "settings",
                    image: c.image,
                    entrypoint: [SQLCMD],
                    command: ["-S", `${name},${SQLSERVER_PORT}`, "-U", "sa", "-C", "-b", "-l", "30", "-i", "/tmp/llm-platform-settings.sql"],
                    secretEnv: { SQLCMDPASSWORD: this.saPassword },
                    files: [
                        // Holds the API key and the master key password.
                        { path: "/tmp/llm-platform-settings.sql", content: settingsSql, secret: true, mode: "0600" },
                    ],
                    resources: stepResources,
                    runAs: MSSQL_USER,
                },
                {
                    ...migrationStep({
                        plan: SQLSERVER_MIGRATIONS,
                        target: { host: name, port: SQLSERVER_PORT, database: c.database, user: "sa", password: this.saPassword },
                        adopt: { to: "init-steps", evidence: "documents" },
                        parameters: { embedding_dimensions: args.embeddingDimensions },
                        backupFirst: args.backup.enabled ? "full" : undefined,
                    }),
                    // The settings step creates the database it connects to.
                    afterStep: "settings",
                },
                ...(monitorPassword
                    ? [
                          {
                              name: "monitor-login",
                              image: c.image,
                              entrypoint: [SQLCMD],
                              command: ["-S", `${name},${SQLSERVER_PORT}`, "-U", "sa", "-C", "-b", "-l", "30", "-i", "/tmp/llm-platform-monitor.sql"],
                              // sqlcmd reads environment variables as scripting variables: $(MONITOR_PASSWORD).
                              secretEnv: { SQLCMDPASSWORD: this.saPassword, MONITOR_PASSWORD: monitorPassword },
                              files: [{ path: "/tmp/llm-platform-monitor.sql", content: renderMonitorLoginSql() }],
                              resources: stepResources,
                              runAs: MSSQL_USER,
                          },
                      ]
                    : []),
            ],
            observe: {
                exporter: monitorPassword
                    ? { kind: "mssql", target: `${name}:${SQLSERVER_PORT}`, user: MONITOR_LOGIN, password: monitorPassword }
                    : undefined,
                probes: [{ name: "port", module: "tcp", target: `${name}:${SQLSERVER_PORT}` }],
                logFormat: "mssql",
            },
            backups: backupJobs(args.backup, [
                { name: "full", ...backup },
                { name: "log", schedule: { everyMinutes: args.backup.sqlserverLogEveryMinutes }, ...backup },
            ]),
        };
        const deployed = args.platform.deploy(spec, this);
        this.host = deployed.host;
        this.registerOutputs({ host: this.host });
    }

    /** ADO.NET connection string for a client that reaches SQL Server at `server`. */
    connectionString(server: string): pulumi.Output<string> {
        return pulumi.secret(
            pulumi.interpolate`Server=${server};Database=${this.database};User Id=sa;Password=${this.saPassword};Encrypt=True;TrustServerCertificate=True`,
        );
    }
}
