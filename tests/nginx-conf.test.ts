import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { nginxVersionFromImage, renderApiKeyMap, renderNginxConf, supportsHttp2Directive, NginxConfArgs } from "../components/proxy/nginx-conf";
import { ollamaRoutes } from "../components/proxy/proxy";
import { defaultImages } from "../components/config/images";
import { freePort } from "./helpers/ports";
import { requireTool } from "./helpers/tools";

const args = (over: Partial<NginxConfArgs> = {}): NginxConfArgs => ({
    nginxVersion: "1.30.5",
    resolver: "127.0.0.11",
    tlsDir: "/etc/nginx/tls",
    publicHttpsPort: 8443,
    upstreams: ollamaRoutes("ollama:11434"),
    clientMaxBodyMb: 50,
    upstreamTimeoutSeconds: 300,
    auth: { keysFile: "/etc/nginx/auth/api-keys.map", ratePerSecond: 10, burst: 20 },
    ...over,
});

describe("nginx.conf generator", () => {
    it("allows TLS 1.2 and 1.3 only, sends HSTS and redirects HTTP to HTTPS", () => {
        const conf = renderNginxConf(args());
        assert.deepEqual(conf.match(/ssl_protocols [^;]+;/g), ["ssl_protocols TLSv1.2 TLSv1.3;"]);
        assert.match(conf, /add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;/);
        assert.match(conf, /return 301 https:\/\/\$host:8443\$request_uri;/);
        assert.match(renderNginxConf(args({ publicHttpsPort: 443 })), /return 301 https:\/\/\$host\$request_uri;/);
    });

    it("resolves upstreams at request time through the platform's resolver", () => {
        const conf = renderNginxConf(args());
        assert.match(conf, /resolver 127\.0\.0\.11 valid=10s ipv6=off;/);
        assert.match(conf, /set \$upstream_ollama_api http:\/\/ollama:11434;\s+proxy_pass \$upstream_ollama_api;/);
        assert.doesNotMatch(conf, /upstream \w+ \{/, "no static upstream blocks: they resolve at start");
    });

    it("passes inference endpoints to Ollama and nothing of its model-management API", () => {
        const [api, openai, prefixed] = ollamaRoutes("ollama:11434").map((r) => new RegExp(r.pattern));
        for (const path of ["/api/embed", "/api/chat", "/api/generate", "/api/tags"]) assert.ok(api.test(path), path);
        for (const path of ["/api/pull", "/api/delete", "/api/create", "/api/push", "/api/copy", "/api/embed/../pull"]) assert.ok(!api.test(path), path);
        assert.ok(openai.test("/v1/chat/completions") && openai.test("/v1/models/llama3.2:3b") && !openai.test("/v1/pull"));
        assert.ok(prefixed.test("/ollama/api/tags") && !prefixed.test("/ollama/api/delete"));
        assert.match(renderNginxConf(args()), /location ~ \^\/ollama\/api\/[^{]+\{[^}]+\}[^#]+#[^\n]+\n\s+set [^\n]+\n\s+rewrite \^\/ollama\/\?\(\.\*\)\$ \/\$1 break;/);
    });

    it("guards every model route with an API key check and a per-client rate limit, never /healthz", () => {
        const conf = renderNginxConf(args({ auth: { keysFile: "/k.map", ratePerSecond: 7, burst: 3 } }));
        assert.match(conf, /map \$http_authorization \$llm_client \{\s+default "";\s+include \/k\.map;\s+\}/);
        assert.match(conf, /limit_req_zone \$llm_client zone=per_client:10m rate=7r\/s;\s+limit_req_status 429;/);
        const locations = conf.split(/\n\s+location /).slice(1);
        const proxied = locations.filter((l) => l.includes("proxy_pass"));
        assert.equal(proxied.length, 3);
        for (const l of proxied) {
            assert.match(l, /if \(\$llm_client = ""\) \{\s+return 401;\s+\}\s+limit_req zone=per_client burst=3 nodelay;/);
            assert.match(l, /proxy_set_header Authorization "";/, "the key never reaches the upstream");
        }
        for (const l of locations.filter((x) => x.startsWith("= /healthz"))) assert.doesNotMatch(l, /llm_client/);
    });

    it("writes one map entry per client and refuses keys that could break the map", () => {
        assert.equal(renderApiKeyMap({ app: "a".repeat(40), sqlserver: "B1".repeat(20) }), `"Bearer ${"a".repeat(40)}" app;\n"Bearer ${"B1".repeat(20)}" sqlserver;\n`);
        assert.throws(() => renderApiKeyMap({ app: 'short"; default x' }), /32\+ letters and digits/);
    });

    it("limits body size and timeouts from config", () => {
        const conf = renderNginxConf(args({ clientMaxBodyMb: 7, upstreamTimeoutSeconds: 123 }));
        assert.match(conf, /client_max_body_size 7m;/);
        assert.match(conf, /proxy_read_timeout 123s;/);
    });

    it("writes the http2 syntax the target NGINX accepts", () => {
        assert.equal(nginxVersionFromImage(defaultImages.proxy), "1.30.5");
        assert.equal(nginxVersionFromImage("nginx:stable-alpine"), undefined);
        assert.equal(supportsHttp2Directive("1.22.1"), false);
        assert.equal(supportsHttp2Directive("1.25.1"), true);
        assert.equal(supportsHttp2Directive(undefined), false);
        assert.match(renderNginxConf(args({ nginxVersion: "1.30.5" })), /listen 443 ssl default_server;\n\s+http2 on;/);
        assert.match(renderNginxConf(args({ nginxVersion: "1.22.1" })), /listen 443 ssl http2 default_server;/);
    });
});

describe("generated nginx.conf under a real nginx -t", function () {
    let nginx: string;
    let dir: string;
    let version: string;
    let ports: { http: number; https: number };

    before(async function () {
        nginx = requireTool(this, "nginx", "nginx");
        const openssl = requireTool(this, "openssl", "openssl");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-nginx-"));
        const made = spawnSync(openssl, [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=proxy",
            "-keyout", path.join(dir, "tls.key"), "-out", path.join(dir, "tls.crt"),
        ]);
        assert.equal(made.status, 0, made.stderr.toString());
        ports = { http: await freePort(), https: await freePort() };
        fs.writeFileSync(path.join(dir, "api-keys.map"), renderApiKeyMap({ app: "k".repeat(48) }));
        const v = spawnSync(nginx, ["-v"], { encoding: "utf8" });
        version = /nginx\/(\d+\.\d+\.\d+)/.exec(v.stderr)![1];
    });

    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    /**
     * The proxy's config with paths and ports a non-root user may use (nginx -t binds its
     * listen ports; the image's paths and ports need root).
     */
    const local = (over: Partial<NginxConfArgs> = {}) =>
        args({
            nginxVersion: version,
            tlsDir: dir,
            auth: { keysFile: path.join(dir, "api-keys.map"), ratePerSecond: 10, burst: 20 },
            paths: { accessLog: path.join(dir, "access.log"), pidFile: path.join(dir, "nginx.pid"), tempDir: dir },
            listen: ports,
            ...over,
        });

    function nginxTest(conf: string) {
        const file = path.join(dir, "nginx.conf");
        fs.writeFileSync(file, conf);
        return spawnSync(nginx, ["-t", "-q", "-c", file, "-e", "stderr"], { encoding: "utf8" });
    }

    it("passes nginx -t for the installed NGINX version", () => {
        const r = nginxTest(renderNginxConf(local()));
        assert.equal(r.status, 0, `nginx ${version} -t failed:\n${r.stderr}`);
    });

    it("fails nginx -t when the file is broken (the check is real)", () => {
        const broken = renderNginxConf(local()).replace("ssl_protocols TLSv1.2 TLSv1.3;", "ssl_protocols TLSv1.2 TLSv1.3");
        const r = nginxTest(broken);
        assert.notEqual(r.status, 0);
    });

    it("starts with every upstream down (names resolve per request)", () => {
        const conf = renderNginxConf(local({ upstreams: ollamaRoutes("no-such-host.invalid:11434") }));
        assert.equal(nginxTest(conf).status, 0);
    });
});
