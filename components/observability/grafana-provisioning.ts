import { appServiceName } from "../config/apps";
import { stringify } from "yaml";
import { ObservedService } from "../platform/types";
import { BACKUP_METRIC, PROXY_DURATION_METRIC, PROXY_REQUESTS_METRIC, TASK_METRICS } from "./alert-rules";
import { probes, scrapeTargets } from "./prometheus-conf";

export const GRAFANA_DASHBOARDS_DIR = "/etc/grafana/dashboards";
export const PROMETHEUS_UID = "prometheus";
export const ELASTICSEARCH_UID = "elasticsearch";

export interface GrafanaDatasourceArgs {
    readonly prometheusUrl: string;
    /** Present when logs are on. */
    readonly elasticsearch?: { readonly url: string; readonly user: string; readonly password: string; readonly caCertPem: string; readonly index: string };
}

/** provisioning/datasources/llm-platform.yml. Carries the Elasticsearch reader's password: a secret file. */
export function renderGrafanaDatasources(a: GrafanaDatasourceArgs): string {
    const datasources: object[] = [
        { name: "Prometheus", uid: PROMETHEUS_UID, type: "prometheus", access: "proxy", url: a.prometheusUrl, isDefault: true, editable: false },
    ];
    if (a.elasticsearch) {
        const es = a.elasticsearch;
        datasources.push({
            name: "Elasticsearch",
            uid: ELASTICSEARCH_UID,
            type: "elasticsearch",
            access: "proxy",
            url: es.url,
            basicAuth: true,
            basicAuthUser: es.user,
            editable: false,
            jsonData: { index: es.index, timeField: "@timestamp", tlsAuthWithCACert: true },
            secureJsonData: { basicAuthPassword: es.password, tlsCACert: es.caCertPem },
        });
    }
    return stringify({ apiVersion: 1, datasources }, { lineWidth: 0 });
}

/** provisioning/dashboards/llm-platform.yml: the dashboards below, read-only in the UI. */
export function renderGrafanaDashboardProvider(): string {
    return stringify(
        {
            apiVersion: 1,
            providers: [
                { name: "llm-platform", folder: "LLM platform", type: "file", disableDeletion: true, allowUiUpdates: false, options: { path: GRAFANA_DASHBOARDS_DIR } },
            ],
        },
        { lineWidth: 0 },
    );
}

interface Query {
    readonly expr: string;
    readonly legend: string;
}

interface PanelDef {
    readonly title: string;
    /** A table shows the query's latest values (instant), one row per series: for texts such as statements. */
    readonly type: "timeseries" | "stat" | "table";
    readonly queries: readonly Query[];
    readonly unit?: string;
}

function dashboard(uid: string, title: string, panels: readonly PanelDef[]) {
    return {
        uid,
        title,
        tags: ["llm-platform"],
        schemaVersion: 39,
        editable: false,
        time: { from: "now-6h", to: "now" },
        refresh: "30s",
        panels: panels.map((p, i) => ({
            id: i + 1,
            type: p.type,
            title: p.title,
            gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
            datasource: { type: "prometheus", uid: PROMETHEUS_UID },
            fieldConfig: { defaults: { unit: p.unit ?? "short" }, overrides: [] },
            targets: p.queries.map((q, j) => ({
                refId: String.fromCharCode(65 + j),
                datasource: { type: "prometheus", uid: PROMETHEUS_UID },
                expr: q.expr,
                legendFormat: q.legend,
                ...(p.type === "table" ? { format: "table", instant: true } : {}),
            })),
        })),
    };
}

/** One health row per service, generated from what each service declares. */
function overview(services: readonly ObservedService[]) {
    const scraped = new Set(scrapeTargets(services).map((t) => t.job));
    const probed = new Set(probes(services).map((p) => p.service));
    const panels: PanelDef[] = services
        .filter((s) => scraped.has(s.name) || probed.has(s.name))
        .map((s) => ({
            title: `${s.name}: up`,
            type: "stat" as const,
            queries: [
                ...(scraped.has(s.name) ? [{ expr: `min(up{job="${s.name}"})`, legend: "scrape" }] : []),
                ...(probed.has(s.name) ? [{ expr: `min(probe_success{service="${s.name}"})`, legend: "probes" }] : []),
            ],
        }));
    return dashboard("llm-overview", "LLM platform: overview", panels);
}

const rate5m = (m: string, filter = "") => `rate(${m}${filter}[5m])`;

function proxy() {
    return dashboard("llm-proxy", "LLM platform: proxy traffic", [
        { title: "Requests per second by route", type: "timeseries", unit: "reqps", queries: [{ expr: `sum by (route) (${rate5m(PROXY_REQUESTS_METRIC)})`, legend: "{{route}}" }] },
        { title: "Requests per second by status", type: "timeseries", unit: "reqps", queries: [{ expr: `sum by (status) (${rate5m(PROXY_REQUESTS_METRIC)})`, legend: "{{status}}" }] },
        {
            title: "p95 request time by route",
            type: "timeseries",
            unit: "s",
            queries: [{ expr: `histogram_quantile(0.95, sum by (route, le) (${rate5m(`${PROXY_DURATION_METRIC}_bucket`)}))`, legend: "{{route}}" }],
        },
        {
            title: "5xx share by route",
            type: "timeseries",
            unit: "percentunit",
            queries: [
                {
                    expr: `sum by (route) (${rate5m(PROXY_REQUESTS_METRIC, '{status=~"5.."}')}) / sum by (route) (${rate5m(PROXY_REQUESTS_METRIC)})`,
                    legend: "{{route}}",
                },
            ],
        },
        {
            title: "Embeddings and chat through the proxy (Ollama API routes)",
            type: "timeseries",
            unit: "reqps",
            queries: [{ expr: `sum by (route) (${rate5m(PROXY_REQUESTS_METRIC, '{route=~"ollama.*"}')})`, legend: "{{route}}" }],
        },
        { title: "NGINX connections", type: "timeseries", queries: [{ expr: "nginx_connections_active", legend: "active" }] },
    ]);
}

/** A row per app (`apps` config): its traffic, 5xx share and p95 at the proxy, by its route label. */
function appsDashboard(apps: readonly string[]) {
    return dashboard(
        "llm-apps",
        "LLM platform: apps",
        apps.flatMap((app) => {
            const route = `{route="${appServiceName(app)}"}`;
            return [
                { title: `${app}: requests per second by status`, type: "timeseries" as const, unit: "reqps", queries: [{ expr: `sum by (status) (rate(${PROXY_REQUESTS_METRIC}${route}[5m]))`, legend: "{{status}}" }] },
                {
                    title: `${app}: p95 request time and 5xx share`,
                    type: "timeseries" as const,
                    queries: [
                        { expr: `histogram_quantile(0.95, sum by (le) (rate(${PROXY_DURATION_METRIC}_bucket${route}[5m])))`, legend: "p95 (s)" },
                        { expr: `sum(rate(${PROXY_REQUESTS_METRIC}{route="${appServiceName(app)}",status=~"5.."}[5m])) / sum(rate(${PROXY_REQUESTS_METRIC}${route}[5m]))`, legend: "5xx share" },
                    ],
                },
            ];
        }),
    );
}

function dataStores() {
    return dashboard("llm-datastores", "LLM platform: data stores", [
        {
            title: "Connections used (share of the maximum)",
            type: "timeseries",
            unit: "percentunit",
            queries: [
                { expr: "sum by (service) (pg_stat_activity_count) / max by (service) (pg_settings_max_connections)", legend: "{{service}}" },
                { expr: "sum by (service) (mssql_user_connections) / max by (service) (mssql_max_connections)", legend: "{{service}}" },
            ],
        },
        { title: "Redis memory (share of maxmemory)", type: "timeseries", unit: "percentunit", queries: [{ expr: "redis_memory_used_bytes / redis_memory_max_bytes", legend: "{{service}}" }] },
        { title: "Redis commands per second", type: "timeseries", unit: "ops", queries: [{ expr: "sum by (service) (rate(redis_commands_processed_total[5m]))", legend: "{{service}}" }] },
        { title: "SQL Server database size", type: "timeseries", unit: "bytes", queries: [{ expr: "sum by (db) (mssql_database_size_bytes)", legend: "{{db}}" }] },
        { title: "PostgreSQL database size", type: "timeseries", unit: "bytes", queries: [{ expr: "pg_database_size_bytes", legend: "{{datname}}" }] },
                // Qdrant labels a collection `id` (src/common/metrics.rs:359, v1.19.0).
        { title: "Qdrant collections: points", type: "timeseries", queries: [{ expr: "sum by (id) (collection_points)", legend: "{{id}}" }] },
        { title: "Elasticsearch heap used", type: "timeseries", unit: "percentunit", queries: [{ expr: 'elasticsearch_jvm_memory_used_bytes{area="heap"} / elasticsearch_jvm_memory_max_bytes{area="heap"}', legend: "heap" }] },
    ]);
}

/** `name`: the cAdvisor label that names a container for people on this platform. */
function containers(name: string) {
    return dashboard("llm-containers", "LLM platform: containers and host", [
        {
            title: "Container memory (share of its limit)",
            type: "timeseries",
            unit: "percentunit",
            queries: [{ expr: `container_memory_working_set_bytes{${name}!=""} / (container_spec_memory_limit_bytes{${name}!=""} > 0)`, legend: `{{${name}}}` }],
        },
        { title: "Container CPU (cores)", type: "timeseries", queries: [{ expr: `sum by (${name}) (rate(container_cpu_usage_seconds_total{${name}!=""}[5m]))`, legend: `{{${name}}}` }] },
        { title: "Host memory available", type: "timeseries", unit: "percentunit", queries: [{ expr: "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes", legend: "available" }] },
        {
            title: "Disk used",
            type: "timeseries",
            unit: "percentunit",
            queries: [{ expr: '1 - node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs|nsfs|ramfs"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs|nsfs|ramfs"}', legend: "{{mountpoint}}" }],
        },
        { title: "Certificate days left", type: "stat", unit: "d", queries: [{ expr: "(probe_ssl_earliest_cert_expiry - time()) / 86400", legend: "{{instance}}" }] },
    ]);
}

/**
 * The runbooks' diagnostic queries as panels: the slowest statements of PostgreSQL
 * (pg_stat_statements) and SQL Server (plan cache), SQL Server's waits, the vector indexes'
 * use, Qdrant's search time, table bloat, and the scheduled tasks' and backups' last success.
 */
function diagnostics() {
    const hours = (metric: string) => `(time() - ${metric}) / 3600`;
    return dashboard("llm-diagnostics", "LLM platform: database diagnostics", [
        {
            title: "PostgreSQL: slowest statements (mean time per call)",
            type: "timeseries",
            unit: "s",
            queries: [{ expr: "topk(10, rate(pg_stat_statements_seconds_total[5m]) / (rate(pg_stat_statements_calls_total[5m]) > 0))", legend: "{{queryid}}" }],
        },
        {
            title: "PostgreSQL: statements by total time (seconds per second)",
            type: "timeseries",
            queries: [{ expr: "topk(10, rate(pg_stat_statements_seconds_total[5m]))", legend: "{{queryid}}" }],
        },
        {
            title: "PostgreSQL: statement texts by queryid",
            type: "table",
            queries: [{ expr: "max by (queryid, query) (pg_stat_statements_query_id)", legend: "{{queryid}}" }],
        },
        {
            title: "PostgreSQL: dead rows by table (bloat)",
            type: "timeseries",
            unit: "percentunit",
            queries: [
                {
                    expr: "topk(10, pg_stat_user_tables_n_dead_tup / ((pg_stat_user_tables_n_live_tup + pg_stat_user_tables_n_dead_tup) > 0))",
                    legend: "{{schemaname}}.{{relname}}",
                },
            ],
        },
        {
            title: "SQL Server: wait time by wait type (seconds per second)",
            type: "timeseries",
            queries: [{ expr: "topk(10, rate(mssql_wait_seconds_total[5m]))", legend: "{{wait_type}}" }],
        },
        {
            title: "SQL Server: slowest statements in the plan cache (mean seconds)",
            type: "table",
            unit: "s",
            queries: [{ expr: "mssql_slow_query_mean_seconds", legend: "{{query}}" }],
        },
        {
            title: "SQL Server: vector (DiskANN) index reads per second",
            type: "timeseries",
            unit: "ops",
            queries: [{ expr: "sum by (table, index, kind) (rate(mssql_vector_index_reads_total[5m]))", legend: "{{table}} {{index}} {{kind}}" }],
        },
        {
            title: "Qdrant: p95 search time",
            type: "timeseries",
            unit: "s",
            queries: [
                {
                    expr: 'histogram_quantile(0.95, sum by (le) (rate(rest_responses_duration_seconds_bucket{endpoint=~"/collections/.+/points/(search|query)(/batch|/groups)?"}[5m])))',
                    legend: "p95",
                },
            ],
        },
        {
            title: "Maintenance and restore drills: hours since the last success",
            type: "timeseries",
            unit: "h",
            queries: [{ expr: hours(TASK_METRICS.lastSuccess), legend: "{{store}} {{task}}" }],
        },
        { title: "Maintenance and restore drills: last run succeeded", type: "stat", queries: [{ expr: TASK_METRICS.lastRunOk, legend: "{{store}} {{task}}" }] },
        { title: "Backups: hours since the last success", type: "timeseries", unit: "h", queries: [{ expr: hours(BACKUP_METRIC), legend: "{{store}} {{kind}}" }] },
    ]);
}

/** RDS through the CloudWatch exporter (YACE's names, labelled by `dimension_DBInstanceIdentifier`). */
function managedServices() {
    const id = "{{dimension_DBInstanceIdentifier}}";
    return dashboard("llm-managed", "LLM platform: managed services (RDS)", [
        { title: "RDS CPU", type: "timeseries", unit: "percent", queries: [{ expr: "aws_rds_cpuutilization_average", legend: id }] },
        {
            title: "RDS storage used (share of what is allocated)",
            type: "timeseries",
            unit: "percentunit",
            queries: [{ expr: "1 - aws_rds_free_storage_space_average / on (dimension_DBInstanceIdentifier) group_left () aws_rds_allocated_storage", legend: id }],
        },
        { title: "RDS connections", type: "timeseries", queries: [{ expr: "aws_rds_database_connections_average", legend: id }] },
        { title: "RDS replica lag", type: "timeseries", unit: "s", queries: [{ expr: "aws_rds_replica_lag_average", legend: id }] },
        { title: "RDS freeable memory", type: "timeseries", unit: "bytes", queries: [{ expr: "aws_rds_freeable_memory_average", legend: id }] },
    ]);
}

/** The dashboards, by file name; `managed`: the stack has managed services (RDS) to show. */
export function grafanaDashboards(services: readonly ObservedService[], containerLabel: string, managed = false, apps: readonly string[] = []): Record<string, string> {
    const all = [
        overview(services),
        proxy(),
        dataStores(),
        containers(containerLabel),
        diagnostics(),
        ...(managed ? [managedServices()] : []),
        ...(apps.length > 0 ? [appsDashboard(apps)] : []),
    ];
    return Object.fromEntries(all.map((d) => [`${d.uid}.json`, JSON.stringify(d, null, 2)]));
}
