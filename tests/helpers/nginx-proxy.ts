/**
 * The generated nginx.conf under the real nginx, in a directory of its own, in front of a stub
 * upstream: the proxy's API-key and UI-login checks as they run in the proxy container.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { AppProxyRoute } from "../../components/proxy/app-routes";
import { renderApiKeyMap, renderNginxConf, Upstream } from "../../components/proxy/nginx-conf";
import { freePort, waitForPort } from "./ports";
import { requireTool } from "./tools";

export function request(port: number, urlPath: string, key?: string): Promise<{ status: number; body: string; seenAuthorization?: string }> {
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


/** The generated nginx.conf under the real nginx, in a directory of its own, in front of a stub upstream. */
export interface ProxyUnderTest {
    readonly dir: string;
    readonly httpsPort: number;
    readonly stub: string;
    stderr(): string;
    /** The proxy container again with another key map (as a rotation gives it): nginx restarted on it. */
    restartWithKeyMap(keyMap: string): Promise<void>;
    stop(): void;
}

export async function startProxy(
    ctx: Mocha.Context,
    a: { keys: Readonly<Record<string, string | readonly string[]>>; rate: { perSecond: number; burst: number }; answer: http.RequestListener; routes: (stub: string, dir: string) => Promise<Upstream[]>;
        /** The apps' routes (`apps` config), when the test has any; `stub` is the stub upstream's address. */
        apps?: (stub: string) => readonly AppProxyRoute[];
    },
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
        apps: a.apps?.(stub),
    });
    fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
    let stderr = "";
    const start = async () => {
        const child = spawn(nginxBin, ["-c", path.join(dir, "nginx.conf"), "-e", "stderr", "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
        child.stderr!.on("data", (d) => (stderr += d));
        await waitForPort(httpsPort, child, () => stderr);
        return child;
    };
    let nginx = await start();
    return {
        dir,
        httpsPort,
        stub,
        stderr: () => stderr,
        async restartWithKeyMap(keyMap: string) {
            const exited = new Promise((r) => nginx.once("exit", r));
            nginx.kill("SIGTERM");
            await exited;
            fs.writeFileSync(path.join(dir, "api-keys.map"), keyMap);
            nginx = await start();
        },
        stop() {
            nginx.kill("SIGTERM");
            upstream.close();
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

