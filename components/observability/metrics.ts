import * as pulumi from "@pulumi/pulumi";
import { BACKUP_ROOT } from "../backup/scheduler";
import { PlatformConfig } from "../config/load";
import { ServiceCatalog } from "../platform/catalog";
import { defaultImages } from "../config/images";
import { loopbackPort, resourcesOf, stepResources } from "../platform/resources";
import { ObservedService, ServiceFile, ServiceSpec } from "../platform/types";
import { renderAlertmanagerConf } from "./alertmanager-conf";
import { renderAlertRules } from "./alert-rules";
import { BLACKBOX_CA_FILE, renderBlackboxConf } from "./blackbox-conf";
import { cloudwatchExporterSpec, ManagedServices } from "./cloudwatch-exporter";
import { exporterSpec, wgetHealth } from "./exporters";
import {
    GRAFANA_DASHBOARDS_DIR,
    grafanaDashboards,
    GrafanaDatasourceArgs,
    renderGrafanaDashboardProvider,
    renderGrafanaDatasources,
} from "./grafana-provisioning";
import { bearerTokenPath, BLACKBOX_PORT, caFilePath, probes, PROMETHEUS_PATHS, renderPrometheusConf, scrapeTargets } from "./prometheus-conf";
import { NodeLayout, nodeLayout } from "./node-layout";
import { pushgatewaySpec } from "./pushgateway";
import { GRAFANA_ROTATE_ADMIN_SCRIPT } from "./grafana-rotation";
import {
    ALERTMANAGER_PATH,
    ALERTMANAGER_PORT,
    GRAFANA_ADMIN_USER,
    GRAFANA_PATH,
    GRAFANA_PORT,
    PROMETHEUS_PATH,
    PROMETHEUS_PORT,
} from "./routes";

const NODE_EXPORTER_PORT = 9100;
const CADVISOR_PORT = 8080;

export interface MetricsArgs {
    readonly config: PlatformConfig;
    /** Every service deployed so far: their declarations drive scraping, probes and dashboards. */
    readonly catalog: ServiceCatalog;
    readonly stack: string;
    /** The stack's CA: blackbox verifies the proxy's certificate with it. */
    readonly caCertPem: pulumi.Input<string>;
    /** The proxy's URL as browsers see it: the UIs live under it (Grafana at /grafana/, ...). */
    readonly publicUrl: string;
    /** Grafana's admin password (the proxy checks the same one). Secret. */
    readonly grafanaAdminPassword: pulumi.Output<string>;
    /** During a rotation: the admin password before it, which Grafana still has until the rotation step changes it. */
    readonly grafanaAdminPasswordPrevious?: pulumi.Output<string>;
    /** The logs data source, when logs are on. */
    readonly elasticsearch?: pulumi.Input<GrafanaDatasourceArgs["elasticsearch"]>;
    /** Prod on AWS: the managed services watched through CloudWatch (alerts and a dashboard of their own). */
    readonly managed?: ManagedServices;
    /** Services the platform does not run but scrapes: the apps it only routes to. */
    readonly externalServices?: readonly ObservedService[];
}

/** The Prometheus images' (and any image that writes nothing but its volumes) unprivileged user. */
const NOBODY = { uid: 65534, gid: 65534 };

/**
 * Prometheus, Alertmanager, Grafana and the exporters. What is scraped, probed and charted
 * comes from the `observe` declarations of the services in the catalog.
 */
export class Metrics extends pulumi.ComponentResource {
    readonly grafanaAdminPassword: pulumi.Output<string>;
    readonly prometheusConf: string;
    readonly alertRules: string;
    readonly alertmanagerConf: pulumi.Output<string>;

    constructor(name: string, args: MetricsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("llm-platform:observability:Metrics", name, {}, opts);
        const c = args.config;
        const platform = args.catalog;
        const deploy = (spec: ServiceSpec) => platform.deploy(spec, this);
        const layout = nodeLayout(c);

        // The exporters: one per service that declared one, the node's, the containers', and the prober
        // (which probes what is deployed by then).
        for (const s of platform.observed) {
            if (s.observe?.exporter) deploy(exporterSpec(s.name, s.observe.exporter, c));
        }
        deploy(nodeExporter(c, layout));
        deploy(cadvisor(c, layout));
        deploy(blackboxExporter(args));

        // Without receivers, alerts show only in Alertmanager's UI: config/notices.ts says so once per run.
        this.alertmanagerConf = pulumi.secret(renderAlertmanagerConf(c.observability.alertReceivers));
        deploy(alertmanager(args, this.alertmanagerConf));
        // Kubernetes: backup CronJobs push their last-success times here (they share no files with node-exporter).
        if (layout.backupMetrics === "pushgateway") deploy(pushgatewaySpec(c));
        if (args.managed) deploy(cloudwatchExporterSpec(c, args.managed));

        // What Prometheus scrapes and Grafana charts: everything deployed so far, themselves and the external services.
        const services = scrapedServices(args);
        this.prometheusConf = prometheusConf(args, services);
        this.alertRules = renderAlertRules(c.observability, layout, { databases: managedDatabases(args), apps: c.apps.map((a) => a.name) });
        deploy(prometheus(args, services, { prometheus: this.prometheusConf, alertRules: this.alertRules }));

        this.grafanaAdminPassword = args.grafanaAdminPassword;
        deploy(grafana(args, services, layout));
        this.registerOutputs({});
    }
}

const GRAFANA_OBSERVE = { metrics: { port: GRAFANA_PORT, path: `${GRAFANA_PATH}/metrics` } };
const PROMETHEUS_OBSERVE = { metrics: { port: PROMETHEUS_PORT, path: "/metrics" } };

const managedDatabases = (args: MetricsArgs) => args.managed?.databases ?? [];

function nodeExporter(c: PlatformConfig, layout: NodeLayout): ServiceSpec {
    // Docker: backup schedulers and scheduled tasks report through files on the backups volume.
    const textfileBackups = (c.backup.enabled || c.maintenance.enabled) && layout.backupMetrics === "textfile";
    return {
        name: "node-exporter",
        image: c.nodeExporter.image,
        command: [
            "--path.rootfs=/host",
            `--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|${layout.runtimeMountPoints})($|/)`,
            // The backup jobs' last-success times (BackupTooOld) and the tasks' reports (ScheduledTask*).
            ...(textfileBackups ? [`--collector.textfile.directory=${BACKUP_ROOT}/metrics`] : []),
        ],
        hostMounts: [{ hostPath: "/", mountPath: "/host" }],
        readsBackups: textfileBackups,
        runAs: NOBODY,
        readOnlyRootFilesystem: true,
        ports: [{ name: "metrics", port: NODE_EXPORTER_PORT }],
        resources: resourcesOf(c.nodeExporter),
        rolloutTimeoutMinutes: c.nodeExporter.rolloutTimeoutMinutes,
        healthCheck: wgetHealth(NODE_EXPORTER_PORT),
        observe: { metrics: { port: NODE_EXPORTER_PORT, path: "/metrics" } },
    };
}

function cadvisor(c: PlatformConfig, layout: NodeLayout): ServiceSpec {
    return {
        name: "cadvisor",
        image: c.cadvisor.image,
        command: [...layout.cadvisor.args],
        // Root (the image's user): it reads every container's cgroup files and the runtime's socket.
        hostMounts: layout.cadvisor.hostMounts,
        ports: [{ name: "metrics", port: CADVISOR_PORT }],
        resources: resourcesOf(c.cadvisor),
        rolloutTimeoutMinutes: c.cadvisor.rolloutTimeoutMinutes,
        healthCheck: wgetHealth(CADVISOR_PORT, "/healthz"),
        observe: { metrics: { port: CADVISOR_PORT, path: "/metrics" } },
    };
}

/** The prober: HTTP and TCP probes of the services deployed so far (the catalog as it stands). */
function blackboxExporter(args: MetricsArgs): ServiceSpec {
    const c = args.config;
    return {
        name: "blackbox-exporter",
        image: c.blackboxExporter.image,
        command: ["--config.file=/etc/blackbox_exporter/config.yml"],
        files: [
            { path: "/etc/blackbox_exporter/config.yml", content: renderBlackboxConf() },
            { path: BLACKBOX_CA_FILE, content: args.caCertPem },
        ],
        ports: [{ name: "http", port: BLACKBOX_PORT }],
        resources: resourcesOf(c.blackboxExporter),
        rolloutTimeoutMinutes: c.blackboxExporter.rolloutTimeoutMinutes,
        runAs: NOBODY,
        readOnlyRootFilesystem: true,
        healthCheck: wgetHealth(BLACKBOX_PORT, "/-/healthy"),
        // Every flow is declared (Kubernetes turns them into NetworkPolicies).
        talksTo: [...new Set(probes(args.catalog.services).map((p) => p.service))],
        observe: { metrics: { port: BLACKBOX_PORT, path: "/metrics" } },
    };
}

function alertmanager(args: MetricsArgs, conf: pulumi.Output<string>): ServiceSpec {
    const c = args.config;
    return {
        name: "alertmanager",
        backupNotNeeded: "silences and the notification log only; active alerts come back from Prometheus' rules within minutes",
        image: c.alertmanager.image,
        // One instance: no HA gossip (with it on, a pod without a private-range IP fails to start).
        command: [
            "--config.file=/etc/alertmanager/alertmanager.yml",
            "--storage.path=/alertmanager",
            "--cluster.listen-address=",
            // Behind the proxy at /alertmanager/ (its links, and those in notifications); routes stay at /.
            `--web.external-url=${args.publicUrl}${ALERTMANAGER_PATH}/`,
            "--web.route-prefix=/",
        ],
        files: [{ path: "/etc/alertmanager/alertmanager.yml", content: conf, secret: true, mode: "0644" }],
        volumes: [{ name: "data", mountPath: "/alertmanager", sizeGb: 1 }],
        ports: [loopbackPort("http", ALERTMANAGER_PORT, c.alertmanager.hostPort)],
        resources: resourcesOf(c.alertmanager),
        rolloutTimeoutMinutes: c.alertmanager.rolloutTimeoutMinutes,
        runAs: NOBODY,
        readOnlyRootFilesystem: true,
        healthCheck: wgetHealth(ALERTMANAGER_PORT, "/-/healthy"),
        observe: { metrics: { port: ALERTMANAGER_PORT, path: "/metrics" } },
    };
}

/** Grafana and Prometheus are declared before they exist, so they scrape and chart themselves. */
function scrapedServices(args: MetricsArgs): ObservedService[] {
    return [
        ...args.catalog.observed,
        { name: "grafana", observe: GRAFANA_OBSERVE },
        { name: "prometheus", observe: PROMETHEUS_OBSERVE },
        ...(args.externalServices ?? []),
    ];
}

/** The scrape jobs and probes of prometheus.yml. */
function prometheusConf(args: MetricsArgs, services: readonly ObservedService[]): string {
    const platform = args.catalog;
    return renderPrometheusConf({
        services,
        scrapeIntervalSeconds: args.config.observability.scrapeIntervalSeconds,
        stack: args.stack,
        alertmanager: `${platform.hostOf("alertmanager")}:${ALERTMANAGER_PORT}`,
        blackbox: `${platform.hostOf("blackbox-exporter")}:${BLACKBOX_PORT}`,
        hostOf: (s) => platform.hostOf(s),
        peerHostsOf: (s, count) => platform.peerHosts(s, count),
    });
}

function prometheus(args: MetricsArgs, services: readonly ObservedService[], conf: { readonly prometheus: string; readonly alertRules: string }): ServiceSpec {
    const c = args.config;
    const o = c.observability;
    const tokenFiles: ServiceFile[] = services
        .filter((s) => s.observe?.metrics?.bearerToken !== undefined)
        .map((s) => ({ path: bearerTokenPath(s.name), content: s.observe!.metrics!.bearerToken!, secret: true, mode: "0644" }));
    const caFiles: ServiceFile[] = services
        .filter((s) => s.observe?.metrics?.caCertPem !== undefined)
        .map((s) => ({ path: caFilePath(s.name), content: s.observe!.metrics!.caCertPem!, mode: "0644" }));
    return {
        name: "prometheus",
        backupNotNeeded: "metrics history with its own retention (observability.metricsRetentionDays); the stores it watches are backed up themselves",
        image: c.prometheus.image,
        command: [
            `--config.file=${PROMETHEUS_PATHS.config}`,
            "--storage.tsdb.path=/prometheus",
            `--storage.tsdb.retention.time=${o.metricsRetentionDays}d`,
            `--storage.tsdb.retention.size=${o.metricsRetentionGb}GB`,
            // Reached inside the platform only: the proxy answers /prometheus/-/... with a 404.
            "--web.enable-lifecycle",
            // Behind the proxy at /prometheus/ (the UI's links); routes stay at / for scrapes, probes and Grafana.
            `--web.external-url=${args.publicUrl}${PROMETHEUS_PATH}/`,
            "--web.route-prefix=/",
        ],
        files: [
            { path: PROMETHEUS_PATHS.config, content: conf.prometheus },
            { path: PROMETHEUS_PATHS.rules, content: conf.alertRules },
            ...tokenFiles,
            ...caFiles,
        ],
        volumes: [{ name: "data", mountPath: "/prometheus", sizeGb: o.metricsRetentionGb + 5, sizedBy: "observability.metricsRetentionGb+5" }],
        ports: [loopbackPort("http", PROMETHEUS_PORT, c.prometheus.hostPort)],
        resources: resourcesOf(c.prometheus),
        rolloutTimeoutMinutes: c.prometheus.rolloutTimeoutMinutes,
        runAs: NOBODY,
        readOnlyRootFilesystem: true,
        healthCheck: wgetHealth(PROMETHEUS_PORT, "/-/healthy"),
        stopGraceSeconds: 60,
        // No dependsOn: Prometheus starts without Alertmanager (alerts queue until it answers) and scrapes it like any target.
        talksTo: [...new Set(scrapeTargets(services, (s) => args.catalog.hostOf(s)).filter((t) => t.job !== "prometheus").map((t) => t.address.split(":")[0]))],
        observe: PROMETHEUS_OBSERVE,
    };
}

/** Grafana with its data sources and dashboards provisioned; a rotation step when the admin password changes. */
function grafana(args: MetricsArgs, services: readonly ObservedService[], layout: NodeLayout): ServiceSpec {
    const c = args.config;
    const datasources = pulumi
        .output(args.elasticsearch)
        .apply((elasticsearch) => renderGrafanaDatasources({ prometheusUrl: `http://prometheus:${PROMETHEUS_PORT}`, elasticsearch }));
    const dashboards = grafanaDashboards(services, layout.containerLabel, managedDatabases(args).length > 0, c.apps.map((a) => a.name));
    return {
        name: "grafana",
        backupNotNeeded: "data sources, dashboards and the admin user are provisioned by the program; the volume holds sessions and preferences",
        image: c.grafana.image,
        env: {
            GF_SERVER_ROOT_URL: `${args.publicUrl}${GRAFANA_PATH}/`,
            GF_SERVER_SERVE_FROM_SUB_PATH: "true",
            GF_SECURITY_ADMIN_USER: GRAFANA_ADMIN_USER,
            GF_AUTH_ANONYMOUS_ENABLED: "false",
            GF_AUTH_DISABLE_LOGIN_FORM: "false",
            GF_USERS_ALLOW_SIGN_UP: "false",
            GF_SECURITY_COOKIE_SECURE: "true",
            GF_ANALYTICS_REPORTING_ENABLED: "false",
            GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
            GF_PATHS_PROVISIONING: "/etc/grafana/provisioning",
        },
        secretEnv: { GF_SECURITY_ADMIN_PASSWORD: args.grafanaAdminPassword },
        files: [
            { path: "/etc/grafana/provisioning/datasources/llm-platform.yml", content: datasources, secret: true, mode: "0644" },
            { path: "/etc/grafana/provisioning/dashboards/llm-platform.yml", content: renderGrafanaDashboardProvider() },
            ...Object.entries(dashboards).map(([file, json]) => ({ path: `${GRAFANA_DASHBOARDS_DIR}/${file}`, content: json })),
        ],
        volumes: [{ name: "data", mountPath: "/var/lib/grafana", sizeGb: 2 }],
        ports: [{ name: "http", port: GRAFANA_PORT }],
        resources: resourcesOf(c.grafana),
        rolloutTimeoutMinutes: c.grafana.rolloutTimeoutMinutes,
        // The image's grafana user (group root, which owns its directories).
        runAs: { uid: 472, gid: 0 },
        healthCheck: wgetHealth(GRAFANA_PORT, `${GRAFANA_PATH}/api/health`),
        // It queries Prometheus (and Elasticsearch) per panel, at run time: it starts without them.
        talksTo: ["prometheus", ...(args.elasticsearch ? ["elasticsearch"] : [])],
        observe: GRAFANA_OBSERVE,
        initSteps: args.grafanaAdminPasswordPrevious
            ? [
                  {
                      name: "rotate-admin-password",
                      image: defaultImages.curl,
                      entrypoint: ["/bin/sh", "/tmp/llm-platform-rotate.sh"],
                      command: [],
                      env: { GRAFANA_URL: `http://grafana:${GRAFANA_PORT}${GRAFANA_PATH}` },
                      secretEnv: { GRAFANA_ADMIN_PASSWORD: args.grafanaAdminPassword, GRAFANA_ADMIN_PASSWORD_PREVIOUS: args.grafanaAdminPasswordPrevious },
                      files: [{ path: "/tmp/llm-platform-rotate.sh", content: GRAFANA_ROTATE_ADMIN_SCRIPT, mode: "0755" }],
                      resources: stepResources,
                      // curlimages/curl's curl_user.
                      runAs: { uid: 100, gid: 101 },
                  },
              ]
            : undefined,
    };
}
