import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderApiKeyMap, renderNginxConf } from "../../components/proxy/nginx-conf";
import { ollamaRoutes } from "../../components/proxy/proxy";
import { observabilityRoutes, uiUserFiles } from "../../components/observability/routes";
import { settle } from "../helpers/mocks";
import { freePort } from "../helpers/ports";
import { requireTool } from "../helpers/tools";

const KEY = "k".repeat(48);
const UI_PASSWORD = "Ui-Password_1.~x";

/**
 * The proxy's observability surface under a real NGINX: JSON access log lines with route,
 * status and timings, stub_status on its own port, the Grafana/Kibana routes.
 */
describe("the proxy's access log and stub_status under a real nginx", function () {
    let dir: string;
    let nginx: ChildProcess | undefined;
    let curl: string;
    let ports: { http: number; https: number; status: number };

    before(async function () {
        const nginxBin = requireTool(this, "nginx", "nginx");
        const openssl = requireTool(this, "openssl", "openssl");
        curl = requireTool(this, "curl", "curl");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-nginx-log-"));
        // NGINX's workers (nobody, when the test runs as root) read the user files at request time.
        fs.chmodSync(dir, 0o755);
        const made = spawnSync(openssl, [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=proxy",
            "-keyout", path.join(dir, "tls.key"), "-out", path.join(dir, "tls.crt"),
        ]);
        assert.equal(made.status, 0, made.stderr.toString());
        ports = { http: await freePort(), https: await freePort(), status: await freePort() };
        // A port nothing listens on: upstream requests fail at once with 502, as with a service down.
        const down = `127.0.0.1:${await freePort()}`;
        const version = /nginx\/(\d+\.\d+\.\d+)/.exec(spawnSync(nginxBin, ["-v"], { encoding: "utf8" }).stderr)![1];
        fs.writeFileSync(path.join(dir, "api-keys.map"), renderApiKeyMap({ app: KEY }));
        // The user files as the stack renders them, at the paths the routes name, moved under dir.
        const routes = observabilityRoutes({ metrics: true, logs: true }).map((u) => ({ ...u, target: down, basicAuth: { ...u.basicAuth!, userFile: path.join(dir, path.basename(u.basicAuth!.userFile)) } }));
        const files = uiUserFiles({ grafana: { user: "admin", password: UI_PASSWORD }, kibana: { user: "llm_analyst", password: UI_PASSWORD } });
        for (const f of files) fs.writeFileSync(path.join(dir, path.basename(f.path)), await settle(f.content));
        const conf = renderNginxConf({
            nginxVersion: version,
            resolver: "127.0.0.1",
            tlsDir: dir,
            publicHttpsPort: ports.https,
            upstreams: [...ollamaRoutes(down), ...routes],
            clientMaxBodyMb: 1,
            upstreamTimeoutSeconds: 5,
            paths: { accessLog: path.join(dir, "access.log"), pidFile: path.join(dir, "nginx.pid"), tempDir: dir },
            listen: { http: ports.http, https: ports.https },
            statusPort: ports.status,
            auth: { keysFile: path.join(dir, "api-keys.map"), ratePerSecond: 100, burst: 100 },
        });
        fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
        nginx = spawn(nginxBin, ["-c", path.join(dir, "nginx.conf"), "-e", "stderr", "-g", "daemon off;"], { stdio: "ignore" });
        for (let i = 0; i < 50 && !fs.existsSync(path.join(dir, "nginx.pid")); i++) await new Promise((r) => setTimeout(r, 100));
        assert.ok(fs.existsSync(path.join(dir, "nginx.pid")), "nginx started");
    });

    after(() => {
        nginx?.kill("SIGTERM");
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const get = (url: string, key?: string) =>
        spawnSync(curl, ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", ...(key ? ["-H", `Authorization: Bearer ${key}`] : []), url], {
            encoding: "utf8",
        }).stdout;

    const getAs = (url: string, userPassword: string) =>
        spawnSync(curl, ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "-u", userPassword, url], { encoding: "utf8" }).stdout;

    it("serves stub_status on its own port, and not on the public ones", () => {
        const r = spawnSync(curl, ["-s", "--max-time", "5", `http://127.0.0.1:${ports.status}/stub_status`], { encoding: "utf8" });
        assert.match(r.stdout, /Active connections: \d+/);
        assert.equal(get(`https://127.0.0.1:${ports.https}/stub_status`), "404");
    });

    it("writes one JSON object per request with route, status, request and upstream time", async () => {
        assert.equal(get(`https://127.0.0.1:${ports.https}/api/embed`, KEY), "502");
        // Grafana and Kibana: the proxy's basic auth with the UI's own users, no API key.
        assert.equal(get(`https://127.0.0.1:${ports.https}/grafana/login`), "401");
        assert.equal(get(`https://127.0.0.1:${ports.https}/grafana/login`, KEY), "401", "an API key does not open the UIs");
        assert.equal(getAs(`https://127.0.0.1:${ports.https}/grafana/login`, "admin:wrong"), "401");
        assert.equal(getAs(`https://127.0.0.1:${ports.https}/grafana/login`, `admin:${UI_PASSWORD}`), "502");
        assert.equal(getAs(`https://127.0.0.1:${ports.https}/kibana/app/home`, `llm_analyst:${UI_PASSWORD}`), "502");
        assert.equal(get(`https://127.0.0.1:${ports.https}/nothing-here`), "404");
        await new Promise((r) => setTimeout(r, 200));
        const lines = fs.readFileSync(path.join(dir, "access.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
        const byUri = Object.fromEntries(lines.map((l) => [l.uri, l]));
        assert.equal(byUri["/api/embed"].route, "ollama_api");
        assert.equal(byUri["/api/embed"].status, 502);
        assert.equal(byUri["/grafana/login"].route, "grafana");
        assert.equal(byUri["/kibana/app/home"].route, "kibana");
        assert.equal(byUri["/nothing-here"].route, "other");
        for (const l of lines) {
            assert.equal(typeof l.request_time, "number");
            assert.equal(typeof l.upstream_response_time, "string");
            assert.ok(l.time && l.method && l.request_id, JSON.stringify(l));
        }
    });
});
