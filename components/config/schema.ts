import { z } from "zod";
import { cpusRoundTrips, dockerCpus, nearestRoundTripCpus } from "../docker-cpus";
import { alertThresholdsShape, checkAlertThresholds } from "./alert-thresholds";
import { appsSchema, checkAppsConfig } from "./apps";
import { awsSchema, checkAwsConfig } from "./aws";
import { backupSchema, checkBackupConfig } from "./backup";
import { hostPorts } from "./host-ports";
import { defaultImages, unpinnedReason } from "./images";
import { checkKubernetesConfig, checkQdrantPeers, checkTimescaleEngine, kubernetesSchema } from "./kubernetes";
import { checkMaintenanceConfig, maintenanceSchema } from "./maintenance";
import { knownDimensions } from "./models";
import { checkRotationConfig, rotationSchema } from "./rotation";
import { Preset, presetChatModels, presetSize, SIZE_AUTO, sizeNames } from "./presets";

/** SQL Server on Linux refuses to start with less memory than this. */
export const SQLSERVER_MIN_MEMORY_MB = 2048;
/** The policy pack's floor for Elasticsearch (its heap is half of this). */
export const ELASTICSEARCH_MIN_MEMORY_MB = 1024;
/** Certificates never live shorter than this (the runbooks rotate at 30 days left). */
export const TLS_MIN_VALIDITY_DAYS = 30;
/** CREATE VECTOR INDEX refuses a table with fewer non-NULL vectors (Msg 42266). */
export const SQLSERVER_VECTOR_INDEX_MIN_ROWS = 100;
/** The largest float32 VECTOR(n) SQL Server 2025 accepts. */
export const SQLSERVER_MAX_VECTOR_DIMENSIONS = 1998;
/** Pulls of multi-GB images and models over a slow link: an hour and a half unless configured. */
export const DEFAULT_PULL_TIMEOUT_MINUTES = 90;

const image = z.string().superRefine((value, ctx) => {
    const reason = unpinnedReason(value);
    if (reason) ctx.addIssue({ code: "custom", message: `must be pinned to an exact version: it ${reason}` });
});
const hostPort = z.number().int().min(1).max(65535);
/** Size of a data volume (Kubernetes: the PVC's request; Docker volumes are not sized). */
const storageGb = (gb: number) => z.number().int().min(1).max(64 * 1024).default(gb);
const identifier = z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "must be a SQL identifier: a letter or _, then letters, digits or _ (at most 63 characters)");
const ollamaModel = z
    .string()
    .regex(
        /^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?$/,
        "must be an Ollama model name: lower-case letters, digits, . _ / -, optionally :tag (e.g. nomic-embed-text or llama3.2:3b)",
    );
const ipv4 = z
    .string()
    .regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/, "must be an IPv4 address such as 127.0.0.1 or 0.0.0.0");

/**
 * The keys every service object has: limits (from the size preset unless given),
 * optional reservations (half the limit unless given) and a pinned image override.
 */
function service<T extends z.ZodRawShape>(name: string, preset: Preset, image_: string, extra: T) {
    const size = presetSize(name, preset);
    return z
        .strictObject({
            cpu: z.number().positive().max(512).default(size.cpu),
            memoryMb: z.number().int().positive().max(4 * 1024 * 1024).default(size.memoryMb),
            cpuReservation: z.number().positive().optional(),
            memoryReservationMb: z.number().int().positive().optional(),
            image: image.default(image_),
            /** Kubernetes: how long `pulumi up` waits for the service's rollout (default: what the service needs, else 10). */
            rolloutTimeoutMinutes: z.number().int().min(1).max(24 * 60).optional(),
            ...extra,
        })
        .prefault({} as never);
}

/** The schema with the defaults of one size preset. */
export function configSchemaFor(preset: Preset) {
    return z
    .strictObject({
        platform: z.enum(["docker", "kubernetes"]).default("docker"),
        // auto: the largest preset that fits the Docker engine (resolved in load.ts, never written back).
        size: z.enum(sizeNames).default(SIZE_AUTO),
        docker: z
            .strictObject({
                networkName: z
                    .string()
                    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "must be a Docker network name: a letter or digit, then letters, digits, _ . -")
                    .optional(),
                subnet: z
                    .string()
                    .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(1[6-9]|2[0-8])$/, "must be an IPv4 CIDR from /16 to /28")
                    .default("172.28.53.0/24"),
                logMaxSizeMb: z.number().int().positive().max(10240).default(100),
                logMaxFiles: z.number().int().min(1).max(100).default(5),
                pullTimeoutMinutes: z.number().int().min(5).max(24 * 60).default(DEFAULT_PULL_TIMEOUT_MINUTES),
            })
            .prefault({}),
        kubernetes: kubernetesSchema,
        backup: backupSchema,
        maintenance: maintenanceSchema,
        rotation: rotationSchema,
        aws: awsSchema,
        sqlserver: service(
            "sqlserver",
            preset,
            defaultImages.sqlserver,
            {
                edition: z.enum(["Developer", "Express", "Standard", "Enterprise", "EnterpriseCore"]).default("Developer"),
                database: identifier.default("llm"),
                vectorIndexMinRows: z.number().int().min(SQLSERVER_VECTOR_INDEX_MIN_ROWS).default(SQLSERVER_VECTOR_INDEX_MIN_ROWS),
                storageGb: storageGb(50),
                hostPort: hostPort.optional(),
            },
        ),
        ollama: service(
            "ollama",
            preset,
            defaultImages.ollama,
            {
                // "auto": resolved at deploy time from the Docker engine (NVIDIA runtime present or not).
                gpu: z.union([z.literal("auto"), z.boolean()]).default("auto"),
                embeddingModel: ollamaModel.default("nomic-embed-text"),
                embeddingDimensions: z.number().int().min(1).max(SQLSERVER_MAX_VECTOR_DIMENSIONS).optional(),
                chatModel: ollamaModel.default(presetChatModels[preset]),
                keepAlive: z.string().regex(/^(-1|0|\d+(ms|s|m|h))$/, "must be a duration such as 30m or 24h, 0, or -1").default("30m"),
                numParallel: z.number().int().min(1).max(64).default(2),
                maxLoadedModels: z.number().int().min(1).max(16).default(2),
                maxQueue: z.number().int().min(1).max(100000).default(512),
                storageGb: storageGb(100),
                hostPort: hostPort.optional(),
            },
        ),
        proxy: service(
            "proxy",
            preset,
            defaultImages.proxy,
            {
                httpsPort: hostPort.default(8443),
                httpPort: hostPort.default(8080),
                bindAddress: ipv4.default("0.0.0.0"),
                clients: z
                    .array(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, "must be a client name: lower-case letters, digits and -, starting with a letter"))
                    .min(1)
                    .refine((names) => new Set(names).size === names.length, "must not repeat a client name")
                    .refine((names) => !names.includes("sqlserver"), "must not name a client sqlserver: that key is SQL Server's own")
                    .default(["default"]),
                rateLimitPerSecond: z.number().int().min(1).max(10000).default(10),
                rateLimitBurst: z.number().int().min(0).max(100000).default(20),
                clientMaxBodyMb: z.number().int().min(1).max(10240).default(50),
                upstreamTimeoutSeconds: z.number().int().min(5).max(3600).default(300),
                replicas: z.number().int().min(1).max(50).default(1),
                /** A second proxy Deployment behind the ALB's weighted forward (docs/releases.md). */
                canary: z
                    .strictObject({
                        /** Percent of the entry's requests the canary gets: 0 declares no canary at all. */
                        weight: z.number().int().min(0).max(100).default(0),
                        /** The canary's image; unset: proxy.image (a canary of the config alone). */
                        image: image.optional(),
                        replicas: z.number().int().min(1).max(50).default(1),
                    })
                    .prefault({}),
            },
        ),
        timescale: service(
            "timescale",
            preset,
            defaultImages.timescale,
            {
                database: identifier.default("llm_observatory"),
                tracesRetentionDays: z.number().int().min(1).default(90),
                metricsRetentionDays: z.number().int().min(1).default(90),
                logsRetentionDays: z.number().int().min(1).default(30),
                compressAfterDays: z.number().int().min(1).default(7),
                /** log_min_duration_statement: statements at least this long are logged (-1: none). */
                slowQueryMs: z.number().int().min(-1).max(3600000).default(1000),
                storageGb: storageGb(100),
                hostPort: hostPort.optional(),
                /** Kubernetes: one pod (`statefulset`), or a CloudNativePG cluster that survives a node or zone loss (`cloudnativepg`). */
                engine: z.enum(["statefulset", "cloudnativepg"]).default("statefulset"),
                /** engine cloudnativepg: the operand image (TimescaleDB with Barman Cloud, the PostgreSQL major of `image`). */
                clusterImage: image.default(defaultImages.timescaleCluster),
            },
        ),
        redis: service(
            "redis",
            preset,
            defaultImages.redis,
            {
                /**
                 * statefulset: the Valkey container of every platform; elasticache: ElastiCache for
                 * Valkey (kubernetes with the aws object; its settings are aws.cache).
                 */
                engine: z.enum(["statefulset", "elasticache"]).default("statefulset"),
                evictionPolicy: z
                    .enum([
                        "noeviction",
                        "allkeys-lru",
                        "allkeys-lfu",
                        "allkeys-random",
                        "volatile-lru",
                        "volatile-lfu",
                        "volatile-random",
                        "volatile-ttl",
                    ])
                    .default("allkeys-lru"),
                appendfsync: z.enum(["always", "everysec", "no"]).default("everysec"),
                storageGb: storageGb(20),
                hostPort: hostPort.optional(),
            },
        ),
        qdrant: service(
            "qdrant",
            preset,
            defaultImages.qdrant,
            {
                collection: z
                    .string()
                    .regex(/^[A-Za-z0-9_-]{1,255}$/, "must be a collection name: letters, digits, _ and - (at most 255)")
                    .default("documents"),
                hnswM: z.number().int().min(4).max(128).default(16),
                hnswEfConstruct: z.number().int().min(4).max(4096).default(128),
                storageGb: storageGb(50),
                snapshotsGb: storageGb(50),
                // Distributed mode: 1 (one node) or 3 and more (Raft needs a majority left when one peer is lost).
                peers: z.number().int().min(1).max(15).default(1),
                hostPort: hostPort.optional(),
            },
        ),
        observability: z
            .strictObject({
                metrics: z.boolean().default(true),
                logs: z.boolean().default(true),
                scrapeIntervalSeconds: z.number().int().min(5).max(300).default(30),
                metricsRetentionDays: z.number().int().min(1).max(3650).default(15),
                metricsRetentionGb: z.number().int().min(1).max(10000).default(10),
                logsRetentionDays: z.number().int().min(1).max(3650).default(30),
                ...alertThresholdsShape,
                alertReceivers: z
                    .strictObject({
                        slackWebhookUrl: z.url({ protocol: /^https$/ }).optional(),
                        slackChannel: z.string().regex(/^[#@]?[A-Za-z0-9._-]+$/, "must be a Slack channel such as #llm-alerts").optional(),
                        pagerdutyRoutingKey: z.string().regex(/^[A-Za-z0-9]{32}$/, "must be a 32-character Events API v2 routing key").optional(),
                        email: z
                            .strictObject({
                                to: z.email(),
                                from: z.email(),
                                smarthost: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, "must be host:port"),
                                username: z.string().min(1).optional(),
                                password: z.string().min(1).optional(),
                            })
                            .optional(),
                    })
                    .prefault({}),
            })
            .prefault({}),
        prometheus: service("prometheus", preset, defaultImages.prometheus, { hostPort: hostPort.optional() }),
        alertmanager: service("alertmanager", preset, defaultImages.alertmanager, { hostPort: hostPort.optional() }),
        grafana: service("grafana", preset, defaultImages.grafana, {}),
        nodeExporter: service("nodeExporter", preset, defaultImages.nodeExporter, {}),
        cadvisor: service("cadvisor", preset, defaultImages.cadvisor, {}),
        blackboxExporter: service("blackboxExporter", preset, defaultImages.blackboxExporter, {}),
        pushgateway: service("pushgateway", preset, defaultImages.pushgateway, {}),
        postgresExporter: service("postgresExporter", preset, defaultImages.postgresExporter, {}),
        redisExporter: service("redisExporter", preset, defaultImages.redisExporter, {}),
        nginxExporter: service("nginxExporter", preset, defaultImages.nginxExporter, {}),
        sqlExporter: service("sqlExporter", preset, defaultImages.sqlExporter, {}),
        elasticsearchExporter: service("elasticsearchExporter", preset, defaultImages.elasticsearchExporter, {}),
        cloudwatchExporter: service("cloudwatchExporter", preset, defaultImages.cloudwatchExporter, {}),
        elasticsearch: service("elasticsearch", preset, defaultImages.elasticsearch, {}),
        logstash: service("logstash", preset, defaultImages.logstash, {}),
        kibana: service("kibana", preset, defaultImages.kibana, {}),
        fluentBit: service("fluentBit", preset, defaultImages.fluentBit, {}),
        tls: z
            .strictObject({
                validityDays: z.number().int().positive().default(365),
                renewBeforeDays: z.number().int().positive().default(30),
                caValidityDays: z.number().int().positive().default(3650),
                hostnames: z
                    .array(z.string().regex(/^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i, "must be a DNS name"))
                    .default([]),
            })
            .prefault({}),
        apps: appsSchema,
    })
    .superRefine((c, ctx) => {
        const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });

        for (const name of serviceNames) {
            const s = c[name];
            if (s.cpuReservation !== undefined && s.cpuReservation > s.cpu) {
                issue([name, "cpuReservation"], `must not exceed ${name}.cpu (${s.cpu})`);
            }
            if (s.memoryReservationMb !== undefined && s.memoryReservationMb > s.memoryMb) {
                issue([name, "memoryReservationMb"], `must not exceed ${name}.memoryMb (${s.memoryMb})`);
            }
        }
        if (c.platform === "docker") {
            for (const name of serviceNames) {
                if (!cpusRoundTrips(c[name].cpu)) {
                    issue(
                        [name, "cpu"],
                        `is stored by Docker's provider as ${dockerCpus(c[name].cpu)}, so every \`pulumi up\` would replace the container: use a value that round-trips, such as ${nearestRoundTripCpus(c[name].cpu)}`,
                    );
                }
            }
        }
        if (c.platform === "kubernetes" && c.ollama.gpu === "auto") {
            issue(["ollama", "gpu"], 'must be true or false on kubernetes: "auto" asks the local Docker engine, which a cluster does not have');
        }
        if (c.elasticsearch.memoryMb < ELASTICSEARCH_MIN_MEMORY_MB) {
            issue(["elasticsearch", "memoryMb"], `must be at least ${ELASTICSEARCH_MIN_MEMORY_MB}: Elasticsearch with a heap under 512 MB is unusable`);
        }
        const email = c.observability.alertReceivers.email;
        if (email && (email.username === undefined) !== (email.password === undefined)) {
            issue(["observability", "alertReceivers", "email", "password"], "must be set together with username (SMTP AUTH needs both)");
        }
        if (c.sqlserver.memoryMb < SQLSERVER_MIN_MEMORY_MB) {
            issue(["sqlserver", "memoryMb"], `must be at least ${SQLSERVER_MIN_MEMORY_MB}: SQL Server on Linux needs 2 GB of memory`);
        }

        if (c.tls.validityDays < TLS_MIN_VALIDITY_DAYS) {
            issue(["tls", "validityDays"], `must be at least ${TLS_MIN_VALIDITY_DAYS} days`);
        }
        if (c.tls.renewBeforeDays >= c.tls.validityDays) {
            issue(["tls", "validityDays"], `must be longer than tls.renewBeforeDays (${c.tls.renewBeforeDays}), or every refresh re-issues the certificate`);
        }
        if (c.tls.renewBeforeDays >= c.tls.caValidityDays) {
            issue(["tls", "caValidityDays"], `must be longer than tls.renewBeforeDays (${c.tls.renewBeforeDays})`);
        }

        if (c.proxy.canary.weight > 0 && (c.platform !== "kubernetes" || c.aws === undefined)) {
            issue(
                ["proxy", "canary", "weight"],
                `is ${c.proxy.canary.weight}, but a canary needs the ALB's weighted forward: set it on a kubernetes stack with the aws object, else leave it 0`,
            );
        }

        if (c.redis.engine === "elasticache" && (c.platform !== "kubernetes" || c.aws === undefined)) {
            issue(["redis", "engine"], 'is "elasticache", which needs AWS: set it on a kubernetes stack with the aws object, else use "statefulset"');
        }

        checkKubernetesConfig(c, issue);
        checkAwsConfig(c, issue);
        checkBackupConfig(c, issue);
        checkAlertThresholds(c.observability, issue);
        checkMaintenanceConfig(c, issue);
        checkRotationConfig(c, issue);
        checkAppsConfig({ ...c, platformServices: serviceNames.map((n) => n.replace(/[A-Z]/g, (l) => `-${l.toLowerCase()}`)) }, issue);

        const t = c.timescale;
        checkTimescaleEngine(c, issue);
        checkQdrantPeers(c, issue);
        const shortestRetention = Math.min(t.tracesRetentionDays, t.metricsRetentionDays, t.logsRetentionDays);
        if (t.compressAfterDays >= shortestRetention) {
            issue(["timescale", "compressAfterDays"], `must be shorter than the shortest retention period (${shortestRetention} days)`);
        }

        const known = knownDimensions(c.ollama.embeddingModel);
        const explicit = c.ollama.embeddingDimensions;
        if (known === undefined && explicit === undefined) {
            issue(
                ["ollama", "embeddingModel"],
                "is not a model whose dimension we know (all-minilm, nomic-embed-text, mxbai-embed-large, snowflake-arctic-embed, bge-m3): set ollama.embeddingDimensions too",
            );
        }
        if (known !== undefined && explicit !== undefined && known !== explicit) {
            issue(["ollama", "embeddingDimensions"], `must be ${known}: ${c.ollama.embeddingModel} produces ${known}-dimensional vectors`);
        }
        if (known !== undefined && known > SQLSERVER_MAX_VECTOR_DIMENSIONS) {
            issue(
                ["ollama", "embeddingModel"],
                `produces ${known}-dimensional vectors; SQL Server's VECTOR(n) holds at most ${SQLSERVER_MAX_VECTOR_DIMENSIONS}: pick a smaller embedding model`,
            );
        }

        const usedPorts = new Map<number, string>();
        for (const { port, key } of hostPorts(c)) {
            const owner = usedPorts.get(port);
            if (owner) issue(key.split("."), `is already used by ${owner}: every published host port must be different`);
            else usedPorts.set(port, key);
        }
    });
}

export const configSchema = configSchemaFor("default");

export const serviceNames = [
    "sqlserver",
    "ollama",
    "proxy",
    "timescale",
    "redis",
    "qdrant",
    ...observabilityServiceNames(),
] as const;

/** The config objects of the observability services (sized like every other service). */
export function observabilityServiceNames() {
    return [
        "prometheus",
        "alertmanager",
        "grafana",
        "nodeExporter",
        "cadvisor",
        "blackboxExporter",
        "pushgateway",
        "postgresExporter",
        "redisExporter",
        "nginxExporter",
        "sqlExporter",
        "elasticsearchExporter",
        "cloudwatchExporter",
        "elasticsearch",
        "logstash",
        "kibana",
        "fluentBit",
    ] as const;
}
export type ServiceName = (typeof serviceNames)[number];

/** Top-level keys of the `llm-platform` config namespace. */
export const configKeys = Object.keys(configSchema.shape) as (keyof z.input<typeof configSchema>)[];

export type ParsedConfig = z.output<typeof configSchema>;
