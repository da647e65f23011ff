import { strict as assert } from "assert";
import { renderNginxConf } from "../../components/proxy/nginx-conf";
import { ollamaRoutes } from "../../components/proxy/proxy";
import { proxyAuthRequired } from "../../policies/rules/proxy-auth";
import { container, proxyContainer, redisContainer } from "./helpers/docker-fixtures";
import { configMap } from "./helpers/kubernetes-fixtures";
import { check, messages } from "./helpers/run";

/** The proxy's config as the program renders it: a map from the Authorization header to a client, a 401 in each model location. */
const keyCheckedConf = () =>
    renderNginxConf({
        nginxVersion: "1.30.5", resolver: "127.0.0.11", tlsDir: "/etc/nginx/tls", publicHttpsPort: 8443, upstreams: ollamaRoutes("ollama:11434"),
        clientMaxBodyMb: 50, upstreamTimeoutSeconds: 300, auth: { keysFile: "/etc/nginx/auth/api-keys.map", ratePerSecond: 10, burst: 20 },
    });

/** The same config with the key check taken out of every location. */
const openConf = () => {
    const open = keyCheckedConf().replace(/\n\s*if \(\$llm_client = ""\) \{\s*return 401;\s*\}/g, "");
    assert.notEqual(open, keyCheckedConf(), "the generator's key check was found and removed");
    return open;
};

describe("policy proxy-auth-required", () => {
    it("passes model locations that check the key, auth_request or auth_basic (inherited from the server too)", async () => {
        const basic = "http { server { listen 443 ssl; auth_basic \"models\"; auth_basic_user_file /etc/nginx/htpasswd; location /api/ { proxy_pass http://ollama:11434; } } }";
        const subrequest = "server { listen 8443 ssl; location = /auth { internal; proxy_pass http://auth:9000; auth_request off; return 204; } location /v1/ { auth_request /auth; proxy_pass http://ollama:11434; } }";
        const resources = [
            proxyContainer(keyCheckedConf()),
            configMap("proxy-conf", { "nginx.conf": keyCheckedConf() }),
            configMap("proxy-basic", { "default.conf": basic }),
            configMap("proxy-templates", { "default.conf.template": subrequest.replace("location = /auth", "location = /healthz { return 200; } location = /auth") }),
        ];
        const found = messages(await check(proxyAuthRequired, resources));
        // The auth subrequest's own location passes without a check, by design: it is internal.
        assert.deepEqual(found, [
            'kubernetes:core/v1:ConfigMap "proxy-templates": data["default.conf.template"] server :8443 location = /auth passes to http://auth:9000 without an authentication check; required: auth_request, auth_basic, or `if (<no valid key>) { return 401; }` in the location',
        ]);
        assert.deepEqual(await check(proxyAuthRequired, resources, { publicLocations: ["= /auth"] }), []);
    });

    it("fails each model location of the proxy's config once its key check is removed", async () => {
        const found = messages(await check(proxyAuthRequired, proxyContainer(openConf())));
        assert.equal(found.length, 3, found.join("\n"));
        assert.match(found[0], /Container "proxy": upload \/etc\/nginx\/nginx.conf server :443 location ~ \^\/api\/[^ ]+ passes to \$upstream_ollama_api without an authentication check/);
        assert.ok(found.every((m) => !m.includes("healthz")), "a location that answers itself needs no check");
    });

    it("fails auth switched off, a check in another location, a 404 instead of 401, and templates under /etc/nginx/templates", async () => {
        const cases = [
            'http { auth_basic "x"; server { listen 443 ssl; location /api/ { auth_basic off; proxy_pass http://ollama:11434; } } }',
            'http { server { listen 443 ssl; location /a/ { if ($llm_client = "") { return 401; } return 200; } location /api/ { proxy_pass http://ollama:11434; } } }',
            'http { server { listen 443 ssl; location /api/ { if ($llm_client = "") { return 404; } proxy_pass http://ollama:11434; } } }',
            'http { server { listen 443 ssl; location /api/ { if ($request_method = POST) { proxy_pass http://ollama:11434; } } } }',
        ];
        for (const conf of cases) assert.equal((await check(proxyAuthRequired, configMap("proxy-conf", { "nginx.conf": conf }))).length, 1, conf);
        const template = container("proxy", { uploads: [{ file: "/etc/nginx/templates/default.conf.template", content: "server { listen ${NGINX_PORT}; location / { proxy_pass http://${UPSTREAM}; } }" }] });
        assert.match(messages(await check(proxyAuthRequired, template))[0], /upload \/etc\/nginx\/templates\/default.conf.template server :\$\{NGINX_PORT\} location \/ passes to http:\/\/\$\{UPSTREAM\}/);
    });

    it("fails an uploaded nginx config that does not parse, and ignores other files", async () => {
        const broken = container("proxy", { uploads: [{ file: "/etc/nginx/conf.d/models.conf", content: "server { location / { proxy_pass http://ollama:11434 } }" }] });
        assert.match(messages(await check(proxyAuthRequired, broken))[0], /is not valid nginx syntax/);
        assert.deepEqual(await check(proxyAuthRequired, [redisContainer("1536mb"), configMap("redis", { "redis.conf": "bind 0.0.0.0\nport 6379\n" })]), []);
    });
});
