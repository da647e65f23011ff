import * as pulumi from "@pulumi/pulumi";
import { defaultImages } from "../config/images";
import { PlatformConfig } from "../config/load";
import { dataVolumePassword, generatedApiKey, generatedPassword, Rotations, RotatingSecret, rotatingSecret } from "../generated-secret";
import { resourcesOf, stepResources } from "../platform/resources";
import { Env, Platform, ServiceSpec } from "../platform/types";
import { jvmHeapMb } from "../tuning";
import { ES_USERS, LOG_DATA_STREAM_PATTERN, renderElasticsearchSetup } from "./elasticsearch-setup";
import { metricsHealth } from "./exporters";
import {
    FLUENT_BIT_DIR,
    FLUENT_BIT_HTTP_PORT,
    FLUENT_BIT_METRICS_PORT,
    FLUENT_BIT_STATE_DIR,
    renderFluentBitConf,
    renderFluentBitParsers,
    renderKubernetesLabelsLua,
    renderServiceLabelsLua,
} from "./fluent-bit-conf";
import { GrafanaDatasourceArgs } from "./grafana-provisioning";
import { LOGSTASH_INPUT_PORT, renderLogstashPipeline } from "./logstash-pipeline";
import { nodeLayout } from "./node-layout";
import { KIBANA_PATH, KIBANA_PORT } from "./routes";

export const ELASTICSEARCH_PORT = 9200;
const ES_URL = `https://elasticsearch:${ELASTICSEARCH_PORT}`;
const LOGSTASH_API_PORT = 9600;
const ES_CERTS = "/usr/share/elasticsearch/config/certs";
const LS_CA = "/usr/share/logstash/config/certs/ca.crt";
const KIBANA_CA = "/usr/share/kibana/config/certs/ca.crt";
const STEP_CA = "/tmp/llm-platform-ca.crt";
const KIBANA_TOKEN_NAME = "llm-platform";
/** The Elastic images' elasticsearch/logstash/kibana user: uid 1000, group root (which owns their directories). */
const ELASTIC_USER = { uid: 1000, gid: 0 };
/** curlimages/curl's curl_user. */
const CURL_USER = { uid: 100, gid: 101 };

export interface LogsArgs {
    readonly config: PlatformConfig;
    readonly platform: Platform;
    readonly stack: string;
    /** Every service deployed so far: their log formats drive the pipeline. */
    readonly services: () => readonly ServiceSpec[];
    readonly caCertPem: pulumi.Input<string>;
    /** Elasticsearch's server certificate (with chain) and key, signed by the stack's CA. */
    readonly tls: { readonly certPem: pulumi.Input<string>; readonly keyPem: pulumi.Input<string> };
    /** Kibana's URL as browsers see it, through the proxy (no trailing slash). */
    readonly kibanaPublicUrl: string;
    /** The service whose JSON access log becomes request metrics. */
    readonly proxyService: string;
    /** Password of the people's Kibana user (the proxy checks the same one). Secret. */
    readonly analystPassword: pulumi.Output<string>;
    /** The generations of its secrets (`rotation` config). */
    readonly rotations?: Rotations;
}

/** `-Xms<n>m -Xmx<n>m` with the heap derived from the container's limit (at most half). */
export function jvmOptions(memoryMb: number): string {
    const heap = jvmHeapMb(memoryMb);
    return `-Xms${heap}m -Xmx${heap}m`;
}

/**
 * Kibana asks Elasticsearch for its own service-account token at every start (replacing the
 * previous one), using a user that may do nothing else, then starts as that service account.
 */
export function kibanaStartScript(esUrl: string): string {
    const api = `${esUrl}/_security/service/elastic/kibana/credential/token/${KIBANA_TOKEN_NAME}`;
    return [
        "set -eu",
        `auth="${ES_USERS.tokenIssuer.user}:$${ES_USERS.tokenIssuer.env}"`,
        `curl -s --cacert ${KIBANA_CA} -u "$auth" -X DELETE "${api}" >/dev/null || true`,
        `token=$(curl -sf --cacert ${KIBANA_CA} -u "$auth" -X POST "${api}" | sed -n 's/.*"value":"\\([^"]*\\)".*/\\1/p')`,
        '[ -n "$token" ] || { echo "could not create the Kibana service token: is the elasticsearch setup step done?" >&2; exit 1; }',
        'export ELASTICSEARCH_SERVICEACCOUNTTOKEN="$token"',
        "exec /usr/local/bin/kibana-docker",
    ].join("\n");
}

/**
 * Elasticsearch, Logstash, Kibana and Fluent Bit. Security on (TLS with the stack's CA,
 * users with one role each), ILM deletes logs after the configured days.
 */
export class Logs extends pulumi.ComponentResource {
    readonly elasticPassword: pulumi.Output<string>;
    readonly analystPassword: pulumi.Output<string>;
    /** Grafana's Elasticsearch data source (reader user). */
    readonly grafanaDatasource: pulumi.Output<NonNullable<GrafanaDatasourceArgs["elasticsearch"]>>;
    readonly logstashPipeline: string;

    constructor(name: string, args: LogsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("llm-platform:observability:Logs", name, {}, opts);
        const secrets = logSecrets(name, args, this);
        this.elasticPassword = secrets.elastic.current;
        this.analystPassword = args.analystPassword;
        const deploy = (spec: ServiceSpec) => args.platform.deploy(spec, this);

        deploy(elasticsearch(args, secrets));
        this.logstashPipeline = logPipeline(args);
        deploy(logstash(args, secrets, this.logstashPipeline));
        deploy(kibana(args, secrets, (key) => generatedPassword(`${name}-kibana-${key}`, this, { length: 48, protect: true })));
        deploy(fluentBit(args));

        this.grafanaDatasource = pulumi
            .all([secrets.passwords[ES_USERS.reader.env], pulumi.output(args.caCertPem)])
            .apply(([password, caCertPem]) => ({ url: ES_URL, user: ES_USERS.reader.user, password, caCertPem, index: LOG_DATA_STREAM_PATTERN }));
        this.registerOutputs({});
    }
}

interface LogSecrets {
    readonly elastic: RotatingSecret;
    /** Every Elasticsearch user's password by its env var (the analyst's is the people's Kibana password). */
    readonly passwords: Record<string, pulumi.Output<string>>;
    /** During a rotation of elastic's password the previous one still opens Elasticsearch until the setup step changed it. */
    readonly previousElastic: Env;
}

function logSecrets(name: string, args: LogsArgs, parent: pulumi.Resource): LogSecrets {
    // The elastic password is written into the data volume on first start: it lives as long as the volume.
    const rotations = args.rotations ?? {};
    const elastic = rotatingSecret(`${name}-elastic-password`, rotations, "login", (n) => dataVolumePassword(n, parent));
    // The setup step sets every user's password: a rotated one reaches Elasticsearch and its user in the same run.
    const passwords = Object.fromEntries(
        Object.entries(ES_USERS).map(([key, u]) => [
            u.env,
            u === ES_USERS.analyst ? args.analystPassword : rotatingSecret(`${name}-${key}-password`, rotations, "none", (n) => generatedApiKey(n, parent, 32)).current,
        ]),
    ) as Record<string, pulumi.Output<string>>;
    return { elastic, passwords, previousElastic: elastic.previous ? { ELASTIC_PASSWORD_PREVIOUS: elastic.previous } : {} };
}

/** The store: single-node, TLS with the stack's CA; its setup step creates the users, roles and ILM policy. */
function elasticsearch(args: LogsArgs, s: LogSecrets): ServiceSpec {
    const c = args.config;
    return {
        name: "elasticsearch",
        backupNotNeeded: "log indices expire after the ILM retention; Kibana's data view is provisioned by the program (no snapshot repository is built)",
        image: c.elasticsearch.image,
        env: {
            "cluster.name": `llm-platform-${args.stack}`,
            "node.name": "elasticsearch",
            "discovery.type": "single-node",
            "xpack.security.enabled": "true",
            "xpack.security.http.ssl.enabled": "true",
            "xpack.security.http.ssl.certificate": "certs/tls.crt",
            "xpack.security.http.ssl.key": "certs/tls.key",
            "xpack.security.http.ssl.certificate_authorities": "certs/ca.crt",
            "xpack.security.transport.ssl.enabled": "false",
            "xpack.license.self_generated.type": "basic",
            "xpack.ml.enabled": "false",
            "ingest.geoip.downloader.enabled": "false",
            // Without mmap the vm.max_map_count >= 262144 bootstrap check does not apply: no host sysctl needed.
            "node.store.allow_mmap": "false",
            ES_JAVA_OPTS: jvmOptions(c.elasticsearch.memoryMb),
        },
        secretEnv: { ELASTIC_PASSWORD: s.elastic.current, ...s.previousElastic },
        files: [
            { path: `${ES_CERTS}/tls.crt`, content: args.tls.certPem },
            // Readable by the image's elasticsearch user; the container holds nothing else.
            { path: `${ES_CERTS}/tls.key`, content: args.tls.keyPem, secret: true, mode: "0644" },
            { path: `${ES_CERTS}/ca.crt`, content: args.caCertPem },
        ],
        volumes: [{ name: "data", mountPath: "/usr/share/elasticsearch/data", sizeGb: 50 }],
        ports: [{ name: "https", port: ELASTICSEARCH_PORT }],
        resources: resourcesOf(c.elasticsearch),
        // A first start on a big volume, or a recovery of every shard after an update.
        rolloutTimeoutMinutes: c.elasticsearch.rolloutTimeoutMinutes ?? 15,
        runAs: ELASTIC_USER,
        healthCheck: {
            command: [
                "bash",
                "-c",
                [`"$ELASTIC_PASSWORD"`, ...(s.elastic.previous ? [`"$ELASTIC_PASSWORD_PREVIOUS"`] : [])]
                    .map((p) => `curl -sf --cacert ${ES_CERTS}/ca.crt -u "elastic:"${p} "https://127.0.0.1:${ELASTICSEARCH_PORT}/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null`)
                    .join(" || "),
            ],
            intervalSeconds: 15,
            timeoutSeconds: 10,
            retries: 10,
            startPeriodSeconds: 60,
        },
        stopGraceSeconds: 60,
        observe: {
            exporter: {
                kind: "elasticsearch",
                target: ES_URL,
                user: ES_USERS.monitor.user,
                password: s.passwords[ES_USERS.monitor.env],
                caCertPem: args.caCertPem,
            },
            logFormat: "json",
        },
        initSteps: [
            {
                name: "setup",
                image: defaultImages.curl,
                entrypoint: ["/bin/sh", "/tmp/llm-platform-es-setup.sh"],
                command: [],
                secretEnv: { ELASTIC_PASSWORD: s.elastic.current, ...s.previousElastic, ...s.passwords },
                files: [
                    {
                        path: "/tmp/llm-platform-es-setup.sh",
                        content: renderElasticsearchSetup({
                            url: ES_URL,
                            caFile: STEP_CA,
                            retentionDays: c.observability.logsRetentionDays,
                            rotatesElastic: s.elastic.previous !== undefined,
                        }),
                        mode: "0755",
                    },
                    { path: STEP_CA, content: args.caCertPem },
                ],
                resources: stepResources,
                runAs: CURL_USER,
            },
        ],
    };
}

/** Logstash's pipeline: one input per service's log format, into Elasticsearch as the writer user. */
function logPipeline(args: LogsArgs): string {
    return renderLogstashPipeline({
        services: [...args.services(), { name: "fluent-bit", observe: { logFormat: "plain" } }],
        elasticsearchUrl: ES_URL,
        caFile: LS_CA,
        userEnv: "LOGS_WRITER_USER",
        passwordEnv: ES_USERS.writer.env,
    });
}

function logstash(args: LogsArgs, s: LogSecrets, pipeline: string): ServiceSpec {
    const c = args.config;
    return {
        name: "logstash",
        image: c.logstash.image,
        env: {
            LS_JAVA_OPTS: jvmOptions(c.logstash.memoryMb),
            LOGS_WRITER_USER: ES_USERS.writer.user,
            XPACK_MONITORING_ENABLED: "false",
            API_HTTP_HOST: "0.0.0.0",
            PIPELINE_WORKERS: String(Math.max(1, Math.floor(c.logstash.cpu))),
        },
        secretEnv: { [ES_USERS.writer.env]: s.passwords[ES_USERS.writer.env] },
        files: [
            { path: "/usr/share/logstash/pipeline/logstash.conf", content: pipeline },
            { path: LS_CA, content: args.caCertPem },
        ],
        ports: [
            { name: "input", port: LOGSTASH_INPUT_PORT },
            { name: "api", port: LOGSTASH_API_PORT },
        ],
        resources: resourcesOf(c.logstash),
        rolloutTimeoutMinutes: c.logstash.rolloutTimeoutMinutes,
        runAs: ELASTIC_USER,
        healthCheck: {
            command: ["curl", "-sf", "-o", "/dev/null", `http://127.0.0.1:${LOGSTASH_API_PORT}/`],
            httpGet: { path: "/", port: LOGSTASH_API_PORT },
            intervalSeconds: 15,
            timeoutSeconds: 5,
            retries: 10,
            startPeriodSeconds: 60,
        },
        stopGraceSeconds: 60,
        dependsOn: ["elasticsearch"],
        observe: { probes: [{ name: "api", module: "http", target: `http://logstash:${LOGSTASH_API_PORT}/` }], logFormat: "plain" },
    };
}

/** Kibana behind the proxy, with its data view provisioned; `key` makes one of its stable encryption keys. */
function kibana(args: LogsArgs, s: LogSecrets, kibanaKey: (key: string) => pulumi.Output<string>): ServiceSpec {
    const c = args.config;
    return {
        name: "kibana",
        image: c.kibana.image,
        entrypoint: ["/bin/tini", "--", "/bin/bash", "-c"],
        command: [kibanaStartScript(ES_URL)],
        env: {
            SERVER_BASEPATH: KIBANA_PATH,
            SERVER_REWRITEBASEPATH: "true",
            SERVER_PUBLICBASEURL: args.kibanaPublicUrl,
            ELASTICSEARCH_HOSTS: ES_URL,
            ELASTICSEARCH_SSL_CERTIFICATEAUTHORITIES: KIBANA_CA,
            ELASTICSEARCH_SSL_VERIFICATIONMODE: "full",
            TELEMETRY_OPTIN: "false",
            NODE_OPTIONS: `--max-old-space-size=${jvmHeapMb(c.kibana.memoryMb)}`,
        },
        secretEnv: {
            [ES_USERS.tokenIssuer.env]: s.passwords[ES_USERS.tokenIssuer.env],
            // Saved objects, sessions and reports stay readable across restarts only with stable keys.
            XPACK_ENCRYPTEDSAVEDOBJECTS_ENCRYPTIONKEY: kibanaKey("saved-objects-key"),
            XPACK_SECURITY_ENCRYPTIONKEY: kibanaKey("security-key"),
            XPACK_REPORTING_ENCRYPTIONKEY: kibanaKey("reporting-key"),
        },
        files: [{ path: KIBANA_CA, content: args.caCertPem }],
        ports: [{ name: "http", port: KIBANA_PORT }],
        resources: resourcesOf(c.kibana),
        rolloutTimeoutMinutes: c.kibana.rolloutTimeoutMinutes,
        runAs: ELASTIC_USER,
        healthCheck: {
            command: ["bash", "-c", `[ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:${KIBANA_PORT}${KIBANA_PATH}/login)" = 200 ]`],
            httpGet: { path: `${KIBANA_PATH}/login`, port: KIBANA_PORT },
            intervalSeconds: 15,
            timeoutSeconds: 10,
            retries: 20,
            startPeriodSeconds: 120,
        },
        dependsOn: ["elasticsearch"],
        observe: { probes: [{ name: "login", module: "http", target: `http://kibana:${KIBANA_PORT}${KIBANA_PATH}/login` }], logFormat: "json" },
        initSteps: [
            {
                name: "data-view",
                image: defaultImages.curl,
                entrypoint: ["/bin/sh", "-c"],
                command: [
                    `curl -sS --fail-with-body --retry 10 --retry-connrefused -u "${ES_USERS.analyst.user}:$ANALYST_PASSWORD" ` +
                        `-H 'kbn-xsrf: llm-platform' -H 'Content-Type: application/json' ` +
                        `-X POST http://kibana:${KIBANA_PORT}${KIBANA_PATH}/api/data_views/data_view ` +
                        `-d '${JSON.stringify({ override: true, data_view: { id: "llm-logs", name: "LLM platform logs", title: LOG_DATA_STREAM_PATTERN, timeFieldName: "@timestamp" } })}'`,
                ],
                secretEnv: { ANALYST_PASSWORD: args.analystPassword },
                resources: stepResources,
                runAs: CURL_USER,
            },
        ],
    };
}

/** The shipper: reads every container's log on the node and sends it to Logstash. */
function fluentBit(args: LogsArgs): ServiceSpec {
    const c = args.config;
    const stackLabel = `llm-platform-${args.stack}`;
    const containerLogs = nodeLayout(c).containerLogs;
    return {
        name: "fluent-bit",
        image: c.fluentBit.image,
        entrypoint: ["/fluent-bit/bin/fluent-bit"],
        command: ["-c", `${FLUENT_BIT_DIR}/llm-fluent-bit.conf`],
        // The node's log directories are root's (Docker: 0700).
        user: "0",
        files: [
            {
                path: `${FLUENT_BIT_DIR}/llm-fluent-bit.conf`,
                content: renderFluentBitConf({
                    stack: stackLabel,
                    proxyService: args.proxyService,
                    logstashHost: args.platform.hostOf("logstash"),
                    logs: containerLogs,
                }),
            },
            { path: `${FLUENT_BIT_DIR}/llm-parsers.conf`, content: renderFluentBitParsers() },
            {
                path: `${FLUENT_BIT_DIR}/llm-labels.lua`,
                content:
                    containerLogs.format === "cri" ? renderKubernetesLabelsLua(stackLabel, containerLogs.namespaces) : renderServiceLabelsLua(stackLabel),
            },
        ],
        hostMounts: containerLogs.hostMounts,
        // Read offsets and the output buffer (Kubernetes: on the node itself, see node-agent.ts).
        volumes: [{ name: "state", mountPath: FLUENT_BIT_STATE_DIR, sizeGb: 2 }],
        ports: [
            { name: "metrics", port: FLUENT_BIT_METRICS_PORT },
            { name: "http", port: FLUENT_BIT_HTTP_PORT },
        ],
        resources: resourcesOf(c.fluentBit),
        rolloutTimeoutMinutes: c.fluentBit.rolloutTimeoutMinutes,
        // The image is distroless: Docker can only run the binary; Kubernetes asks /api/v1/health.
        healthCheck: metricsHealth(["/fluent-bit/bin/fluent-bit", "--version"], FLUENT_BIT_HTTP_PORT, "/api/v1/health"),
        dependsOn: ["logstash"],
        observe: { metrics: { port: FLUENT_BIT_METRICS_PORT, path: "/metrics" } },
    };
}
