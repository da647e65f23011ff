import * as pulumi from "@pulumi/pulumi";
import { defaultImages } from "../config/images";
import { PlatformConfig } from "../config/load";
import { dataVolumePassword, generatedApiKey, generatedPassword } from "../generated-secret";
import { resourcesOf, stepResources } from "../platform/resources";
import { Platform, ServiceSpec } from "../platform/types";
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
        const c = args.config;
        const esUrl = `https://elasticsearch:${ELASTICSEARCH_PORT}`;
        // The elastic password is written into the data volume on first start: it lives as long as the volume.
        this.elasticPassword = dataVolumePassword(`${name}-elastic-password`, this);
        const passwords = Object.fromEntries(
            Object.entries(ES_USERS).map(([key, u]) => [
                u.env,
                u === ES_USERS.analyst ? args.analystPassword : generatedApiKey(`${name}-${key}-password`, this, 32),
            ]),
        ) as Record<string, pulumi.Output<string>>;
        this.analystPassword = args.analystPassword;
        const deploy = (spec: ServiceSpec) => args.platform.deploy(spec, this);

        deploy({
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
            secretEnv: { ELASTIC_PASSWORD: this.elasticPassword },
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
                    `curl -sf --cacert ${ES_CERTS}/ca.crt -u "elastic:$ELASTIC_PASSWORD" "https://127.0.0.1:${ELASTICSEARCH_PORT}/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null`,
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
                    target: esUrl,
                    user: ES_USERS.monitor.user,
                    password: passwords[ES_USERS.monitor.env],
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
                    secretEnv: { ELASTIC_PASSWORD: this.elasticPassword, ...passwords },
                    files: [
                        {
                            path: "/tmp/llm-platform-es-setup.sh",
                            content: renderElasticsearchSetup({ url: esUrl, caFile: STEP_CA, retentionDays: c.observability.logsRetentionDays }),
                            mode: "0755",
                        },
                        { path: STEP_CA, content: args.caCertPem },
                    ],
                    resources: stepResources,
                    runAs: CURL_USER,
                },
            ],
        });

        this.logstashPipeline = renderLogstashPipeline({
            services: [...args.services(), { name: "fluent-bit", observe: { logFormat: "plain" } }],
            elasticsearchUrl: esUrl,
            caFile: LS_CA,
            userEnv: "LOGS_WRITER_USER",
            passwordEnv: ES_USERS.writer.env,
        });
        deploy({
            name: "logstash",
            image: c.logstash.image,
            env: {
                LS_JAVA_OPTS: jvmOptions(c.logstash.memoryMb),
                LOGS_WRITER_USER: ES_USERS.writer.user,
                XPACK_MONITORING_ENABLED: "false",
                API_HTTP_HOST: "0.0.0.0",
                PIPELINE_WORKERS: String(Math.max(1, Math.floor(c.logstash.cpu))),
            },
            secretEnv: { [ES_USERS.writer.env]: passwords[ES_USERS.writer.env] },
            files: [
                { path: "/usr/share/logstash/pipeline/logstash.conf", content: this.logstashPipeline },
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
        });

        const kibanaKey = (key: string) => generatedPassword(`${name}-kibana-${key}`, this, { length: 48, protect: true });
        deploy({
            name: "kibana",
            image: c.kibana.image,
            entrypoint: ["/bin/tini", "--", "/bin/bash", "-c"],
            command: [kibanaStartScript(esUrl)],
            env: {
                SERVER_BASEPATH: KIBANA_PATH,
                SERVER_REWRITEBASEPATH: "true",
                SERVER_PUBLICBASEURL: args.kibanaPublicUrl,
                ELASTICSEARCH_HOSTS: esUrl,
                ELASTICSEARCH_SSL_CERTIFICATEAUTHORITIES: KIBANA_CA,
                ELASTICSEARCH_SSL_VERIFICATIONMODE: "full",
                TELEMETRY_OPTIN: "false",
                NODE_OPTIONS: `--max-old-space-size=${jvmHeapMb(c.kibana.memoryMb)}`,
            },
            secretEnv: {
                [ES_USERS.tokenIssuer.env]: passwords[ES_USERS.tokenIssuer.env],
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
                    secretEnv: { ANALYST_PASSWORD: this.analystPassword },
                    resources: stepResources,
                    runAs: CURL_USER,
                },
            ],
        });

        const stackLabel = `llm-platform-${args.stack}`;
        const containerLogs = nodeLayout(c).containerLogs;
        deploy({
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
        });

        this.grafanaDatasource = pulumi
            .all([passwords[ES_USERS.reader.env], pulumi.output(args.caCertPem)])
            .apply(([password, caCertPem]) => ({ url: esUrl, user: ES_USERS.reader.user, password, caCertPem, index: LOG_DATA_STREAM_PATTERN }));
        this.registerOutputs({});
    }
}
