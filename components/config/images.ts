import { unpinnedReason as pinningProblem } from "../../policies/shared/image-reference";

/**
 * Default images, each pinned to an exact tag. Every service's `image` config key
 * overrides its entry; the override must be pinned too (see `pinnedImage`).
 */
export const defaultImages = {
    sqlserver: "mcr.microsoft.com/mssql/server:2025-CU9-ubuntu-22.04",
    ollama: "ollama/ollama:0.40.2",
    proxy: "nginx:1.30.5-alpine",
    timescale: "timescale/timescaledb:2.30.2-pg17",
    /**
     * timescale.engine cloudnativepg: Timescale's HA image, the one CloudNativePG's own cluster chart uses for
     * TimescaleDB (charts/cluster/templates/image-catalog-timescaledb-ha.yaml, postgres uid/gid 1000); it ships
     * barman-cloud, which the operator's WAL archiving runs. Tag seen in a public repository, not checked against the registry.
     */
    timescaleCluster: "timescale/timescaledb-ha:pg17.11-ts2.30.1",
    redis: "valkey/valkey:8.1.7-alpine",
    qdrant: "qdrant/qdrant:v1.19.2",
    // Observability: metrics.
    prometheus: "prom/prometheus:v3.14.0",
    alertmanager: "prom/alertmanager:v0.34.1",
    grafana: "grafana/grafana:13.2.0",
    nodeExporter: "prom/node-exporter:v1.12.1",
    cadvisor: "ghcr.io/google/cadvisor:0.60.5",
    blackboxExporter: "prom/blackbox-exporter:v0.28.0",
    /** Kubernetes only: the backup CronJobs push their last-success times to it. */
    pushgateway: "prom/pushgateway:v1.11.4",
    postgresExporter: "quay.io/prometheuscommunity/postgres-exporter:v0.20.1",
    redisExporter: "oliver006/redis_exporter:v1.88.0-alpine",
    nginxExporter: "nginx/nginx-prometheus-exporter:1.5.3",
    sqlExporter: "burningalchemist/sql_exporter:0.24.6",
    elasticsearchExporter: "prometheuscommunity/elasticsearch-exporter:v1.11.0",
    /** Prod on AWS: the managed services' CloudWatch metrics (YACE); the tag follows postgres-exporter's release pipeline, not checked against the registry. */
    cloudwatchExporter: "quay.io/prometheuscommunity/yet-another-cloudwatch-exporter:v0.67.0",
    // Observability: logs (one Elastic release for the three).
    elasticsearch: "docker.elastic.co/elasticsearch/elasticsearch:9.5.4",
    logstash: "docker.elastic.co/logstash/logstash:9.5.4",
    kibana: "docker.elastic.co/kibana/kibana:9.5.4",
    fluentBit: "fluent/fluent-bit:5.1.3",
    /** Runs the one-shot HTTP steps (Qdrant collection). */
    curl: "curlimages/curl:8.22.0",
    /** Runs the smoke checks inside a Kubernetes stack (scripts/smoke/in-cluster.ts, transpiled): Node's built-in modules only. */
    node: "node:22.21.0-alpine",
    /** Uploads backups to S3 and downloads them for restores (Kubernetes). */
    awsCli: "amazon/aws-cli:2.37.5",
    /** Schema migrations of the PostgreSQL databases (TimescaleDB, RDS): git tag v1.6.1.2 of sqitchers/docker-sqitch. */
    sqitch: "sqitch/sqitch:v1.6.1.2",
    /** Schema migrations of SQL Server: the last Apache-2.0 line (5.x is FSL and ships no JDBC drivers); the tests run the same 4.28.0. */
    liquibase: "liquibase/liquibase:4.28.0",
} as const;

/**
 * Why an image reference is not pinned, or undefined when it is: the policy pack's
 * definition (exact version tag or digest), so config and the pack agree word for word.
 */
export function unpinnedReason(image: string): string | undefined {
    return pinningProblem(image);
}
