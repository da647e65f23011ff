import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../config/load";
import { resourcesOf } from "../platform/resources";
import { ExporterDeclaration, ExporterKind, ServiceSpec } from "../platform/types";
import { renderSqlExporterConfig } from "./sql-exporter-conf";
import { STORE_CA_PATH, storeCaFile } from "../tls/store-clients";

/** Where each exporter serves its metrics. */
export const EXPORTER_PORTS: Readonly<Record<ExporterKind, number>> = {
    postgres: 9187,
    redis: 9121,
    nginx: 9113,
    mssql: 9399,
    elasticsearch: 9114,
};

/** The config object that sizes and pins each kind of exporter. */
const CONFIG_KEY = {
    postgres: "postgresExporter",
    redis: "redisExporter",
    nginx: "nginxExporter",
    mssql: "sqlExporter",
    elasticsearch: "elasticsearchExporter",
} as const satisfies Record<ExporterKind, keyof PlatformConfig>;

/** DNS name of the exporter that speaks for `service`. */
export function exporterHost(service: string): string {
    return `${service}-exporter`;
}

/**
 * The busybox-based images (Prometheus community, sql_exporter) and redis_exporter's alpine
 * variant have wget; nginx-prometheus-exporter is built from scratch, so Docker can only
 * check that its binary runs (Prometheus' `up` and the TargetDown alert watch the rest).
 */
function metricsCheck(kind: ExporterKind, port: number) {
    return kind === "nginx" ? metricsHealth(["/usr/bin/nginx-prometheus-exporter", "--version"], port) : wgetHealth(port);
}

/** A health check on a /metrics endpoint (Kubernetes: httpGet). */
export const metricsHealth = (command: string[], port: number, path = "/metrics") => ({
    command,
    httpGet: { path, port },
    intervalSeconds: 15,
    timeoutSeconds: 5,
    retries: 5,
    startPeriodSeconds: 10,
});

/** metricsHealth on `path`, checked by Docker with the image's busybox wget. */
export const wgetHealth = (port: number, path = "/metrics") => metricsHealth(["wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${port}${path}`], port, path);

/**
 * The exporter that speaks for a service, as a service of its own. Credentials reach it as
 * secret env or a secret file; it reads the service over the platform network only.
 */
export function exporterSpec(service: string, decl: ExporterDeclaration, config: PlatformConfig): ServiceSpec {
    const c = config[CONFIG_KEY[decl.kind]];
    const port = EXPORTER_PORTS[decl.kind];
    const base = {
        name: exporterHost(service),
        image: c.image,
        ports: [{ name: "metrics", port }],
        resources: resourcesOf(c),
        rolloutTimeoutMinutes: c.rolloutTimeoutMinutes,
        healthCheck: metricsCheck(decl.kind, port),
        // None of them writes a file: nobody, whatever user the image names.
        runAs: { uid: 65534, gid: 65534 },
        readOnlyRootFilesystem: true,
        ...(decl.outside ? { privateEgress: [decl.outside] } : { dependsOn: [service] }),
    };
    const password = decl.password ?? "";
    switch (decl.kind) {
        case "postgres":
            return {
                ...base,
                // Statement statistics for the slow-query panels: off by default in postgres_exporter
                // (collector/pg_stat_statements.go:45, v0.20.1); the 50 costliest, with their text.
                command: ["--collector.stat_statements", "--collector.stat_statements.include_query", "--collector.stat_statements.limit=50"],
                // The server refuses TCP without TLS: lib/pq checks its name and chain with the store's CA.
                env: {
                    DATA_SOURCE_URI: `${decl.target}/${decl.database ?? "postgres"}?${decl.caCertPem ? `sslmode=verify-full&sslrootcert=${STORE_CA_PATH}` : "sslmode=disable"}`,
                    DATA_SOURCE_USER: decl.user ?? "postgres",
                },
                secretEnv: { DATA_SOURCE_PASS: password },
                files: decl.caCertPem ? [storeCaFile(decl.caCertPem)] : [],
            };
        case "redis":
            // rediss:// targets: verified with the store's CA when one is given (main.go tls-ca-cert-file), else the system's (ElastiCache).
            return {
                ...base,
                // REDIS_USER: an ACL user (ElastiCache's RBAC), else the default user (main.go:159 redis.user).
                env: { REDIS_ADDR: decl.target, ...(decl.user ? { REDIS_USER: decl.user } : {}), ...(decl.caCertPem ? { REDIS_EXPORTER_TLS_CA_CERT_FILE: STORE_CA_PATH } : {}) },
                secretEnv: { REDIS_PASSWORD: password },
                files: decl.caCertPem ? [storeCaFile(decl.caCertPem)] : [],
            };
        case "nginx":
            return { ...base, command: [`--nginx.scrape-uri=${decl.target}`] };
        case "mssql":
            return {
                ...base,
                command: ["--config.file=/etc/sql_exporter/sql_exporter.yml"],
                files: [
                    {
                        path: "/etc/sql_exporter/sql_exporter.yml",
                        content: pulumi
                            .all([password, decl.target])
                            .apply(([p, target]) => renderSqlExporterConfig({ target, user: decl.user ?? "", password: p, database: decl.database ?? "master" })),
                        secret: true,
                        mode: "0644",
                    },
                ],
            };
        case "elasticsearch":
            return {
                ...base,
                command: [
                    `--es.uri=${decl.target}`,
                    "--es.ca=/etc/elasticsearch-exporter/ca.crt",
                    "--es.all=false",
                    "--es.indices=false",
                ],
                secretEnv: { ES_USERNAME: decl.user ?? "", ES_PASSWORD: password },
                files: decl.caCertPem ? [{ path: "/etc/elasticsearch-exporter/ca.crt", content: decl.caCertPem }] : [],
            };
    }
}
