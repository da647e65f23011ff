import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROXY_DURATION_METRIC, PROXY_REQUESTS_METRIC } from "../../components/observability/alert-rules";
import { renderFluentBitConf, renderServiceLabelsLua } from "../../components/observability/fluent-bit-conf";
import { uploadsOf } from "../../harness/render";
import { RegisteredResource, runStack, StackRun } from "../../harness/run-stack";
import { parseConfig } from "../../components/config/load";
import { nodeLayout } from "../../components/observability/node-layout";
import { requireTool } from "../helpers/tools";

const CONTAINER = "docker:index/container:Container";
/** A container's file, read as `npm run render` writes it (harness/render.ts). */
const upload = (r: RegisteredResource, file: string) => {
    const content = uploadsOf(r)[file];
    assert.ok(content !== undefined, `${r.name} has no upload ${file}`);
    return content;
};
const env = (r: RegisteredResource) => Object.fromEntries((r.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));

describe("the log stack in the dev stack (Elasticsearch, Logstash, Kibana, Fluent Bit)", function () {
    let run: StackRun;
    before(async () => {
        run = await runStack("dev", { overrides: { "llm-platform:observability": { logsRetentionDays: 21 } } });
    });

    it("sizes both JVM heaps from the limit: Xms = Xmx = half of it", () => {
        for (const [name, variable] of [["elasticsearch", "ES_JAVA_OPTS"], ["logstash", "LS_JAVA_OPTS"]] as const) {
            const c = run.named(CONTAINER, name);
            const half = Math.floor(c.inputs.memory / 2);
            assert.equal(env(c)[variable], `-Xms${half}m -Xmx${half}m`, name);
        }
    });

    it("runs Elasticsearch with security and TLS from the stack's CA, without mmap (no host vm.max_map_count)", () => {
        const es = run.named(CONTAINER, "elasticsearch");
        const e = env(es);
        assert.equal(e["xpack.security.enabled"], "true");
        assert.equal(e["xpack.security.http.ssl.enabled"], "true");
        assert.equal(e["node.store.allow_mmap"], "false");
        assert.equal(e["discovery.type"], "single-node");
        assert.ok(e.ELASTIC_PASSWORD.length >= 32);
        assert.match(upload(es, "/usr/share/elasticsearch/config/certs/tls.crt"), /BEGIN CERTIFICATE/);
        const csr = run.named("tls:index/certRequest:CertRequest", "elasticsearch-tls-csr");
        assert.deepEqual(csr.inputs.dnsNames, ["elasticsearch", "llm-platform-dev-elasticsearch"]);
        assert.equal(es.inputs.ports?.length ?? 0, 0, "Elasticsearch publishes no port");
    });

    it("sets up ILM deletion after the configured days, the data stream template and one user per job", () => {
        const step = run.named(CONTAINER, "elasticsearch-setup");
        const script = upload(step, "/tmp/llm-platform-es-setup.sh");
        const sh = spawnSync("sh", ["-n", "-c", script]);
        assert.equal(sh.status, 0, sh.stderr?.toString());
        const body = (p: string) => JSON.parse(new RegExp(`put "${p}" '([^']*)'`).exec(script)![1]);
        assert.deepEqual(body("/_ilm/policy/llm-logs").policy.phases.delete, { min_age: "21d", actions: { delete: {} } });
        const template = body("/_index_template/llm-logs");
        assert.deepEqual(template.index_patterns, ["logs-llm-*"]);
        assert.equal(template.template.settings["index.lifecycle.name"], "llm-logs");
        assert.equal(template.template.settings["index.number_of_replicas"], 0);
        assert.deepEqual(body("/_security/role/llm_kibana_token_issuer"), { cluster: ["manage_service_account"] });
        for (const user of ["llm_logs_writer", "llm_logs_reader", "llm_es_monitor", "llm_kibana_token_issuer", "llm_analyst"]) {
            assert.match(script, new RegExp(`/_security/user/${user}`));
        }
        // Passwords come from env, never from the script.
        assert.doesNotMatch(script, new RegExp(env(step).LOGS_WRITER_PASSWORD));
    });

    it("starts Kibana on its own service-account token, never as elastic, served under /kibana", () => {
        const kibana = run.named(CONTAINER, "kibana");
        const e = env(kibana);
        assert.equal(e.ELASTIC_PASSWORD, undefined);
        assert.equal(e.ELASTICSEARCH_USERNAME, undefined);
        assert.equal(e.SERVER_BASEPATH, "/kibana");
        assert.equal(e.SERVER_PUBLICBASEURL, "https://localhost:8443/kibana");
        const script = kibana.inputs.command[0] as string;
        assert.equal(spawnSync("bash", ["-n", "-c", script]).status, 0);
        assert.match(script, /_security\/service\/elastic\/kibana\/credential\/token\/llm-platform/);
        assert.match(script, /export ELASTICSEARCH_SERVICEACCOUNTTOKEN=/);
        assert.doesNotMatch(script, /elastic:/);
        assert.ok(e.XPACK_ENCRYPTEDSAVEDOBJECTS_ENCRYPTIONKEY.length >= 32);
        const nginx = upload(run.named(CONTAINER, "proxy"), "/etc/nginx/nginx.conf");
        assert.match(nginx, /location ~ \^\/kibana\(\/\.\*\)\?\$/);
        assert.match(nginx, /location ~ \^\/grafana\(\/\.\*\)\?\$/);
    });

    it("generates the Logstash pipeline from the services' log formats, into the data stream", () => {
        const pipeline = upload(run.named(CONTAINER, "logstash"), "/usr/share/logstash/pipeline/logstash.conf");
        for (const [service, marker] of [
            ["proxy", "[http][request_time]"],
            ["sqlserver", "[mssql][source]"],
            ["timescale", "[postgres][pid]"],
            ["qdrant", "[qdrant][module]"],
            ["ollama", "GIN"],
            ["redis", "[redis][role]"],
        ]) {
            assert.match(pipeline, new RegExp(`\\[service\\] == "${service}"`), service);
            assert.ok(pipeline.includes(marker), `${service}: ${marker}`);
        }
        assert.match(pipeline, /data_stream_dataset => "llm"/);
        assert.match(pipeline, /user => "\$\{LOGS_WRITER_USER\}"/);
        assert.match(pipeline, /ssl_certificate_authorities/);
        const open = (pipeline.match(/\{/g) ?? []).length;
        const close = (pipeline.match(/\}/g) ?? []).length;
        assert.equal(open - (pipeline.match(/\$\{/g) ?? []).length - (pipeline.match(/%\{/g) ?? []).length, close - (pipeline.match(/\$\{[^}]*\}/g) ?? []).length - (pipeline.match(/%\{[^}]*\}/g) ?? []).length, "balanced braces");
    });

    it("ships with Fluent Bit reading Docker's log directory read-only, without the Docker socket", () => {
        const fb = run.named(CONTAINER, "fluent-bit");
        const binds = fb.inputs.volumes.filter((v: any) => v.hostPath);
        assert.deepEqual(binds, [{ hostPath: "/var/lib/docker/containers", containerPath: "/var/lib/docker/containers", readOnly: true }]);
        const conf = upload(fb, "/fluent-bit/etc/llm-fluent-bit.conf");
        assert.match(conf, /Host\s+logstash/);
        assert.match(conf, /Rule\s+\$service \^proxy\$ proxy\.access false/);
    });

    it("derives exactly the metrics the proxy alerts read", () => {
        const conf = renderFluentBitConf({ stack: "s", proxyService: "proxy", logstashHost: "logstash", logs: nodeLayout(parseConfig({})).containerLogs });
        const metric = (block: string) => {
            const v = (k: string) => new RegExp(`${k}\\s+(\\S+)`).exec(block)![1];
            return `${v("metric_namespace")}_${v("metric_subsystem")}_${v("metric_name")}`;
        };
        const blocks = conf.split("[FILTER]").filter((b) => b.includes("log_to_metrics"));
        assert.deepEqual(blocks.map(metric), [PROXY_REQUESTS_METRIC, PROXY_DURATION_METRIC]);
    });

    it("labels each line with its service from the container's own config, and drops other stacks' (real LuaJIT)", function () {
        const luajit = requireTool(this, "luajit", "luajit");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-fluent-lua-"));
        try {
            const container = (id: string, labels: Record<string, string>, name: string) => {
                fs.mkdirSync(path.join(dir, id));
                fs.writeFileSync(path.join(dir, id, "config.v2.json"), JSON.stringify({ Name: `/${name}`, Config: { Labels: labels } }));
            };
            container("aaa111", { "llm-platform.service": "proxy", "llm-platform.stack": "llm-platform-dev", "llm-platform.role": "service" }, "llm-platform-dev-proxy");
            container("bbb222", { "llm-platform.service": "proxy", "llm-platform.stack": "llm-platform-other" }, "llm-platform-other-proxy");
            container("ccc333", { unrelated: "x" }, "someone-else");
            const script = renderServiceLabelsLua("llm-platform-dev", dir);
            const driver = `${script}
local function show(id)
  local code, ts, rec = add_service("docker.var.lib.docker.containers." .. id .. "." .. id .. "-json.log", 0, { log = "hello\\n" })
  print(code, rec.service, rec.container, rec.stack, rec.role, "[" .. (string.gsub(rec.log, "\\n", "<NL>")) .. "]")
end
show("aaa111") show("bbb222") show("ccc333") show("ddd444")`;
            fs.writeFileSync(path.join(dir, "driver.lua"), driver);
            const r = spawnSync(luajit, [path.join(dir, "driver.lua")], { encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
            const lines = r.stdout.trim().split("\n").map((l) => l.split("\t"));
            assert.deepEqual(lines[0], ["1", "proxy", "llm-platform-dev-proxy", "llm-platform-dev", "service", "[hello]"]);
            assert.equal(lines[1][0], "-1", "another stack's container is dropped");
            assert.equal(lines[2][0], "-1", "a container without our labels is dropped");
            assert.equal(lines[3][0], "-1", "a container that is gone is dropped");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("gives Grafana the Elasticsearch data source as the read-only user, only when logs are on", async () => {
        const sources = (r: StackRun) => upload(r.named(CONTAINER, "grafana"), "/etc/grafana/provisioning/datasources/llm-platform.yml");
        assert.match(sources(run), /basicAuthUser: llm_logs_reader/);
        const metricsOnly = await runStack("dev", { overrides: { "llm-platform:observability": { logs: false } } });
        assert.doesNotMatch(sources(metricsOnly), /elasticsearch/);
        assert.ok(!metricsOnly.ofType(CONTAINER).some((c) => ["elasticsearch", "kibana", "logstash", "fluent-bit"].includes(c.name)));
        assert.doesNotMatch(upload(metricsOnly.named(CONTAINER, "proxy"), "/etc/nginx/nginx.conf"), /kibana/);
    });
});
