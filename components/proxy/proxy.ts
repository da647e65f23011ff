import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../config/load";
import { resourcesOf } from "../platform/resources";
import { Platform, ServiceSpec } from "../platform/types";
import { nginxVersionFromImage, renderNginxConf, Upstream } from "./nginx-conf";

export const PROXY_HTTPS_PORT = 443;
const TLS_DIR = "/etc/nginx/tls";

export interface TlsProxyArgs {
    readonly config: PlatformConfig["proxy"];
    readonly platform: Platform;
    /** Leaf certificate (with chain) and its key (secret). */
    readonly certPem: pulumi.Input<string>;
    readonly keyPem: pulumi.Input<string>;
    /** `host:port` of Ollama inside the platform. */
    readonly ollamaTarget: string;
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

    constructor(name: string, args: TlsProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("llm-platform:network:TlsProxy", name, {}, opts);
        const c = args.config;
        const upstreams = ollamaRoutes(args.ollamaTarget);
        this.nginxConf = renderNginxConf({
            nginxVersion: nginxVersionFromImage(c.image),
            resolver: args.platform.resolver,
            tlsDir: TLS_DIR,
            publicHttpsPort: c.httpsPort,
            upstreams,
            clientMaxBodyMb: c.clientMaxBodyMb,
            upstreamTimeoutSeconds: c.upstreamTimeoutSeconds,
        });

        const spec: ServiceSpec = {
            name,
            image: c.image,
            files: [
                { path: "/etc/nginx/nginx.conf", content: this.nginxConf },
                { path: `${TLS_DIR}/tls.crt`, content: args.certPem },
                { path: `${TLS_DIR}/tls.key`, content: args.keyPem, secret: true, mode: "0600" },
            ],
            ports: [
                // The proxy alone listens on the host's public interfaces.
                { name: "https", port: PROXY_HTTPS_PORT, publish: { hostPort: c.httpsPort, hostIp: "0.0.0.0" } },
                { name: "http", port: 80, publish: { hostPort: c.httpPort, hostIp: "0.0.0.0" } },
            ],
            resources: resourcesOf(c),
            replicas: c.replicas,
            // Every upstream host, so the platform lets the proxy reach exactly those.
            talksTo: [...new Set(upstreams.map((u) => u.target.split(":")[0]))],
            // No runAs: the nginx master binds 80 and 443 as root, then runs its workers as nginx.
            capabilities: ["CHOWN", "NET_BIND_SERVICE", "SETGID", "SETUID"],
            healthCheck: {
                command: ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1/healthz"],
                httpGet: { path: "/healthz", port: 80 },
                intervalSeconds: 10,
                timeoutSeconds: 5,
                retries: 3,
                startPeriodSeconds: 5,
            },
        };
        this.host = args.platform.deploy(spec, this).host;
        this.registerOutputs({ host: this.host });
    }
}
