/**
 * The proxy's part of the `apps` config: NGINX locations (path prefixes) and server blocks
 * (host names) for each app route, with the key check the model routes use, a request-rate
 * zone per route, body size, timeouts, streaming and WebSocket upgrades as the route asks.
 */
import { PUBLIC_ROUTE_VARIABLE } from "../../policies/shared/markers";
import { appServiceName } from "../config/apps";
import type { PlatformConfig } from "../config/load";

type AppConfig = PlatformConfig["apps"][number];

/** One route of one app, with the address the proxy sends it to. */
export interface AppProxyRoute {
    /** The app's name: the access log's `route` is `app-<name>` for all its routes. */
    readonly app: string;
    /** Position among the app's routes: names its rate zone. */
    readonly index: number;
    readonly pathPrefix?: string;
    readonly host?: string;
    /** `host:port`, resolved at request time. */
    readonly target: string;
    readonly stripPrefix: boolean;
    readonly apiKey: boolean;
    readonly rateLimit?: { readonly perSecond: number; readonly burst: number; readonly status: 429 | 503 };
    readonly maxBodyMb: number;
    readonly timeouts: { readonly connectSeconds: number; readonly readSeconds: number; readonly sendSeconds: number };
    readonly streaming: boolean;
    readonly websocket: boolean;
}

/** The `route` an app's requests carry in the access log (and so in the request metrics and alerts): its service name. */
export const appRouteLabel = appServiceName;

const zoneName = (r: AppProxyRoute) => `app_${r.app.replace(/-/g, "_")}_${r.index}`;
const pathPattern = (prefix: string) => `^${prefix.replace(/[.]/g, "\\.")}(/.*)?$`;

/**
 * One rate zone per limited route: keyed routes count per API-key holder (the model routes'
 * `$llm_client`), open ones per client address.
 */
export function appRateZones(routes: readonly AppProxyRoute[]): string {
    return routes
        .filter((r) => r.rateLimit)
        .map((r) => `    limit_req_zone ${r.apiKey ? "$llm_client" : "$binary_remote_addr"} zone=${zoneName(r)}:10m rate=${r.rateLimit!.perSecond}r/s;\n`)
        .join("");
}

/** The access log's route names of path routes (host routes set theirs in their server block). */
export function appRouteMapEntries(routes: readonly AppProxyRoute[]): string {
    return routes
        .filter((r) => r.pathPrefix)
        .map((r) => `        "~${pathPattern(r.pathPrefix!)}" ${appRouteLabel(r.app)};\n`)
        .join("");
}

function routeBody(r: AppProxyRoute, indent: string): string {
    const variable = `$upstream_${zoneName(r)}`;
    const lines = [
        ...(r.apiKey
            ? ["# Only holders of one of the proxy's API keys.", 'if ($llm_client = "") {', "    return 401;", "}"]
            : ["# Open by the app's declaration (apiKey: false): the policy pack takes this as its reason.", `set ${PUBLIC_ROUTE_VARIABLE} ${r.app};`]),
        ...(r.rateLimit
            ? [`limit_req zone=${zoneName(r)}${r.rateLimit.burst > 0 ? ` burst=${r.rateLimit.burst} nodelay` : ""};`, `limit_req_status ${r.rateLimit.status};`]
            : []),
        `client_max_body_size ${r.maxBodyMb}m;`,
        "# A variable makes NGINX resolve the name per request: it starts even when the app is down.",
        `set ${variable} http://${r.target};`,
        ...(r.stripPrefix && r.pathPrefix ? [`rewrite ^${r.pathPrefix.replace(/[.]/g, "\\.")}/?(.*)$ /$1 break;`] : []),
        `proxy_pass ${variable};`,
        "proxy_http_version 1.1;",
        // The key is the platform's: the app never sees it.
        ...(r.apiKey ? ['proxy_set_header Authorization "";'] : []),
        "proxy_set_header Host $host;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto https;",
        ...(r.websocket
            ? ["proxy_set_header Upgrade $http_upgrade;", "proxy_set_header Connection $connection_upgrade;"]
            : ['proxy_set_header Connection "";']),
        ...(r.streaming ? ["proxy_buffering off;", "proxy_request_buffering off;"] : []),
        `proxy_connect_timeout ${r.timeouts.connectSeconds}s;`,
        `proxy_send_timeout ${r.timeouts.sendSeconds}s;`,
        `proxy_read_timeout ${r.timeouts.readSeconds}s;`,
    ];
    return lines.map((l) => `${indent}${l}\n`).join("");
}

/** Locations of the path routes, inside the platform's HTTPS server. */
export function appPathLocations(routes: readonly AppProxyRoute[]): string {
    return routes
        .filter((r) => r.pathPrefix)
        .map((r) => `        location ~ ${pathPattern(r.pathPrefix!)} {\n${routeBody(r, "            ")}        }\n`)
        .join("\n");
}

/** A server block per host route, with the platform's TLS settings; everything else on that host is the app's. */
export function appHostServers(routes: readonly AppProxyRoute[], serverTls: (indent: string) => string, listenHttps: string): string {
    return routes
        .filter((r) => r.host)
        .map(
            (r) => `
    server {
${listenHttps}        server_name ${r.host};
${serverTls("        ")}
        set $llm_route ${appRouteLabel(r.app)};

        location / {
${routeBody(r, "            ")}        }
    }
`,
        )
        .join("");
}

/** Every route of the declared apps, each sent to its app's address (`targetOf`: where the platform reaches it). */
export function appProxyRoutes(apps: readonly AppConfig[], targetOf: (app: AppConfig) => string): AppProxyRoute[] {
    return apps.flatMap((app) =>
        app.routes.map((r, index) => ({
            app: app.name,
            index,
            pathPrefix: r.pathPrefix,
            host: r.host,
            target: targetOf(app),
            stripPrefix: r.stripPrefix,
            apiKey: r.apiKey,
            rateLimit: r.rateLimit,
            maxBodyMb: r.maxBodyMb,
            timeouts: r.timeouts,
            streaming: r.streaming,
            websocket: r.websocket,
        })),
    );
}
