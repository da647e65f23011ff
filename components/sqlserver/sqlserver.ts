import * as pulumi from "@pulumi/pulumi";
import { backupJobs, BackupSettings } from "../backup/job";
import { DrillSettings, drillTasks, maintenanceTasks, MaintenanceSettings } from "../backup/tasks";
import { SQLSERVER_BACKUP_SCRIPT } from "./backup-script";
import { PlatformConfig } from "../config/load";
import { dataVolumePassword, generatedPassword, Rotations, rotatingSecret } from "../generated-secret";
import { loopbackPort, resourcesOf, stepResources } from "../platform/resources";
import { Platform, ServiceSpec } from "../platform/types";
import { sqlServerMemoryLimitMb } from "../tuning";
import { migrationStep } from "../migrations/step";
import { SQLSERVER_CHECKDB_SCRIPT, SQLSERVER_INDEX_SCRIPT } from "./maintenance-scripts";
import { SQLSERVER_MIGRATIONS } from "./migration-plan";
import { renderSqlSettings } from "./settings-sql";
import { AppSqlServerLogin, renderAppLoginsSql } from "./app-logins-sql";
import { MONITOR_LOGIN, renderMonitorLoginSql } from "./monitor-login-sql";
import { SQLSERVER_ROTATE_CREDENTIALS_SCRIPT } from "./rotate-credentials-script";

/**
 * SQL Server's first start creates the system databases, and the first start on a new CU runs
 * its upgrade scripts over every database before it accepts logins; the image is over 1.5 GB.
 */
const SQLSERVER_ROLLOUT_MINUTES = 20;

export const SQLSERVER_PORT = 1433;
export const SQLCMD = "/opt/mssql-tools18/bin/sqlcmd";
/** SQL Server on Linux loads PEM files from here at startup to trust outbound TLS peers. */
export const SQLSERVER_CA_DIR = "/var/opt/mssql/security/ca-certificates";
export const EXTERNAL_MODEL_NAME = "ollama_embeddings";
/** The images run as mssql (uid 10001). */
export const MSSQL_USER = { uid: 10001, gid: 10001 };

export interface SqlServerArgs {
    readonly config: PlatformConfig["sqlserver"];
    readonly backup: BackupSettings & DrillSettings & { readonly sqlserverLogEveryMinutes: number };
    readonly maintenance: MaintenanceSettings & Pick<PlatformConfig["maintenance"], "sqlserverIntegrityCheck" | "sqlserverIndexes" | "indexReorganizePercent" | "indexRebuildPercent" | "indexMinPages">;
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
    /** The generations of its secrets (`rotation` config). */
    readonly rotations?: Rotations;
    /** The apps' databases and logins (`apps[].databases.sqlserver`): the step `app-logins` makes them, passwords as sqlcmd variables. */
    readonly appLogins?: readonly (AppSqlServerLogin & { readonly password: pulumi.Input<string> })[];
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
    /** Ready once every init step ran (the apps' logins among them). */
    readonly initialized: readonly pulumi.Resource[];

    constructor(name: string, args: SqlServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("llm-platform:data:SqlServer", name, {}, opts);
        const c = args.config;
        const rotations = args.rotations ?? {};
        const sa = rotatingSecret(`${name}-sa-password`, rotations, "login", (n) => dataVolumePassword(n, this));
        this.saPassword = sa.current;
        // The master key lives in the data volume, so its password must outlive a destroy as the volume does.
        const masterKey = rotatingSecret(`${name}-master-key-password`, rotations, "login", (n) => dataVolumePassword(n, this));
        const masterKeyPassword = masterKey.current;
        this.database = c.database;
        const appLogins = args.appLogins ?? [];
        const monitorPassword = args.monitoring ? rotatingSecret(`${name}-monitor-password`, rotations, "none", (n) => generatedPassword(n, this)).current : undefined;
        // A rotation in progress: a step changes what SQL Server stores before the others log in with it.
        const rotating = sa.previous !== undefined || masterKey.previous !== undefined;
        const afterRotation = rotating ? { afterStep: "rotate-credentials" } : {};
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
            env: {
                SQLSERVER: `${name},${SQLSERVER_PORT}`,
                DATABASE: c.database,
                // The apps' databases are in each full backup, a file each.
                ...(appLogins.length > 0 ? { APP_DATABASES: appLogins.map((l) => l.database).join(" ") } : {}),
            },
            secretEnv: { SQLCMDPASSWORD: this.saPassword },
            serviceWritesBackups: true,
        };
        const backups = backupJobs(args.backup, [
            { name: "full", ...backup },
            { name: "log", schedule: { everyMinutes: args.backup.sqlserverLogEveryMinutes }, ...backup },
        ]);
        const m = args.maintenance;
        const maintenance = { image: c.image, env: backup.env, secretEnv: backup.secretEnv };
        const spec: ServiceSpec = {
            name,
            image: c.image,
            env: {
                ACCEPT_EULA: "Y",
                MSSQL_PID: c.edition,
                MSSQL_MEMORY_LIMIT_MB: String(sqlServerMemoryLimitMb(c.memoryMb)),
                MSSQL_TCP_PORT: String(SQLSERVER_PORT),
            },
            // SQLCMDPASSWORD lets the health check log in without the password on its command line;
            // during a rotation the previous one is there too, until the step has changed it.
            secretEnv: { MSSQL_SA_PASSWORD: this.saPassword, SQLCMDPASSWORD: this.saPassword, ...(sa.previous ? { SQLCMDPASSWORD_PREVIOUS: sa.previous } : {}) },
            files: [{ path: `${SQLSERVER_CA_DIR}/llm-platform-ca.crt`, content: args.caCertPem, mode: "0644" }],
            volumes: [{ name: "data", mountPath: "/var/opt/mssql", sizeGb: c.storageGb, sizedBy: "sqlserver.storageGb" }],
            ports: [loopbackPort("tds", SQLSERVER_PORT, c.hostPort)],
            resources: resourcesOf(c),
            rolloutTimeoutMinutes: c.rolloutTimeoutMinutes ?? SQLSERVER_ROLLOUT_MINUTES,
            // The image's mssql user; its external model calls Ollama through the proxy.
            runAs: MSSQL_USER,
            talksTo: [new URL(args.embedUrl).hostname],
            healthCheck: {
                command: sa.previous
                    ? ["sh", "-c", `${SQLCMD} -S localhost -U sa -C -b -l 5 -Q 'SELECT 1' || SQLCMDPASSWORD="$SQLCMDPASSWORD_PREVIOUS" ${SQLCMD} -S localhost -U sa -C -b -l 5 -Q 'SELECT 1'`]
                    : [SQLCMD, "-S", "localhost", "-U", "sa", "-C", "-b", "-l", "5", "-Q", "SELECT 1"],
                intervalSeconds: 10,
                timeoutSeconds: 8,
                retries: 10,
                startPeriodSeconds: 30,
            },
            // A clean shutdown checkpoints every database.
            stopGraceSeconds: 60,
            initSteps: [
                ...(rotating
                    ? [
                          {
                              name: "rotate-credentials",
                              image: c.image,
                              entrypoint: ["/bin/sh", "/tmp/llm-platform-rotate.sh"],
                              command: [],
                              env: { SQLSERVER: `${name},${SQLSERVER_PORT}`, DATABASE: c.database },
                              secretEnv: {
                                  SA_PASSWORD: sa.current,
                                  SA_PASSWORD_PREVIOUS: sa.previous ?? sa.current,
                                  MASTER_KEY_PASSWORD: masterKey.current,
                                  MASTER_KEY_PASSWORD_PREVIOUS: masterKey.previous ?? masterKey.current,
                              },
                              files: [{ path: "/tmp/llm-platform-rotate.sh", content: SQLSERVER_ROTATE_CREDENTIALS_SCRIPT, mode: "0755" }],
                              resources: stepResources,
                              runAs: MSSQL_USER,
                          },
                      ]
                    : []),
                // The database, its settings and the external model; the migrations connect to that database.
                {
                    name: "settings",
                    ...afterRotation,
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
                    // The settings step creates the database it connects to (after a rotation in progress).
                    afterStep: "settings",
                },
                ...(monitorPassword
                    ? [
                          {
                              name: "monitor-login",
                              ...afterRotation,
                              image: c.image,
                              entrypoint: [SQLCMD],
                              command: ["-S", `${name},${SQLSERVER_PORT}`, "-U", "sa", "-C", "-b", "-l", "30", "-i", "/tmp/llm-platform-monitor.sql"],
                              // sqlcmd reads environment variables as scripting variables: $(MONITOR_PASSWORD).
                              secretEnv: { SQLCMDPASSWORD: this.saPassword, MONITOR_PASSWORD: monitorPassword },
                              files: [{ path: "/tmp/llm-platform-monitor.sql", content: renderMonitorLoginSql(c.database) }],
                              resources: stepResources,
                              runAs: MSSQL_USER,
                          },
                      ]
                    : []),
                ...(appLogins.length > 0
                    ? [
                          {
                              name: "app-logins",
                              ...afterRotation,
                              image: c.image,
                              entrypoint: [SQLCMD],
                              command: ["-S", `${name},${SQLSERVER_PORT}`, "-U", "sa", "-C", "-b", "-l", "30", "-i", "/tmp/llm-platform-app-logins.sql"],
                              // sqlcmd reads environment variables as scripting variables: $(APP_SQLSERVER_PASSWORD_<APP>).
                              secretEnv: { SQLCMDPASSWORD: this.saPassword, ...Object.fromEntries(appLogins.map((l) => [l.passwordVar, l.password])) },
                              files: [{ path: "/tmp/llm-platform-app-logins.sql", content: renderAppLoginsSql(appLogins) }],
                              resources: stepResources,
                              runAs: MSSQL_USER,
                          },
                      ]
                    : []),
            ],
            observe: {
                exporter: monitorPassword
                    ? { kind: "mssql", target: `${name}:${SQLSERVER_PORT}`, user: MONITOR_LOGIN, password: monitorPassword, database: c.database }
                    : undefined,
                probes: [{ name: "port", module: "tcp", target: `${name}:${SQLSERVER_PORT}` }],
                logFormat: "mssql",
            },
            backups,
            scheduledTasks: [
                ...maintenanceTasks(m, [
                    // Corruption found is critical: restore before it spreads into the backups.
                    { name: "checkdb", schedule: m.sqlserverIntegrityCheck, script: SQLSERVER_CHECKDB_SCRIPT, failureSeverity: "critical", ...maintenance },
                    {
                        name: "indexes",
                        schedule: m.sqlserverIndexes,
                        script: SQLSERVER_INDEX_SCRIPT,
                        failureSeverity: "warning",
                        ...maintenance,
                        env: {
                            ...maintenance.env,
                            REORGANIZE_PERCENT: String(m.indexReorganizePercent),
                            REBUILD_PERCENT: String(m.indexRebuildPercent),
                            MIN_PAGES: String(m.indexMinPages),
                        },
                    },
                ]),
                ...drillTasks(args.backup, backups),
            ],
        };
        const deployed = args.platform.deploy(spec, this);
        this.host = deployed.host;
        this.initialized = deployed.initialized;
        this.registerOutputs({ host: this.host });
    }

    /** ADO.NET connection string for a client that reaches SQL Server at `server`. */
    connectionString(server: string): pulumi.Output<string> {
        return pulumi.secret(
            pulumi.interpolate`Server=${server};Database=${this.database};User Id=sa;Password=${this.saPassword};Encrypt=True;TrustServerCertificate=True`,
        );
    }
}
