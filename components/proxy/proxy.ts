import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../config/load";
import { generatedApiKey, Rotations, rotatingSecret } from "../generated-secret";
import { resourcesOf } from "../platform/resources";
import { Platform, ServiceFile, ServiceSpec } from "../platform/types";
import { PROXY_STOP_DELAY_SECONDS } from "../proxy-draining";
import { AppProxyRoute } from "./app-routes";
import { nginxVersionFromImage, renderApiKeyMap, renderNginxConf, Upstream } from "./nginx-conf";

export const PROXY_HTTPS_PORT = 443;
/** `stub_status` for the metrics exporter: reachable inside the platform only, never published. */
export const PROXY_STATUS_PORT = 8081;
const TLS_DIR = "/etc/nginx/tls";
const API_KEYS_FILE = "/etc/nginx/auth/api-keys.map";
/** The proxy's own client for SQL Server's external model (not one of `proxy.clients`). */
export const SQLSERVER_CLIENT = "sqlserver";
/** The canary proxy's service name beside the stable one (`proxy.canary`, docs/releases.md). */
export const canaryName = (name: string) => `${name}-canary`;

export interface TlsProxyArgs {
    readonly config: PlatformConfig["proxy"];
    readonly platform: Platform;
    /** Leaf certificate (with chain) and its key (secret). */
    readonly certPem: pulumi.Input<string>;
    readonly keyPem: pulumi.Input<string>;
    /** `host:port` of Ollama inside the platform. */
    readonly ollamaTarget: string;
    /** More routes behind the proxy, e.g. the Grafana and Kibana UIs. */
    readonly extraRoutes?: readonly Upstream[];
    /** More files for NGINX, e.g. the UIs' user files. */
    readonly extraFiles?: readonly ServiceFile[];
    /** Serve `stub_status` on its own unpublished port and declare the exporter that reads it. */
    readonly metrics?: boolean;
    /** The generations of its API keys (`rotation` config): a rotated key's previous one stays accepted until revoked. */
    readonly rotations?: Rotations;
    /** The users' apps' routes (`apps` config), each with the address it goes to. */
    readonly apps?: readonly AppProxyRoute[];
}

/** Ollama endpoints that serve inference; the model-management API (pull, push, create, delete, copy) is not exposed. */
const OLLAMA_API = "(embed|embeddings|chat|generate|tags|show|version|ps)";

export function ollamaRoutes(target: string): Upstream[] {
    return [
        // Ollama's native API: SQL Server's external model calls /api/embed.
        { name: "ollama_api", pattern: `^/api/${OLLAMA_API}$`, target },
        // Ollama's OpenAI-compatible API.
        { name: "ollama_openai", pattern: "^/v1/(chat/completions|completions|embeddings|models)(/[^/]+)?$", target },
        // The runbooks' path: https://proxy/ollama/api/tags.
        { name: "ollama_prefixed", pattern: `^/ollama/api/${OLLAMA_API}$`, target, stripPrefix: "/ollama" },
    ];
}

/** The stack's only public entry point: NGINX terminating TLS in front of the services. */
export class TlsProxy extends pulumi.ComponentResource {
    readonly host: string;
    readonly nginxConf: string;
    /** Secret. One generated key per client of `proxy.clients`. */
    readonly apiKeys: Readonly<Record<string, pulumi.Output<string>>>;
    /** Secret. The key SQL Server's external model sends. */
    readonly sqlServerApiKey: pulumi.Output<string>;
    /** The canary's service and share of the entry's requests, when `proxy.canary.weight` > 0. */
    readonly canary?: { readonly serviceName: string; readonly weight: number };

    constructor(name: string, args: TlsProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("llm-platform:network:TlsProxy", name, {}, opts);
        const c = args.config;
        const upstreams = [...ollamaRoutes(args.ollamaTarget), ...(args.extraRoutes ?? [])];
        const key = (client: string) => rotatingSecret(`${name}-api-key-${client}`, args.rotations ?? {}, "accepted", (n) => generatedApiKey(n, this));
        const keys = Object.fromEntries([...c.clients, SQLSERVER_CLIENT].map((client) => [client, key(client)]));
        this.apiKeys = Object.fromEntries(c.clients.map((client) => [client, keys[client].current]));
        this.sqlServerApiKey = keys[SQLSERVER_CLIENT].current;
        const keysFile = pulumi
            .all(Object.fromEntries(Object.entries(keys).map(([client, k]) => [client, pulumi.all([k.current, ...(k.previous ? [k.previous] : [])])])))
            .apply(renderApiKeyMap);
        // The config follows the image's NGINX version: a canary of another image gets its own.
        const confFor = (image: string) =>
            renderNginxConf({
                nginxVersion: nginxVersionFromImage(image),
                resolver: args.platform.resolver,
                tlsDir: TLS_DIR,
                publicHttpsPort: c.httpsPort,
                upstreams,
                clientMaxBodyMb: c.clientMaxBodyMb,
                upstreamTimeoutSeconds: c.upstreamTimeoutSeconds,
                auth: { keysFile: API_KEYS_FILE, ratePerSecond: c.rateLimitPerSecond, burst: c.rateLimitBurst },
                statusPort: args.metrics ? PROXY_STATUS_PORT : undefined,
                apps: args.apps,
            });
        this.nginxConf = confFor(c.image);

        const spec: ServiceSpec = {
            name,
            image: c.image,
            files: [
                { path: "/etc/nginx/nginx.conf", content: this.nginxConf },
                { path: `${TLS_DIR}/tls.crt`, content: args.certPem },
                { path: `${TLS_DIR}/tls.key`, content: args.keyPem, secret: true, mode: "0600" },
                { path: API_KEYS_FILE, content: keysFile, secret: true, mode: "0600" },
                ...(args.extraFiles ?? []),
            ],
            ports: [
                // The proxy alone listens beyond loopback: on proxy.bindAddress (every interface by default).
                { name: "https", port: PROXY_HTTPS_PORT, publish: { hostPort: c.httpsPort, hostIp: c.bindAddress } },
                { name: "http", port: 80, publish: { hostPort: c.httpPort, hostIp: c.bindAddress } },
                // For the metrics exporter inside the platform; never published.
                ...(args.metrics ? [{ name: "status", port: PROXY_STATUS_PORT }] : []),
            ],
            resources: resourcesOf(c),
            rolloutTimeoutMinutes: c.rolloutTimeoutMinutes,
            replicas: c.replicas,
            // Every upstream host, so the platform lets the proxy reach exactly those.
            talksTo: [...new Set([...upstreams, ...(args.apps ?? [])].map((u) => u.target.split(":")[0]))],
            // The image's nginx user (uid 101, Alpine): where the platform enforces it the whole
            // server runs unprivileged, writing only its pid (/tmp) and request buffers.
            runAs: { uid: 101, gid: 101 },
            // Behind the load balancer: serve until it has stopped sending (draining.ts).
            stopDelaySeconds: PROXY_STOP_DELAY_SECONDS,
            readOnlyRootFilesystem: true,
            scratchPaths: ["/var/cache/nginx"],
            healthCheck: {
                command: ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1/healthz"],
                httpGet: { path: "/healthz", port: 80 },
                intervalSeconds: 10,
                timeoutSeconds: 5,
                retries: 3,
                startPeriodSeconds: 5,
            },
            observe: {
                exporter: args.metrics ? { kind: "nginx", target: `http://${name}:${PROXY_STATUS_PORT}/stub_status` } : undefined,
                probes: [
                    // Verified against the stack's CA; also reports the certificate's expiry.
                    { name: "https", module: "https", target: `https://${name}:${PROXY_HTTPS_PORT}/healthz` },
                    { name: "http", module: "http", target: `http://${name}:80/healthz` },
                ],
                logFormat: "nginx-json",
            },
        };
        this.host = args.platform.deploy(spec, this).host;

        // The canary: the same proxy as a Deployment of its own (its image pinned by proxy.canary.image),
        // behind the ALB's weighted forward. SQL Server and the UIs keep calling the stable one.
        if (c.canary.weight > 0) {
            const image = c.canary.image ?? c.image;
            const canary = canaryName(name);
            args.platform.deploy(
                {
                    ...spec,
                    name: canary,
                    image,
                    files: [{ path: "/etc/nginx/nginx.conf", content: confFor(image) }, ...spec.files!.slice(1)],
                    replicas: c.canary.replicas,
                    observe: {
                        // Its own request and connection metrics, beside the stable proxy's, to compare the two.
                        exporter: args.metrics ? { kind: "nginx", target: `http://${canary}:${PROXY_STATUS_PORT}/stub_status` } : undefined,
                        // Over HTTP: the leaf certificate names the stable proxy; the smoke Job checks its TLS (smoke-canary).
                        probes: [{ name: "http", module: "http", target: `http://${canary}:80/healthz` }],
                        logFormat: "nginx-json",
                    },
                },
                this,
            );
            this.canary = { serviceName: canary, weight: c.canary.weight };
        }
        this.registerOutputs({ host: this.host });
    }
}
