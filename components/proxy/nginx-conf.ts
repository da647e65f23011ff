import { AppProxyRoute, appHostServers, appPathLocations, appRateZones, appRouteMapEntries } from "./app-routes";

export interface Upstream {
    /** Name of the route, used for the NGINX variable. */
    readonly name: string;
    /** Anchored regular expression of the paths passed on; anything else is a 404. */
    readonly pattern: string;
    /** `host:port` resolved at request time. */
    readonly target: string;
    /** Strip this prefix before passing the request on (e.g. `/ollama/api/tags` -> `/api/tags`, `/prometheus` -> `/`). */
    readonly stripPrefix?: string;
    /**
     * The upstream's own users, checked here with HTTP basic auth instead of an API key; the
     * Authorization header passes on, so the upstream signs the same user in (Grafana, Kibana).
     */
    readonly basicAuth?: { readonly realm: string; readonly userFile: string };
}

/** Where NGINX writes; the defaults suit the official images (logs are linked to stdout). */
export interface NginxPaths {
    readonly accessLog: string;
    readonly pidFile: string;
    /** Directory for request bodies and buffered responses; NGINX's compiled default when unset. */
    readonly tempDir?: string;
}

export const IMAGE_PATHS: NginxPaths = { accessLog: "/var/log/nginx/access.log", pidFile: "/tmp/nginx.pid" };

/**
 * API keys checked by NGINX itself: a `map` from the Authorization header to a client name
 * (the entries live in a secret file), one request-rate zone per client.
 */
export interface ApiKeyAuth {
    /** File of `"Bearer <key>" <client>;` lines, included inside the map (see `renderApiKeyMap`). */
    readonly keysFile: string;
    readonly ratePerSecond: number;
    readonly burst: number;
}

export interface NginxConfArgs {
    /** Version of the NGINX that will run the file; picks the http2 syntax it accepts. */
    readonly nginxVersion?: string;
    /** DNS server for upstream names (Docker: 127.0.0.11). */
    readonly resolver: string;
    /** Directory holding tls.crt and tls.key. */
    readonly tlsDir: string;
    /** Port clients see for HTTPS: the redirect target. */
    readonly publicHttpsPort: number;
    readonly upstreams: readonly Upstream[];
    readonly clientMaxBodyMb: number;
    readonly upstreamTimeoutSeconds: number;
    /** Model routes require a key; `/healthz` stays open. */
    readonly auth: ApiKeyAuth;
    readonly paths?: NginxPaths;
    /** Ports NGINX listens on inside its container. */
    readonly listen?: { readonly http: number; readonly https: number };
    /** Port of the `stub_status` server for the metrics exporter (never published); none when unset. */
    readonly statusPort?: number;
    /** The users' apps' routes (`apps` config): locations by path prefix, servers by host name. */
    readonly apps?: readonly AppProxyRoute[];
}

/** Name of the JSON access-log format: one object per request, parsed by the log pipeline. */
export const ACCESS_LOG_FORMAT = "llm_json";

/**
 * One JSON object per request with the timings the dashboards and alerts use:
 * request_time (seconds, whole request) and upstream_response_time (seconds; "-" when
 * no upstream answered, comma-separated when NGINX tried several), and the route name.
 */
function accessLogFormat(): string {
    const fields: [string, string, boolean][] = [
        ["time", "$time_iso8601", true],
        ["remote_addr", "$remote_addr", true],
        ["request_id", "$request_id", true],
        ["method", "$request_method", true],
        ["uri", "$uri", true],
        ["route", "$llm_route", true],
        ["status", "$status", false],
        ["body_bytes_sent", "$body_bytes_sent", false],
        ["request_time", "$request_time", false],
        ["upstream_addr", "$upstream_addr", true],
        ["upstream_status", "$upstream_status", true],
        ["upstream_response_time", "$upstream_response_time", true],
        ["user_agent", "$http_user_agent", true],
    ];
    const body = fields.map(([k, v, quoted]) => (quoted ? `"${k}":"${v}"` : `"${k}":${v}`)).join(",");
    return `    log_format ${ACCESS_LOG_FORMAT} escape=json '{${body}}';
`;
}

/** The route name of a request, from the same patterns the locations use ("other" for the rest). */
function routeMap(upstreams: readonly Upstream[], apps: readonly AppProxyRoute[]): string {
    const lines = upstreams.map((u) => `        "~${u.pattern}" ${u.name};`).join("\n");
    return `    map $uri $llm_route {
        default other;
${lines}
${appRouteMapEntries(apps)}    }
`;
}

/** `stub_status` for nginx-prometheus-exporter, on a port of its own that is not published. */
function statusServer(port: number | undefined): string {
    if (port === undefined) return "";
    return `
    server {
        listen ${port};
        server_name _;
        access_log off;

        location = /stub_status {
            stub_status;
            allow 127.0.0.1;
            allow 10.0.0.0/8;
            allow 172.16.0.0/12;
            allow 192.168.0.0/16;
            deny all;
        }

        location / {
            return 404;
        }
    }
`;
}

/** Mozilla's "intermediate" TLS 1.2 suites; TLS 1.3 suites are fixed by OpenSSL. */
const TLS12_CIPHERS = [
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

/** `http2 on;` exists from 1.25.1; older NGINX (Debian 12 ships 1.22) only knows `listen ... http2`. */
export function supportsHttp2Directive(version: string | undefined): boolean {
    const m = version ? /^(\d+)\.(\d+)\.(\d+)/.exec(version) : null;
    if (!m) return false;
    const [major, minor, patch] = m.slice(1).map(Number);
    return major > 1 || (major === 1 && (minor > 25 || (minor === 25 && patch >= 1)));
}

/** `nginx:1.30.5-alpine` -> `1.30.5`; undefined when the tag is not a version. */
export function nginxVersionFromImage(image: string): string | undefined {
    const tag = image.slice(image.lastIndexOf(":") + 1);
    return /^(\d+\.\d+\.\d+)/.exec(tag)?.[1];
}

/** The `map` entries of the keys file: one line per client; keys are letters and digits. */
export function renderApiKeyMap(keys: Readonly<Record<string, string | readonly string[]>>): string {
    // During a rotation a client has two keys (the new one and the previous one): both map to it, one rate budget.
    return Object.entries(keys)
        .flatMap(([client, key]) => (typeof key === "string" ? [key] : key).map((k) => [client, k]))
        .map(([client, key]) => {
            if (!/^[A-Za-z0-9]{32,}$/.test(key)) throw new Error(`API key of client ${client} must be 32+ letters and digits`);
            return `"Bearer ${key}" ${client};\n`;
        })
        .join("");
}

function proxyLocation(u: Upstream, timeout: number, auth: ApiKeyAuth): string {
    const variable = `$upstream_${u.name.replace(/[^a-z0-9]/gi, "_")}`;
    const strip = u.stripPrefix ? `            rewrite ^${u.stripPrefix}/?(.*)$ /$1 break;\n` : "";
    const gate = u.basicAuth
        ? `            auth_basic "${u.basicAuth.realm}";\n            auth_basic_user_file ${u.basicAuth.userFile};\n`
        : `            # Only holders of an API key reach the models.
            if ($llm_client = "") {
                return 401;
            }
            limit_req zone=per_client${auth.burst > 0 ? ` burst=${auth.burst} nodelay` : ""};
`;
    const dropKey = u.basicAuth
        ? ""
        : `            # The key stays here: the upstream never sees it.
            proxy_set_header Authorization "";
`;
    return `        location ~ ${u.pattern} {
${gate}            # A variable makes NGINX resolve the name per request: it starts even when the upstream is down.
            set ${variable} http://${u.target};
${strip}            proxy_pass ${variable};
            proxy_http_version 1.1;
${dropKey}            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            # Model output streams token by token.
            proxy_buffering off;
            proxy_connect_timeout 10s;
            proxy_send_timeout ${timeout}s;
            proxy_read_timeout ${timeout}s;
        }
`;
}

/** The proxy's nginx.conf: TLS 1.2/1.3 only, HSTS, HTTP->HTTPS redirect, /healthz. */
export function renderNginxConf(a: NginxConfArgs): string {
    const http2Directive = supportsHttp2Directive(a.nginxVersion);
    const portSuffix = a.publicHttpsPort === 443 ? "" : `:${a.publicHttpsPort}`;
    const paths = a.paths ?? IMAGE_PATHS;
    const listen = a.listen ?? { http: 80, https: 443 };
    const apps = a.apps ?? [];
    const listenHttps = (suffix = "") => `        listen ${listen.https} ssl${http2Directive ? "" : " http2"}${suffix};\n${http2Directive ? "        http2 on;\n" : ""}`;
    // The same TLS for the platform's server and each app's host.
    const serverTls = (indent: string) =>
        [
            `ssl_certificate ${a.tlsDir}/tls.crt;`,
            `ssl_certificate_key ${a.tlsDir}/tls.key;`,
            "ssl_protocols TLSv1.2 TLSv1.3;",
            `ssl_ciphers ${TLS12_CIPHERS};`,
            "ssl_prefer_server_ciphers off;",
            "ssl_session_cache shared:TLS:10m;",
            "ssl_session_timeout 1d;",
            "ssl_session_tickets off;",
            "",
            'add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;',
            "add_header X-Content-Type-Options nosniff always;",
        ]
            .map((l) => (l ? `${indent}${l}` : ""))
            .join("\n") + "\n";
    const temp = paths.tempDir
        ? ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((k) => `    ${k}_temp_path ${paths.tempDir}/${k};`).join("\n") + "\n"
        : "";
    return `# Generated by llm-platform: edit the program, not this file.
worker_processes auto;
pid ${paths.pidFile};
error_log stderr warn;

events {
    worker_connections 1024;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
${accessLogFormat()}    access_log ${paths.accessLog} ${ACCESS_LOG_FORMAT};
${temp}    server_tokens off;
    sendfile on;
    keepalive_timeout 65s;

    client_max_body_size ${a.clientMaxBodyMb}m;
    client_header_timeout 30s;
    client_body_timeout 60s;
    send_timeout ${a.upstreamTimeoutSeconds}s;

    resolver ${a.resolver} valid=10s ipv6=off;
    resolver_timeout 5s;

    # API keys are long map keys: so are the hash buckets (set before the first map).
    map_hash_bucket_size 128;
    map $http_upgrade $connection_upgrade {
        default upgrade;
        '' close;
    }

    # The client an API key belongs to; empty without a known key.
    map $http_authorization $llm_client {
        default "";
        include ${a.auth.keysFile};
    }
    limit_req_zone $llm_client zone=per_client:10m rate=${a.auth.ratePerSecond}r/s;
    limit_req_status 429;
    limit_req_log_level warn;
${appRateZones(apps)}${routeMap(a.upstreams, apps)}
    server {
        listen ${listen.http} default_server;
        server_name _;

        location = /healthz {
            access_log off;
            default_type text/plain;
            return 200 "ok\\n";
        }

        location / {
            return 301 https://$host${portSuffix}$request_uri;
        }
    }

    server {
${listenHttps(" default_server")}        server_name _;

${serverTls("        ")}
        location = /healthz {
            access_log off;
            default_type text/plain;
            return 200 "ok\\n";
        }

${a.upstreams.map((u) => proxyLocation(u, a.upstreamTimeoutSeconds, a.auth)).join("\n")}
${apps.some((r) => r.pathPrefix) ? `${appPathLocations(apps)}\n` : ""}        location / {
            return 404;
        }
    }
${appHostServers(apps, serverTls, listenHttps())}${statusServer(a.statusPort)}}
`;
}
