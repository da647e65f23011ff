import * as pulumi from "@pulumi/pulumi";
import { Apps } from "./apps/apps";
import { AwsFoundation } from "./aws/foundation";
import { CloudwatchReader } from "./aws/cloudwatch-reader";
import { keptNames } from "./aws/names";
import { AwsProduction } from "./aws/production";
import { PlatformConfig } from "./config/load";
import { publicProxyUrl } from "./config/notices";
import { Ollama } from "./ollama/ollama";
import { Logs } from "./observability/logs";
import { Metrics } from "./observability/metrics";
import {
    ALERTMANAGER_PATH,
    GRAFANA_ADMIN_USER,
    GRAFANA_PATH,
    KIBANA_PATH,
    observabilityRoutes,
    PROMETHEUS_PATH,
    uiUserFiles,
} from "./observability/routes";
import { ES_USERS } from "./observability/elasticsearch-setup";
import { dataVolumePassword, generatedApiKey, RotatingSecret, rotatingSecret } from "./generated-secret";
import { ServiceCatalog } from "./platform/catalog";
import { createPlatform } from "./platform/create";
import { restoredClusterName } from "./platform/kubernetes/cloudnative-pg";
import { KubernetesPlatform } from "./platform/kubernetes/platform";
import { Platform } from "./platform/types";
import { canaryName, PROXY_HTTPS_PORT, TlsProxy } from "./proxy/proxy";
import { Qdrant } from "./qdrant/qdrant";
import { Redis, REDIS_USER } from "./redis/redis";
import { redisFlavor } from "./redis/redis-conf";
import { EXTERNAL_MODEL_NAME, MSSQL_USER, SQLCMD, SqlServer } from "./sqlserver/sqlserver";
import { POSTGRES_USER, Timescale } from "./timescale/timescale";
import { Certificates } from "./tls/certificates";
import { HOST_CA_FILE } from "./tls/store-clients";
import { PUSHGATEWAY } from "./observability/pushgateway";
import { CLOUDWATCH_EXPORTER, cloudwatchExporterActions } from "./observability/cloudwatch-exporter-conf";

/** Service names double as DNS names inside the platform network. */
export const SERVICE_HOSTS = {
    sqlserver: "sqlserver",
    ollama: "ollama",
    proxy: "proxy",
    timescale: "timescale",
    redis: "redis",
    qdrant: "qdrant",
} as const;

/** What the CloudWatch exporter needs of its role. */
const cloudwatchIdentity = (reader: CloudwatchReader) => ({ identity: reader.identity, identityReady: reader.ready });

/** The root of every stack's resource tree. */
class PlatformStack extends pulumi.ComponentResource {
    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("llm-platform:stack:Platform", name, {}, opts);
    }
    complete(outputs: pulumi.Inputs) {
        this.registerOutputs(outputs);
    }
}

/** What every step of one stack's composition shares. */
interface Composition {
    readonly config: PlatformConfig;
    readonly stack: string;
    readonly namePrefix: string;
    readonly root: PlatformStack;
    readonly parent: { readonly parent: pulumi.Resource };
    /** The platform itself (Docker or Kubernetes), for what only one of them does. */
    readonly runtime: Platform;
    /** The platform as services use it: every service deployed through it is monitored from its own declarations. */
    readonly platform: ServiceCatalog;
    /** Every name a server certificate must carry for a service: its name, its FQDN in the cluster, the Docker container's name. */
    readonly namesOf: (service: string) => string[];
    readonly awsFoundation?: AwsFoundation;
}

/** The UIs' passwords: the proxy checks them and the UIs sign the same users in. */
interface UiPasswords {
    readonly grafanaAdmin?: RotatingSecret;
    readonly kibanaAnalystPassword?: pulumi.Output<string>;
    readonly metricsAdmin?: { readonly user: string; readonly password: pulumi.Output<string> };
}

/**
 * The whole platform of one stack. Takes validated config; the platform check comes
 * before the first resource, so an unsupported platform creates nothing.
 */
export function buildStack(config: PlatformConfig, stack: string, rootOptions?: pulumi.ComponentResourceOptions, awsFoundation?: AwsFoundation) {
    const s = composition(config, stack, rootOptions, awsFoundation);
    // The users' apps: their routes and database logins are known before the proxy and the stores exist.
    const apps = config.apps.length > 0 ? new Apps("apps", { apps: config.apps, platform: s.platform, rotations: config.rotation }, s.parent) : undefined;
    const certificates = stackCertificates(s, apps);
    const ui = uiPasswords(s);
    const awsPieces = awsProduction(s, apps);
    reportJobsTo(s, awsPieces);
    const services = dataAndInference(s, { certificates, ui, awsPieces, apps });
    const appStores = appStoresOf(services, certificates, awsPieces);
    // Before monitoring: the apps the platform runs are scraped and their logs shipped like its own services.
    apps?.run(appStores);

    // Kubernetes: clients come through the proxy's load balancer under its public DNS name.
    const proxyUrl = publicProxyUrl(config);
    // Kubernetes: the smoke checks run as a Job in the cluster (npm run smoke -- <stack>), through the proxy's Service.
    if (s.runtime instanceof KubernetesPlatform) s.runtime.declareSmokeJobs(smokeJobs(s, services, certificates));
    const logs = logStack(s, { certificates, ui, proxyUrl });
    // After the log stack, so Prometheus scrapes its exporters and log-derived metrics too.
    const metrics = metricStack(s, { certificates, ui, proxyUrl, logs, apps, awsPieces });

    const outputs = stackOutputs(s, { proxyUrl, certificates, services, metrics, logs, apps, appStores, awsPieces });
    s.root.complete(outputs);
    return outputs;
}

function composition(config: PlatformConfig, stack: string, rootOptions: pulumi.ComponentResourceOptions | undefined, awsFoundation: AwsFoundation | undefined): Composition {
    const namePrefix = `llm-platform-${stack}`;
    const makePlatform = createPlatform(config, namePrefix);
    const root = new PlatformStack(namePrefix, rootOptions);
    const runtime = makePlatform(root);
    const platform = new ServiceCatalog(runtime);
    const namesOf = (service: string) => [service, platform.hostOf(service), `${namePrefix}-${service}`];
    return { config, stack, namePrefix, root, parent: { parent: root }, runtime, platform, namesOf, awsFoundation };
}

/** The stack's internal CA and the proxy's certificate, for every name clients reach it by. */
function stackCertificates({ config, stack, parent, namesOf }: Composition, apps: Apps | undefined): Certificates {
    const h = SERVICE_HOSTS;
    return new Certificates(
        "tls",
        {
            organization: `llm-platform ${stack}`,
            dnsNames: [...new Set([...namesOf(h.proxy), "localhost", ...config.tls.hostnames, ...(apps?.hostNames ?? [])])],
            ipAddresses: ["127.0.0.1"],
            validityDays: config.tls.validityDays,
            renewBeforeDays: config.tls.renewBeforeDays,
            caValidityDays: config.tls.caValidityDays,
        },
        parent,
    );
}

function uiPasswords({ config, root }: Composition): UiPasswords {
    // Grafana keeps its admin password in its data volume after the first start: it lives as long.
    const rotations = config.rotation;
    const grafanaAdmin = config.observability.metrics ? rotatingSecret("grafana-admin-password", rotations, "login", (n) => dataVolumePassword(n, root)) : undefined;
    const grafanaAdminPassword = grafanaAdmin?.current;
    const kibanaAnalystPassword = config.observability.logs
        ? rotatingSecret("kibana-analyst-password", rotations, "none", (n) => generatedApiKey(n, root, 32)).current
        : undefined;
    const metricsAdmin = grafanaAdminPassword && { user: GRAFANA_ADMIN_USER, password: grafanaAdminPassword };
    return { grafanaAdmin, kibanaAnalystPassword, metricsAdmin };
}

/**
 * Prod on AWS: RDS, the ALB in front of the proxy, the backup bucket (`aws` config object).
 * Before the services: their backup CronJobs upload to the bucket with its role. The ALB's
 * TargetGroupBinding names the proxy's Service; the controller binds it once the Service exists.
 */
function awsProduction({ config, namePrefix, parent, runtime, awsFoundation }: Composition, apps: Apps | undefined): AwsProduction | undefined {
    const h = SERVICE_HOSTS;
    if (config.aws === undefined || awsFoundation === undefined || !(runtime instanceof KubernetesPlatform)) return undefined;
    return new AwsProduction(
        "aws",
        {
            config: config.aws,
            foundation: awsFoundation,
            namePrefix,
            // The apps' host names too: the ALB's certificate and DNS aliases cover them.
            hostnames: [...config.tls.hostnames, ...(apps?.hostNames ?? [])],
            kubernetes: { provider: runtime.provider, namespace: runtime.namespace.ref, namespaceName: config.kubernetes.namespace },
            proxy: {
                serviceName: h.proxy,
                port: PROXY_HTTPS_PORT,
                canary: config.proxy.canary.weight > 0 ? { serviceName: canaryName(h.proxy), weight: config.proxy.canary.weight } : undefined,
            },
            // A snapshot of the whole instance comes first: the backup jobs' deadline.
            migrationDeadlineMinutes: config.backup.jobDeadlineMinutes,
            migrationJobTtlHours: config.kubernetes.jobTtlHours,
            // A CloudNativePG cluster's pods run as a ServiceAccount named after it, and archive WAL with the backup role;
            // so does the cluster a point-in-time restore recovers into.
            operatorBackupAccounts: config.timescale.engine === "cloudnativepg" ? [h.timescale, restoredClusterName(h.timescale)] : [],
            appDatabases: apps?.rdsRoles,
        },
        parent,
    );
}

/** Kubernetes: where scheduled tasks and backup jobs report (the Pushgateway) and where backups go (the AWS bucket). */
function reportJobsTo({ config, platform, runtime, awsFoundation }: Composition, awsPieces: AwsProduction | undefined): void {
    if (runtime instanceof KubernetesPlatform) {
        runtime.reportTasksTo(config.observability.metrics ? `http://${platform.hostOf(PUSHGATEWAY.service)}:${PUSHGATEWAY.port}` : undefined);
    }
    if (awsPieces && runtime instanceof KubernetesPlatform) {
        runtime.storeBackupsIn({
            ...awsPieces.backups,
            pushgatewayUrl: config.observability.metrics ? `http://${platform.hostOf(PUSHGATEWAY.service)}:${PUSHGATEWAY.port}` : undefined,
            jobDeadlineMinutes: config.backup.jobDeadlineMinutes,
            privateEndpointCidrs: awsFoundation?.network.vpcCidrs,
        });
    }
}

/** The services the platform is for: the model server, the TLS proxy in front of it, and the stores. */
function dataAndInference(
    { config, platform, parent, namesOf }: Composition,
    { certificates, ui, awsPieces, apps }: { certificates: Certificates; ui: UiPasswords; awsPieces?: AwsProduction; apps?: Apps },
) {
    const h = SERVICE_HOSTS;
    const rotations = config.rotation;
    const { metricsAdmin, kibanaAnalystPassword } = ui;
    const ollama = new Ollama(h.ollama, { config: config.ollama, platform }, parent);
    const ollamaTarget = `${ollama.host}:${ollama.port}`;
    const proxy = new TlsProxy(
        h.proxy,
        {
            config: config.proxy,
            platform,
            certPem: certificates.certPem,
            keyPem: certificates.keyPem,
            ollamaTarget,
            extraRoutes: observabilityRoutes(config.observability, (s) => platform.hostOf(s)),
            extraFiles: uiUserFiles({
                grafana: metricsAdmin,
                // Prometheus and Alertmanager have no users: the metrics UIs share Grafana's admin.
                prometheus: metricsAdmin,
                alertmanager: metricsAdmin,
                kibana: kibanaAnalystPassword && { user: ES_USERS.analyst.user, password: kibanaAnalystPassword },
            }),
            metrics: config.observability.metrics,
            rotations,
            apps: apps?.routes,
        },
        parent,
    );
    const sqlserver = new SqlServer(
        h.sqlserver,
        {
            config: config.sqlserver,
            backup: config.backup,
            embeddingModel: config.ollama.embeddingModel,
            embeddingDimensions: config.ollama.embeddingDimensions,
            embedUrl: `https://${proxy.host}/api/embed`,
            caCertPem: certificates.caCertPem,
            apiKey: proxy.sqlServerApiKey,
            platform,
            monitoring: config.observability.metrics,
            maintenance: config.maintenance,
            rotations,
            appLogins: apps?.sqlserverLogins,
        },
        parent,
    );
    // The stores' certificates name every way clients reach them, and localhost/127.0.0.1 where a host port is published on dev.
    const storeTls = (service: string) => certificates.serverTls(`${service}-tls`, [...new Set([...namesOf(service), "localhost"])], { ipAddresses: ["127.0.0.1"] });
    const timescale = new Timescale(
        h.timescale,
        {
            config: config.timescale,
            backup: config.backup,
            maintenance: config.maintenance,
            platform,
            monitoring: config.observability.metrics,
            rotations,
            appDatabases: apps?.timescaleRoles,
            tls: storeTls(h.timescale),
        },
        parent,
    );
    if (config.redis.engine === "elasticache" && awsPieces === undefined) {
        // Config validation stops this first; a harness without the AWS foundation gets here.
        throw new Error('redis.engine is "elasticache", but the stack has no AWS pieces to create it with');
    }
    const redis = new Redis(
        h.redis,
        {
            config: config.redis,
            backup: config.backup,
            platform,
            rotations,
            appUsers: apps?.redisUsers,
            tls: storeTls(h.redis),
            managed:
                config.redis.engine === "elasticache" && awsPieces
                    ? { create: (users) => awsPieces.valkey(users, config.redis.evictionPolicy), observe: (s) => platform.observeManaged(s) }
                    : undefined,
        },
        parent,
    );
    const qdrant = new Qdrant(
        h.qdrant,
        {
            config: config.qdrant,
            backup: config.backup,
            maintenance: config.maintenance,
            dimensions: config.ollama.embeddingDimensions,
            platform,
            rotations,
            // Every name it is reached by: its Service, Docker's container name, a local tool's port, each peer's own.
            tls: certificates.serverTls(`${h.qdrant}-tls`, [...new Set([...namesOf(h.qdrant), "localhost", ...platform.peerHosts(h.qdrant, config.qdrant.peers)])], {
                clientAuth: config.qdrant.peers > 1,
            }),
            appCollections: apps?.qdrantCollections.map((q) => q.collection),
        },
        parent,
    );
    return { ollama, ollamaTarget, proxy, sqlserver, timescale, redis, qdrant };
}

type StackServices = ReturnType<typeof dataAndInference>;

/** Where the apps' stores are and how to reach them. */
function appStoresOf({ timescale, sqlserver, redis, qdrant }: StackServices, certificates: Certificates, awsPieces: AwsProduction | undefined) {
    return {
        timescale: { host: timescale.host, port: timescale.port, ready: timescale.initialized, sslMode: "verify-full" as const },
        rds: awsPieces?.appDatabaseServer,
        sqlserver: { host: sqlserver.host, port: sqlserver.port, ready: sqlserver.initialized },
        // The platform's Valkey by its service name (its pods are a flow target); ElastiCache by its endpoint and subnets.
        redis: { host: redis.serviceHost ?? redis.host, port: redis.port, outside: redis.outside },
        qdrant: { host: qdrant.host, url: qdrant.url, caCertPem: qdrant.caCertPem, apiKey: qdrant.apiKey, ready: qdrant.initialized },
        caCertPem: certificates.caCertPem,
    };
}

function smokeJobs({ config, platform }: Composition, { proxy, sqlserver, timescale, redis, qdrant }: StackServices, certificates: Certificates): Parameters<KubernetesPlatform["declareSmokeJobs"]>[0] {
    const h = SERVICE_HOSTS;
    return {
        target: {
            proxyUrl: `https://${proxy.host}:${PROXY_HTTPS_PORT}`,
            minCertificateDays: config.tls.renewBeforeDays,
            embeddingModel: config.ollama.embeddingModel,
            embeddingDimensions: config.ollama.embeddingDimensions,
            chatModel: config.ollama.chatModel,
            sqlserver: { server: `${sqlserver.host},${sqlserver.port}`, user: "sa", database: sqlserver.database, model: EXTERNAL_MODEL_NAME },
            timescale: { host: timescale.host, port: timescale.port, user: "postgres", database: timescale.database },
            redis: { host: redis.host, port: redis.port, tls: redis.tls, user: redis.user },
            qdrant: { url: qdrant.url, collection: qdrant.collection },
        },
        caCertPem: certificates.caCertPem,
        secrets: {
            apiKey: proxy.apiKeys[config.proxy.clients[0]],
            sqlserverPassword: sqlserver.saPassword,
            timescalePassword: timescale.password,
            redisPassword: redis.password,
            qdrantApiKey: qdrant.apiKey,
        },
        clients: {
            sqlcmd: { image: config.sqlserver.image, command: SQLCMD, runAs: MSSQL_USER },
            psql: { image: config.timescale.image, command: "psql", runAs: POSTGRES_USER },
            redisCli: { image: config.redis.image, command: redisFlavor(config.redis.image).cli, runAs: REDIS_USER, envAliases: { VALKEYCLI_AUTH: "REDISCLI_AUTH" } },
        },
        services: { proxy: h.proxy, sqlserver: h.sqlserver, timescale: h.timescale, redis: h.redis, qdrant: h.qdrant },
        redisOutside: redis.outside,
        canary: config.proxy.canary.weight > 0 ? { service: canaryName(h.proxy), host: platform.hostOf(canaryName(h.proxy)) } : undefined,
    };
}

/** Elasticsearch, Logstash, Kibana and Fluent Bit, when logs are on. */
function logStack({ config, stack, platform, parent, namesOf }: Composition, { certificates, ui, proxyUrl }: { certificates: Certificates; ui: UiPasswords; proxyUrl: string }): Logs | undefined {
    const h = SERVICE_HOSTS;
    const rotations = config.rotation;
    const { kibanaAnalystPassword } = ui;
    return config.observability.logs
        ? new Logs(
              "logs",
              {
                  config,
                  platform,
                  stack,
                  services: () => platform.services,
                  caCertPem: certificates.caCertPem,
                  tls: certificates.issue("elasticsearch-tls", [...new Set(namesOf("elasticsearch"))]),
                  kibanaPublicUrl: `${proxyUrl}${KIBANA_PATH}`,
                  // The service's name, which its log lines carry on every platform (not its host name).
                  proxyService: h.proxy,
                  analystPassword: kibanaAnalystPassword!,
                  rotations,
              },
              parent,
          )
        : undefined;
}

/** Prometheus, Alertmanager, Grafana and the exporters, when metrics are on; on AWS with a CloudWatch reader for RDS. */
function metricStack(
    { config, stack, namePrefix, root, platform, parent, awsFoundation }: Composition,
    { certificates, ui, proxyUrl, logs, apps, awsPieces }: { certificates: Certificates; ui: UiPasswords; proxyUrl: string; logs?: Logs; apps?: Apps; awsPieces?: AwsProduction },
): Metrics | undefined {
    const { grafanaAdmin } = ui;
    const grafanaAdminPassword = grafanaAdmin?.current;
    // Prod on AWS: RDS's CloudWatch metrics through an exporter with a read-only role of its own.
    const managed =
        awsPieces && awsFoundation && config.aws && config.observability.metrics
            ? {
                  region: awsFoundation.region,
                  stack,
                  databases: [{ identifier: keptNames(namePrefix).database, maxConnections: config.aws.database.maxConnections }],
                  ...cloudwatchIdentity(
                      new CloudwatchReader(
                          "aws-cloudwatch-reader",
                          {
                              roleName: `${namePrefix}-cloudwatch-reader`,
                              clusterName: awsFoundation.clusterName,
                              namespace: config.kubernetes.namespace,
                              serviceAccount: CLOUDWATCH_EXPORTER.service,
                              actions: cloudwatchExporterActions(),
                              identity: config.aws.backupBucket.identity,
                              oidcIssuer: awsFoundation.network.oidcIssuer,
                              accountId: awsFoundation.accountId,
                              region: awsFoundation.region,
                          },
                          { parent: root, provider: awsFoundation.provider },
                      ),
                  ),
              }
            : undefined;
    return config.observability.metrics
        ? new Metrics(
              "metrics",
              {
                  config,
                  catalog: platform,
                  stack,
                  caCertPem: certificates.caCertPem,
                  publicUrl: proxyUrl,
                  grafanaAdminPassword: grafanaAdminPassword!,
                  grafanaAdminPasswordPrevious: grafanaAdmin?.previous,
                  elasticsearch: logs?.grafanaDatasource,
                  managed,
                  externalServices: apps?.externalMetrics,
              },
              parent,
          )
        : undefined;
}

/** The stack's outputs: endpoints, URLs, connection strings and (secret) credentials. */
function stackOutputs(
    { config, platform }: Composition,
    { proxyUrl, certificates, services, metrics, logs, apps, appStores, awsPieces }: {
        proxyUrl: string;
        certificates: Certificates;
        services: StackServices;
        metrics?: Metrics;
        logs?: Logs;
        apps?: Apps;
        appStores: ReturnType<typeof appStoresOf>;
        awsPieces?: AwsProduction;
    },
) {
    const { ollamaTarget, proxy, sqlserver, timescale, redis, qdrant } = services;
    const local = (port: number | undefined) => (port ? `127.0.0.1:${port}` : undefined);
    return {
        platform: config.platform,
        proxyUrl,
        embedUrl: `${proxyUrl}/api/embed`,
        caCertificatePem: certificates.caCertPem,
        endpoints: {
            sqlserver: `${sqlserver.host}:${sqlserver.port}`,
            ollama: `http://${ollamaTarget}`,
            proxy: `https://${proxy.host}:${PROXY_HTTPS_PORT}`,
            timescale: `${timescale.host}:${timescale.port}`,
            redis: pulumi.interpolate`${redis.host}:${redis.port}`,
            qdrant: qdrant.url,
        },
        hostEndpoints: {
            sqlserver: local(config.sqlserver.hostPort),
            ollama: local(config.ollama.hostPort),
            timescale: local(config.timescale.hostPort),
            redis: local(config.redis.hostPort),
            qdrant: local(config.qdrant.hostPort),
            prometheus: metrics ? local(config.prometheus.hostPort) : undefined,
            alertmanager: metrics ? local(config.alertmanager.hostPort) : undefined,
        },
        observability: {
            grafanaUrl: metrics ? `${proxyUrl}${GRAFANA_PATH}/` : undefined,
            prometheusUrl: metrics ? `${proxyUrl}${PROMETHEUS_PATH}/` : undefined,
            alertmanagerUrl: metrics ? `${proxyUrl}${ALERTMANAGER_PATH}/` : undefined,
            kibanaUrl: config.observability.logs ? `${proxyUrl}${KIBANA_PATH}/` : undefined,
        },
        connectionStrings: {
            sqlserver: sqlserver.connectionString(`${sqlserver.host},${sqlserver.port}`),
            // verify-full with the CA saved from `caCertificatePem` (docs/services.md, "Connecting with TLS").
            timescale: timescale.connectionString(`${timescale.host}:${timescale.port}`, HOST_CA_FILE),
            redis: redis.connectionString(pulumi.interpolate`${redis.host}:${redis.port}`),
        },
        /** Proxy API keys by client (`proxy.clients`): `Authorization: Bearer <key>`. */
        apiKeys: pulumi.secret(proxy.apiKeys),
        credentials: pulumi.secret({
            sqlserverSaPassword: sqlserver.saPassword,
            timescalePassword: timescale.password,
            redisPassword: redis.password,
            qdrantApiKey: qdrant.apiKey,
            grafanaAdminPassword: metrics?.grafanaAdminPassword,
            elasticPassword: logs?.elasticPassword,
            kibanaAnalystPassword: logs?.analystPassword,
            apps: apps?.credentials(appStores),
        }),
        sqlserverDatabase: sqlserver.database,
        timescaleDatabase: timescale.database,
        qdrantCollection: qdrant.collection,
        embeddingDimensions: config.ollama.embeddingDimensions,
        /** Each app's routes, database and Redis user (the passwords in `credentials.apps`). */
        apps: apps ? appOutputs(config.apps, apps.given(appStores)) : undefined,
        initialization: platform.initResults,
        ...(awsPieces ? { aws: awsPieces.outputs } : {}),
    };
}

/** What each app was given: its routes as clients reach them, and its database. */
function appOutputs(apps: PlatformConfig["apps"], given: ReturnType<Apps["given"]>) {
    return Object.fromEntries(apps.map((a) => [a.name, { routes: a.routes.map((r) => r.pathPrefix ?? `https://${r.host}/`), ...given[a.name] }]));
}
