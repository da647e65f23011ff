/**
 * The apps' routes under the real nginx (Debian's): the generated nginx.conf, with two apps
 * declared in config, in front of one stub upstream per app. Each app gets its own requests,
 * the keyed one only with a key, each its own rate limit and answer beyond it.
 */
import assert from "node:assert/strict";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as path from "path";
import { parseConfig } from "../components/config/load";
import { appProxyRoutes } from "../components/proxy/app-routes";
import { renderNginxConf } from "../components/proxy/nginx-conf";
import { ollamaRoutes } from "../components/proxy/proxy";
import { ProxyUnderTest, startProxy } from "./helpers/nginx-proxy";

const KEY = "k3".repeat(24);

interface Answer {
    status: number;
    body: string;
    headers: http.IncomingHttpHeaders;
    /** Milliseconds from the request to the first byte of the body. */
    firstByteMs: number;
}

function call(port: number, urlPath: string, o: { host?: string; key?: string; method?: string; body?: Buffer; headers?: Record<string, string> } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const started = Date.now();
        const req = https.request(
            {
                host: "127.0.0.1",
                port,
                path: urlPath,
                method: o.method ?? "GET",
                servername: o.host,
                rejectUnauthorized: false,
                headers: { ...(o.host ? { Host: o.host } : {}), ...(o.key ? { Authorization: `Bearer ${o.key}` } : {}), ...(o.headers ?? {}) },
            },
            (res) => {
                let body = "";
                let firstByteMs = -1;
                res.on("data", (d) => {
                    if (firstByteMs < 0) firstByteMs = Date.now() - started;
                    body += d;
                });
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, firstByteMs }));
            },
        );
        req.on("error", reject);
        req.end(o.body);
    });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("apps behind the proxy under a real nginx", function () {
    this.timeout(30000);
    let proxy: ProxyUnderTest | undefined;
    let frontendStub: http.Server | undefined;
    let port: number;

    before(async function () {
        // The frontend's stub: says who it is, what it got, and streams /stream in two parts a second apart.
        frontendStub = http.createServer((req, res) => {
            if (req.url === "/stream") {
                res.write("first ");
                setTimeout(() => res.end("second"), 1000);
                return;
            }
            res.end(`frontend ${req.url}`);
        });
        // An upgrade is switched and then echoes what it gets, as a WebSocket server's raw stream would.
        frontendStub.on("upgrade", (_req, socket) => {
            socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
            socket.on("data", (d) => socket.write(`echo ${d}`));
        });
        await new Promise<void>((r) => frontendStub!.listen(0, "127.0.0.1", r));
        const frontendAddress = `127.0.0.1:${(frontendStub.address() as any).port}`;
        const config = parseConfig({
            apps: [
                {
                    name: "courses-api",
                    upstream: { address: "courses-api.internal:8001" },
                    routes: [{ pathPrefix: "/courses", stripPrefix: true, apiKey: true, rateLimit: { perSecond: 1, burst: 0 }, maxBodyMb: 1 }],
                },
                { name: "reports", upstream: { address: "reports.internal:8002" }, routes: [{ pathPrefix: "/reports", timeouts: { readSeconds: 1 } }] },
                {
                    name: "frontend",
                    upstream: { address: "frontend.internal:8080" },
                    routes: [{ host: "courses.example.com", rateLimit: { perSecond: 1, burst: 0, status: 503 }, streaming: true, websocket: true }],
                },
            ],
        });
        proxy = await startProxy(this, {
            keys: { default: KEY },
            rate: { perSecond: 100, burst: 100 },
            answer: (req, res) => {
                res.setHeader("x-seen-authorization", req.headers.authorization ?? "none");
                // The reports app takes 2 s for /reports/slow: longer than its route's read timeout.
                if (req.url === "/reports/slow") setTimeout(() => res.end("late"), 2000);
                else res.end(`courses-api ${req.url}`);
            },
            routes: async (stub) => ollamaRoutes(stub),
            // Each app to its own stub (the config's addresses are where the platform would reach them).
            apps: (stub) => appProxyRoutes(config.apps, (app) => (app.name === "frontend" ? frontendAddress : stub)),
        });
        port = proxy.httpsPort;
    });

    after(() => {
        proxy?.stop();
        frontendStub?.close();
    });

    it("routes the path app to its stub with the prefix stripped, only with a key, and keeps the key at the proxy", async () => {
        assert.equal((await call(port, "/courses/list")).status, 401);
        assert.equal((await call(port, "/courses/list", { key: "x".repeat(48) })).status, 401);
        const ok = await call(port, "/courses/list?page=2", { key: KEY });
        assert.equal(ok.status, 200, `${ok.body} ${proxy!.stderr()}`);
        assert.equal(ok.body, "courses-api /list?page=2");
        assert.equal(ok.headers["x-seen-authorization"], "none");
        await pause(1100);
        assert.equal((await call(port, "/courses", { key: KEY })).body, "courses-api /");
        assert.equal((await call(port, "/coursesx", { key: KEY })).status, 404, "a longer name is not the app's");
    });

    it("answers 429 beyond the path app's rate", async () => {
        await pause(1100);
        assert.equal((await call(port, "/courses/a", { key: KEY })).status, 200);
        assert.equal((await call(port, "/courses/a", { key: KEY })).status, 429);
    });

    it("refuses a body over the route's maxBodyMb", async () => {
        await pause(1100);
        const r = await call(port, "/courses/upload", { key: KEY, method: "POST", body: Buffer.alloc(2 * 1024 * 1024, 1) });
        assert.equal(r.status, 413);
    });

    it("answers 504 when the app takes longer than its route's read timeout", async () => {
        assert.equal((await call(port, "/reports/fast")).status, 200, "an open route: no key needed");
        const slow = await call(port, "/reports/slow");
        assert.equal(slow.status, 504);
    });

    it("routes the host app to its own stub on every path, without a key, and answers 503 beyond its rate", async () => {
        const first = await call(port, "/courses/list", { host: "courses.example.com" });
        assert.equal(first.status, 200, `${first.body} ${proxy!.stderr()}`);
        assert.equal(first.body, "frontend /courses/list", "on its host, every path is the app's");
        assert.equal((await call(port, "/x", { host: "courses.example.com" })).status, 503);
        // The platform's server still answers its own routes on the other names.
        assert.equal((await call(port, "/healthz")).status, 200);
        assert.equal((await call(port, "/index.html")).status, 404);
    });

    it("switches WebSocket upgrades through to the app and streams the host app's answers as they come", async () => {
        await pause(1100);
        // A real switch: 101 through the proxy, then both ways over the same connection.
        const echoed = await new Promise<string>((resolve, reject) => {
            const req = https.request({
                host: "127.0.0.1",
                port,
                path: "/socket",
                servername: "courses.example.com",
                rejectUnauthorized: false,
                headers: { Host: "courses.example.com", Upgrade: "websocket", Connection: "Upgrade" },
            });
            req.on("upgrade", (res, socket) => {
                assert.equal(res.statusCode, 101);
                socket.once("data", (d) => {
                    socket.destroy();
                    resolve(String(d));
                });
                socket.write("hello");
            });
            req.on("response", (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
            req.on("error", reject);
            req.end();
        });
        assert.equal(echoed, "echo hello");
        await pause(1100);
        const streamed = await call(port, "/stream", { host: "courses.example.com" });
        assert.equal(streamed.body, "first second");
        assert.ok(streamed.firstByteMs < 800, `the first part arrived after ${streamed.firstByteMs} ms: buffered`);
    });

    it("labels each app's requests in the access log with the app", async () => {
        const lines = fs
            .readFileSync(path.join(proxy!.dir, "access.log"), "utf8")
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l));
        const routeOf = (uri: string) => lines.filter((l) => l.uri === uri).map((l) => l.route);
        assert.ok(routeOf("/courses/list").includes("app-courses-api"), JSON.stringify(lines.slice(0, 3)));
        assert.ok(routeOf("/courses/list").includes("app-frontend"), "the host app's route, whatever the path");
        assert.deepEqual([...new Set(routeOf("/index.html"))], ["other"], "the platform's server: not an app");
    });
});

describe("apps' host servers for the pinned NGINX", () => {
    it("use the http2 syntax the image's NGINX takes, as the platform's server does", () => {
        const config = parseConfig({ apps: [{ name: "frontend", upstream: { address: "frontend:8080" }, routes: [{ host: "courses.example.com" }] }] });
        const render = (nginxVersion: string) =>
            renderNginxConf({
                nginxVersion,
                resolver: "127.0.0.11",
                tlsDir: "/etc/nginx/tls",
                publicHttpsPort: 443,
                upstreams: [],
                clientMaxBodyMb: 1,
                upstreamTimeoutSeconds: 10,
                auth: { keysFile: "/k", ratePerSecond: 1, burst: 0 },
                apps: appProxyRoutes(config.apps, () => "frontend:8080"),
            });
        assert.match(render("1.30.5"), /listen 443 ssl;\n\s+http2 on;\n\s+server_name courses\.example\.com;/);
        assert.match(render("1.22.1"), /listen 443 ssl http2;\n\s+server_name courses\.example\.com;/);
    });
});
