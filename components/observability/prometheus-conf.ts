import { stringify } from "yaml";
import { isNodeAgent, ProbeDeclaration, ObservedService } from "../platform/types";
import { EXPORTER_PORTS, exporterHost } from "./exporters";

/** Where Prometheus finds the files it is given. */
export const PROMETHEUS_PATHS = {
    config: "/etc/prometheus/prometheus.yml",
    rules: "/etc/prometheus/rules/llm-platform.rules.yml",
    /** One file per bearer token, named after the service. */
    secretsDir: "/etc/prometheus/secrets",
} as const;

export const BLACKBOX_PORT = 9115;

/** The blackbox modules probes use, by the module a service declares. */
export const PROBE_MODULES: Readonly<Record<ProbeDeclaration["module"], string>> = {
    http: "http_2xx",
    https: "https_2xx_stack_ca",
    tcp: "tcp_connect",
};

export interface ScrapeTarget {
    /** Prometheus job; the service name. */
    readonly job: string;
    /** `host:port`; the host as the platform names it. */
    readonly address: string;
    readonly path: string;
    /** The service needs a bearer token: read from this file. */
    readonly bearerTokenFile?: string;
    /** The service serves HTTPS: verified with the CA in this file. */
    readonly caFile?: string;
    /** A node agent: the host name resolves to one address per node, each a target (DNS service discovery). */
    readonly perNode?: boolean;
    readonly honorLabels?: boolean;
}

export interface Probe {
    readonly service: string;
    readonly probe: string;
    readonly module: string;
    readonly target: string;
}

/**
 * Every scrape target the services declare: their own endpoint, or the exporter that speaks
 * for them. `hostOf` is the platform's: on Kubernetes node agents live in another namespace.
 */
export function scrapeTargets(
    services: readonly ObservedService[],
    hostOf: (service: string) => string = (s) => s,
    peerHostsOf: (service: string, count: number) => string[] = () => [],
): ScrapeTarget[] {
    const targets: ScrapeTarget[] = [];
    for (const s of services) {
        const m = s.observe?.metrics;
        if (m) {
            // Each peer of a store of peers counts for itself (the Service would give a random one per scrape, mixing their counters).
            const peers = m.host ? [] : peerHostsOf(s.name, s.peers?.count ?? 1);
            for (const host of peers.length > 0 ? peers : [m.host ?? hostOf(s.name)]) {
                targets.push({
                    job: s.name,
                    address: `${host}:${m.port}`,
                    path: m.path,
                    bearerTokenFile: m.bearerToken === undefined ? undefined : bearerTokenPath(s.name),
                    caFile: m.caCertPem === undefined ? undefined : caFilePath(s.name),
                    perNode: isNodeAgent(s),
                    honorLabels: m.honorLabels,
                });
            }
        }
        const e = s.observe?.exporter;
        if (e) targets.push({ job: s.name, address: `${hostOf(exporterHost(s.name))}:${EXPORTER_PORTS[e.kind]}`, path: "/metrics" });
    }
    return targets;
}

/** Every blackbox probe the services declare. */
export function probes(services: readonly ObservedService[]): Probe[] {
    return services.flatMap((s) =>
        (s.observe?.probes ?? []).map((p) => ({ service: s.name, probe: p.name, module: PROBE_MODULES[p.module], target: p.target })),
    );
}

/** The CA a service's HTTPS metrics endpoint is verified with. */
export function caFilePath(service: string): string {
    return `/etc/prometheus/tls/${service}-ca.pem`;
}

export function bearerTokenPath(service: string): string {
    return `${PROMETHEUS_PATHS.secretsDir}/${service}-token`;
}

export interface PrometheusConfArgs {
    readonly services: readonly ObservedService[];
    readonly scrapeIntervalSeconds: number;
    /** Label on every series and alert: which stack it comes from. */
    readonly stack: string;
    readonly alertmanager: string;
    readonly blackbox: string;
    /** The platform's host names (default: the service name itself). */
    readonly hostOf?: (service: string) => string;
    /** The names of a store's peers (ServiceSpec.peers), each scraped. */
    readonly peerHostsOf?: (service: string, count: number) => string[];
}

/**
 * prometheus.yml, generated from the services' declarations. Only fields that Prometheus
 * 2.42 (Debian's promtool) and the pinned 3.x both accept.
 */
export function renderPrometheusConf(a: PrometheusConfArgs): string {
    const interval = `${a.scrapeIntervalSeconds}s`;
    const jobs = new Map<string, ScrapeTarget[]>();
    for (const t of scrapeTargets(a.services, a.hostOf, a.peerHostsOf)) jobs.set(t.job, [...(jobs.get(t.job) ?? []), t]);

    const serviceJobs = [...jobs.entries()].map(([job, targets]) => ({
        job_name: job,
        metrics_path: targets[0].path,
        ...(targets[0].honorLabels ? { honor_labels: true } : {}),
        ...(targets[0].bearerTokenFile ? { authorization: { type: "Bearer", credentials_file: targets[0].bearerTokenFile } } : {}),
        ...(targets[0].caFile ? { scheme: "https", tls_config: { ca_file: targets[0].caFile, min_version: "TLS12" } } : {}),
        ...(targets[0].perNode
            ? {
                  // One A record per node's copy (Kubernetes: a headless Service); needs no API access.
                  dns_sd_configs: [{ names: targets.map((t) => t.address.split(":")[0]), type: "A", port: Number(targets[0].address.split(":")[1]) }],
                  relabel_configs: [{ target_label: "service", replacement: job }],
              }
            : { static_configs: [{ targets: targets.map((t) => t.address), labels: { service: job } }] }),
    }));

    const byModule = new Map<string, Probe[]>();
    for (const p of probes(a.services)) byModule.set(p.module, [...(byModule.get(p.module) ?? []), p]);
    const probeJobs = [...byModule.entries()].map(([module, list]) => ({
        job_name: `probe_${module}`,
        metrics_path: "/probe",
        params: { module: [module] },
        static_configs: list.map((p) => ({ targets: [p.target], labels: { service: p.service, probe: p.probe } })),
        relabel_configs: [
            { source_labels: ["__address__"], target_label: "__param_target" },
            { source_labels: ["__param_target"], target_label: "instance" },
            { target_label: "__address__", replacement: a.blackbox },
        ],
    }));

    return (
        "# Generated by llm-platform from the services' `observe` declarations: edit the program, not this file.\n" +
        stringify(
            {
                global: {
                    scrape_interval: interval,
                    evaluation_interval: interval,
                    scrape_timeout: `${Math.min(10, a.scrapeIntervalSeconds)}s`,
                    external_labels: { stack: a.stack },
                },
                alerting: { alertmanagers: [{ static_configs: [{ targets: [a.alertmanager] }] }] },
                rule_files: [PROMETHEUS_PATHS.rules],
                scrape_configs: [...serviceJobs, ...probeJobs],
            },
            { lineWidth: 0 },
        )
    );
}
