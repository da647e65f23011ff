/**
 * The proxy's API keys and rate limits under the real nginx (Debian's): the generated
 * nginx.conf runs against a stub upstream on loopback and answers as a client would see it.
 */
import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { renderApiKeyMap, renderNginxConf, Upstream } from "../components/proxy/nginx-conf";
import { ollamaRoutes } from "../components/proxy/proxy";
import { GRAFANA_ADMIN_USER, observabilityRoutes, uiUserFiles } from "../components/observability/routes";
import { settle } from "./helpers/mocks";
import { freePort } from "./helpers/ports";
import { requireTool } from "./helpers/tools";

const KEYS = { app: "a1".repeat(24), notebook: "N0".repeat(24), sqlserver: "S9".repeat(24) };

function request(port: number, urlPath: string, key?: string): Promise<{ status: number; body: string; seenAuthorization?: string }> {
    return new Promise((resolve, reject) => {
        const req = https.request(
            { host: "127.0.0.1", port, path: urlPath, method: "GET", rejectUnauthorized: false, headers: key ? { Authorization: `Bearer ${key}` } : {} },
            (res) => {
                let body = "";
                res.on("data", (d) => (body += d));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body, seenAuthorization: res.headers["x-seen-authorization"] as string | undefined }));
            },
        );
        req.on("error", reject);
        req.end();
    });
}

async function waitForPort(port: number, child: ChildProcess, log: () => string) {
    for (let i = 0; i < 100; i++) {
        if (child.exitCode !== null) throw new Error(`nginx exited: ${log()}`);
        const open = await new Promise<boolean>((resolve) => {
            const s = require("net").connect(port, "127.0.0.1");
            s.on("connect", () => (s.end(), resolve(true)));
            s.on("error", () => resolve(false));
        });
        if (open) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`nginx did not listen on ${port}: ${log()}`);
}

/** The generated nginx.conf under the real nginx, in a directory of its own, in front of a stub upstream. */
interface ProxyUnderTest {
    readonly dir: string;
    readonly httpsPort: number;
    readonly stub: string;
    stderr(): string;
    stop(): void;
}

async function startProxy(
    ctx: Mocha.Context,
    a: { keys: Record<string, string>; rate: { perSecond: number; burst: number }; answer: http.RequestListener; routes: (stub: string, dir: string) => Promise<Upstream[]> },
): Promise<ProxyUnderTest> {
    const nginxBin = requireTool(ctx, "nginx", "nginx");
    const openssl = requireTool(ctx, "openssl", "openssl");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-proxy-auth-"));
    // NGINX's workers (nobody, when the test runs as root) read the user files at request time.
    fs.chmodSync(dir, 0o755);
    const made = spawnSync(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=proxy",
        "-keyout", path.join(dir, "tls.key"), "-out", path.join(dir, "tls.crt")]);
    assert.equal(made.status, 0, made.stderr.toString());
    const upstream = http.createServer(a.answer);
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const stub = `127.0.0.1:${(upstream.address() as any).port}`;
    const httpsPort = await freePort();
    fs.writeFileSync(path.join(dir, "api-keys.map"), renderApiKeyMap(a.keys));
    const version = /nginx\/(\d+\.\d+\.\d+)/.exec(spawnSync(nginxBin, ["-v"], { encoding: "utf8" }).stderr)![1];
    const conf = renderNginxConf({
        nginxVersion: version,
        resolver: "127.0.0.1",
        tlsDir: dir,
        publicHttpsPort: httpsPort,
        upstreams: await a.routes(stub, dir),
        clientMaxBodyMb: 1,
        upstreamTimeoutSeconds: 10,
        auth: { keysFile: path.join(dir, "api-keys.map"), ratePerSecond: a.rate.perSecond, burst: a.rate.burst },
        paths: { accessLog: path.join(dir, "access.log"), pidFile: path.join(dir, "nginx.pid"), tempDir: dir },
        listen: { http: await freePort(), https: httpsPort },
    });
    fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
    let stderr = "";
    const nginx = spawn(nginxBin, ["-c", path.join(dir, "nginx.conf"), "-e", "stderr", "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
    nginx.stderr!.on("data", (d) => (stderr += d));
    await waitForPort(httpsPort, nginx, () => stderr);
    return {
        dir,
        httpsPort,
        stub,
        stderr: () => stderr,
        stop() {
            nginx.kill("SIGTERM");
            upstream.close();
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

describe("proxy API keys and rate limits under a real nginx", function () {
    this.timeout(30000);
    let proxy: ProxyUnderTest | undefined;
    let httpsPort: number;
    const stderr = () => proxy?.stderr() ?? "";

    before(async function () {
        // The stub model server answers with the path it got and whether a key reached it.
        proxy = await startProxy(this, {
            keys: KEYS,
            rate: { perSecond: 1, burst: 0 },
            answer: (req, res) => {
                res.setHeader("x-seen-authorization", req.headers.authorization ?? "none");
                res.end(`upstream ${req.url}`);
            },
            routes: async (stub) => ollamaRoutes(stub),
        });
        httpsPort = proxy.httpsPort;
    });

    after(() => proxy?.stop());

    it("answers 401 without a key and with a wrong one", async () => {
        assert.equal((await request(httpsPort, "/api/tags")).status, 401);
        assert.equal((await request(httpsPort, "/api/tags", "x".repeat(48))).status, 401);
        assert.equal((await request(httpsPort, "/v1/models", `${KEYS.app}x`)).status, 401, "a prefix of a key is not the key");
    });

    it("passes each generated key through to the model server, without the key", async () => {
        for (const [client, key] of Object.entries(KEYS)) {
            const r = await request(httpsPort, "/api/embed", key);
            assert.equal(r.status, 200, `${client}: ${r.body} ${stderr()}`);
            assert.equal(r.body, "upstream /api/embed");
            assert.equal(r.seenAuthorization, "none", "the key stays at the proxy");
        }
        await new Promise((r) => setTimeout(r, 1100)); // the test's rate is one request per second and client
        assert.equal((await request(httpsPort, "/ollama/api/tags", KEYS.notebook)).body, "upstream /api/tags");
    });

    it("keeps /healthz open", async () => {
        const r = await request(httpsPort, "/healthz");
        assert.equal(r.status, 200);
        assert.equal(r.body, "ok\n");
    });

    it("answers 429 beyond a client's rate, per client", async () => {
        await new Promise((r) => setTimeout(r, 1100));
        const first = await request(httpsPort, "/api/tags", KEYS.app);
        const second = await request(httpsPort, "/api/tags", KEYS.app);
        assert.equal(first.status, 200);
        assert.equal(second.status, 429);
        assert.equal((await request(httpsPort, "/api/tags", KEYS.notebook)).status, 200, "another client has its own budget");
    });
});

/**
 * What loopback and the proxy allow on dev (README: "Ports"): the proxy is the way in, a model
 * API key opens the inference routes only, and the UIs need the proxy's login. Under the real
 * nginx, with the routes and user files the stack renders and a stub that records each request.
 */
describe("the proxy's UI routes and Ollama's management API under a real nginx", function () {
    this.timeout(30000);
    const ADMIN_PASSWORD = "Admin-Pass_1.~x";
    const KEY = KEYS.app;
    let proxy: ProxyUnderTest | undefined;
    const seen: { url: string; authorization?: string }[] = [];

    function call(urlPath: string, auth?: { bearer?: string; basic?: string }): Promise<{ status: number; body: string }> {
        const headers: Record<string, string> = {};
        if (auth?.bearer) headers.Authorization = `Bearer ${auth.bearer}`;
        if (auth?.basic) headers.Authorization = `Basic ${Buffer.from(auth.basic).toString("base64")}`;
        return new Promise((resolve, reject) => {
            const req = https.request({ host: "127.0.0.1", port: proxy!.httpsPort, path: urlPath, method: "GET", rejectUnauthorized: false, headers }, (res) => {
                let body = "";
                res.on("data", (d) => (body += d));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
            });
            req.on("error", reject);
            req.end();
        });
    }

    before(async function () {
        proxy = await startProxy(this, {
            keys: { app: KEY },
            rate: { perSecond: 100, burst: 100 },
            answer: (req, res) => {
                seen.push({ url: req.url ?? "", authorization: req.headers.authorization });
                res.end(`upstream ${req.url}`);
            },
            // The stack's routes and user files (the metrics UIs share Grafana's admin), moved under dir and onto the stub.
            routes: async (stub, dir) => {
                const admin = { user: GRAFANA_ADMIN_USER, password: ADMIN_PASSWORD };
                const files = uiUserFiles({ grafana: admin, prometheus: admin, alertmanager: admin, kibana: { user: "llm_analyst", password: "Analyst-1" } });
                for (const f of files) fs.writeFileSync(path.join(dir, path.basename(f.path)), await settle(f.content));
                const ui = observabilityRoutes({ metrics: true, logs: true }).map((u) => ({
                    ...u,
                    target: stub,
                    basicAuth: { ...u.basicAuth!, userFile: path.join(dir, path.basename(u.basicAuth!.userFile)) },
                }));
                return [...ollamaRoutes(stub), ...ui];
            },
        });
    });

    after(() => proxy?.stop());

    it("asks for the proxy's login on Prometheus and Alertmanager: no login, an API key or a wrong password get 401", async () => {
        for (const ui of ["/prometheus/", "/alertmanager/", "/prometheus/api/v1/query?query=up"]) {
            assert.equal((await call(ui)).status, 401, ui);
            assert.equal((await call(ui, { bearer: KEY })).status, 401, `${ui}: a model key opens no UI`);
            assert.equal((await call(ui, { basic: `${GRAFANA_ADMIN_USER}:wrong` })).status, 401, ui);
        }
        assert.equal(seen.length, 0, "nothing reached the upstream");
    });

    it("passes a logged-in request on with the prefix stripped (their routes stay at /, their links carry it)", async () => {
        const login = { basic: `${GRAFANA_ADMIN_USER}:${ADMIN_PASSWORD}` };
        const cases: [string, string][] = [
            ["/prometheus/", "/"],
            ["/prometheus", "/"],
            ["/prometheus/api/v1/query?query=up", "/api/v1/query?query=up"],
            ["/alertmanager/api/v2/alerts", "/api/v2/alerts"],
            // Grafana serves itself from its sub-path: nothing stripped.
            ["/grafana/login", "/grafana/login"],
        ];
        for (const [asked, upstreamPath] of cases) {
            const r = await call(asked, login);
            assert.equal(r.status, 200, `${asked}: ${r.body} ${proxy!.stderr()}`);
            assert.equal(r.body, `upstream ${upstreamPath}`, asked);
        }
    });

    it("keeps the lifecycle endpoints (/-/reload, /-/quit) inside the platform, even logged in", async () => {
        const login = { basic: `${GRAFANA_ADMIN_USER}:${ADMIN_PASSWORD}` };
        const before = seen.length;
        for (const p of ["/prometheus/-/quit", "/prometheus/-/reload", "/alertmanager/-/reload"]) assert.equal((await call(p, login)).status, 404, p);
        assert.equal(seen.length, before, "nothing reached the upstream");
    });

    it("never passes Ollama's model management (pull, delete, create, copy, push) on, even with a valid key", async () => {
        const before = seen.length;
        for (const p of ["/api/pull", "/api/delete", "/api/create", "/api/copy", "/api/push", "/ollama/api/pull", "/ollama/api/delete"]) {
            assert.equal((await call(p, { bearer: KEY })).status, 404, p);
        }
        assert.equal(seen.length, before, "nothing reached Ollama");
        assert.equal((await call("/api/tags", { bearer: KEY })).body, "upstream /api/tags", "inference and listing still pass");
    });
});
