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
import { renderApiKeyMap, renderNginxConf } from "../components/proxy/nginx-conf";
import { ollamaRoutes } from "../components/proxy/proxy";
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

describe("proxy API keys and rate limits under a real nginx", function () {
    this.timeout(30000);
    let dir: string;
    let nginx: ChildProcess | undefined;
    let upstream: http.Server;
    let httpsPort: number;
    let stderr = "";

    before(async function () {
        const nginxBin = requireTool(this, "nginx", "nginx");
        const openssl = requireTool(this, "openssl", "openssl");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-proxy-auth-"));
        const made = spawnSync(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=proxy",
            "-keyout", path.join(dir, "tls.key"), "-out", path.join(dir, "tls.crt")]);
        assert.equal(made.status, 0, made.stderr.toString());

        // The stub model server answers with the path it got and whether a key reached it.
        upstream = http.createServer((req, res) => {
            res.setHeader("x-seen-authorization", req.headers.authorization ?? "none");
            res.end(`upstream ${req.url}`);
        });
        await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
        const target = `127.0.0.1:${(upstream.address() as any).port}`;

        httpsPort = await freePort();
        fs.writeFileSync(path.join(dir, "api-keys.map"), renderApiKeyMap(KEYS));
        const version = /nginx\/(\d+\.\d+\.\d+)/.exec(spawnSync(nginxBin, ["-v"], { encoding: "utf8" }).stderr)![1];
        const conf = renderNginxConf({
            nginxVersion: version,
            resolver: "127.0.0.1",
            tlsDir: dir,
            publicHttpsPort: httpsPort,
            upstreams: ollamaRoutes(target),
            clientMaxBodyMb: 1,
            upstreamTimeoutSeconds: 10,
            auth: { keysFile: path.join(dir, "api-keys.map"), ratePerSecond: 1, burst: 0 },
            paths: { accessLog: path.join(dir, "access.log"), pidFile: path.join(dir, "nginx.pid"), tempDir: dir },
            listen: { http: await freePort(), https: httpsPort },
        });
        fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
        nginx = spawn(nginxBin, ["-c", path.join(dir, "nginx.conf"), "-e", "stderr", "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
        nginx.stderr!.on("data", (d) => (stderr += d));
        await waitForPort(httpsPort, nginx, () => stderr);
    });

    after(() => {
        nginx?.kill("SIGTERM");
        upstream?.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("answers 401 without a key and with a wrong one", async () => {
        assert.equal((await request(httpsPort, "/api/tags")).status, 401);
        assert.equal((await request(httpsPort, "/api/tags", "x".repeat(48))).status, 401);
        assert.equal((await request(httpsPort, "/v1/models", `${KEYS.app}x`)).status, 401, "a prefix of a key is not the key");
    });

    it("passes each generated key through to the model server, without the key", async () => {
        for (const [client, key] of Object.entries(KEYS)) {
            const r = await request(httpsPort, "/api/embed", key);
            assert.equal(r.status, 200, `${client}: ${r.body} ${stderr}`);
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
