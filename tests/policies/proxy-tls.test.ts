import { strict as assert } from "assert";
import { proxyTlsProtocols } from "../../policies/rules/proxy-tls";
import { container, nginxConf, proxyContainer, redisContainer } from "./helpers/docker-fixtures";
import { configMap } from "./helpers/kubernetes-fixtures";
import { check, messages } from "./helpers/run";

describe("policy proxy-tls-protocols", () => {
    it("passes the proxy's nginx.conf with ssl_protocols TLSv1.2 TLSv1.3, uploaded or in a ConfigMap", async () => {
        const conf = nginxConf("TLSv1.2 TLSv1.3");
        assert.deepEqual(await check(proxyTlsProtocols, [proxyContainer(conf), configMap("proxy-conf", { "nginx.conf": conf })]), []);
    });

    it("fails an ssl_protocols that allows TLSv1 or TLSv1.1", async () => {
        const [v] = await check(proxyTlsProtocols, proxyContainer(nginxConf("TLSv1 TLSv1.1 TLSv1.2")));
        assert.equal(v.enforcementLevel, "mandatory");
        assert.match(v.message, /Container "proxy": upload \/etc\/nginx\/nginx.conf has "ssl_protocols TLSv1 TLSv1.1 TLSv1.2", allowing TLSv1, TLSv1.1; required: only TLSv1.2 TLSv1.3/);
    });

    it("fails every offending directive, in a ConfigMap too", async () => {
        const conf = nginxConf("TLSv1.2 TLSv1.3").replace("http {", "http {\n    ssl_protocols SSLv3 TLSv1.2;");
        assert.match(messages(await check(proxyTlsProtocols, configMap("proxy-conf", { "nginx.conf": conf })))[0], /ConfigMap "proxy-conf": data\["nginx.conf"\] has "ssl_protocols SSLv3 TLSv1.2", allowing SSLv3/);
    });

    it("fails a config that serves TLS without ssl_protocols", async () => {
        assert.match(messages(await check(proxyTlsProtocols, proxyContainer(nginxConf(undefined))))[0], /serves TLS without ssl_protocols/);
    });

    it("accepts protocols in any case, as nginx does, and checks templates under /etc/nginx/templates", async () => {
        assert.deepEqual(await check(proxyTlsProtocols, proxyContainer(nginxConf("tlsv1.2 TLSv1.3"))), []);
        const template = container("proxy", { uploads: [{ file: "/etc/nginx/templates/default.conf.template", content: "server { listen ${NGINX_HTTPS_PORT} ssl; ssl_certificate /tls/tls.crt; ssl_protocols TLSv1.1 TLSv1.2; }" }] });
        assert.match(messages(await check(proxyTlsProtocols, template))[0], /upload \/etc\/nginx\/templates\/default.conf.template has "ssl_protocols TLSv1.1 TLSv1.2", allowing TLSv1.1/);
        const k8sTemplate = configMap("proxy-templates", { "default.conf.template": "server { listen 8443 ssl; ssl_certificate /tls/tls.crt; }" });
        assert.match(messages(await check(proxyTlsProtocols, k8sTemplate))[0], /data\["default.conf.template"\] serves TLS without ssl_protocols/);
    });

    it("ignores commented-out directives and non-nginx files", async () => {
        const commented = nginxConf("TLSv1.2 TLSv1.3").replace("http {", "http {\n    # ssl_protocols TLSv1 TLSv1.2;");
        assert.deepEqual(await check(proxyTlsProtocols, [proxyContainer(commented), redisContainer("1536mb"), container("qdrant")]), []);
    });
});
