import assert from "node:assert/strict";
import { parse } from "yaml";
import { policyResources } from "../../harness/policy-report";
import { RegisteredResource, runStack, StackRun } from "../../harness/run-stack";
import { runPolicyPack } from "../../policies/rules/offline";

const CONTAINER = "docker:index/container:Container";
const label = (r: RegisteredResource, key: string) => r.inputs.labels?.find((l: any) => l.label === key)?.value;
const serviceNames = (run: StackRun) =>
    run.ofType(CONTAINER).filter((c) => ["service", "node-agent"].includes(label(c, "llm-platform.role"))).map((c) => c.name).sort();
const upload = (r: RegisteredResource, file: string) => r.inputs.uploads?.find((u: any) => u.file === file)?.content as string | undefined;
const env = (r: RegisteredResource) => Object.fromEntries((r.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
const APP = ["ollama", "proxy", "qdrant", "redis", "sqlserver", "timescale"];

describe("observability in the dev stack (on by default, off per stack)", function () {
    let on: StackRun;
    let off: StackRun;
    before(async () => {
        on = await runStack("dev");
        off = await runStack("dev", { overrides: { "llm-platform:observability": { metrics: false, logs: false } } });
    });

    it("turned off, deploys the application services only, with no exporter login, route or output", () => {
        assert.deepEqual(serviceNames(off), APP);
        assert.ok(!off.ofType(CONTAINER).some((c) => ["sqlserver-monitor-login", "timescale-monitor-role"].includes(c.name)));
        const nginx = upload(off.named(CONTAINER, "proxy"), "/etc/nginx/nginx.conf")!;
        assert.doesNotMatch(nginx, /grafana|kibana|stub_status/);
        assert.equal(off.outputs.observability.grafanaUrl, undefined);
        assert.equal(off.outputs.credentials.grafanaAdminPassword, undefined);
    });

    it("passes the policy pack with observability on and off", async () => {
        for (const run of [on, off]) {
            const mandatory = (await runPolicyPack(policyResources(run))).filter((v) => v.enforcementLevel === "mandatory");
            assert.deepEqual(mandatory, []);
        }
    });

    it("is held by the policy pack's memory rule: a JVM heap above half the limit is a mandatory violation", async () => {
        const resources = policyResources(on).map((r) => {
            if (r.type !== CONTAINER || !["elasticsearch", "logstash"].includes(r.name)) return r;
            const envs = (r.props.envs as string[]).map((e) => e.replace(/-Xmx\d+m/, `-Xmx${r.props.memory}m`));
            return { ...r, props: { ...r.props, envs } };
        });
        const mandatory = (await runPolicyPack(resources)).filter((v) => v.enforcementLevel === "mandatory");
        assert.deepEqual(mandatory.map((v) => [v.policy, v.resource?.name]).sort(), [
            ["memory-settings-fit-limits", "elasticsearch"],
            ["memory-settings-fit-limits", "logstash"],
        ]);
        assert.match(mandatory.map((v) => v.message).join("\n"), /ES_JAVA_OPTS sets -Xmx/);
        assert.match(mandatory.map((v) => v.message).join("\n"), /LS_JAVA_OPTS sets -Xmx/);
    });

    it("runs an exporter for each service that declares one, reading it over the network only", () => {
        const sqlExporter = on.named(CONTAINER, "sqlserver-exporter");
        const conf = parse(upload(sqlExporter, "/etc/sql_exporter/sql_exporter.yml")!);
        // The least-privilege login the init step creates, never sa.
        assert.match(conf.target.data_source_name, /^sqlserver:\/\/llm_monitor:[^@]+@sqlserver:1433\?/);
        const login = on.named(CONTAINER, "sqlserver-monitor-login");
        assert.ok(env(login).MONITOR_PASSWORD.length >= 32);
        assert.ok(conf.target.data_source_name.includes(encodeURIComponent(env(login).MONITOR_PASSWORD)), "exporter and login share the password");
        assert.match(upload(login, "/tmp/llm-platform-monitor.sql")!, /GRANT VIEW SERVER STATE TO \[llm_monitor\]/);
        assert.doesNotMatch(upload(login, "/tmp/llm-platform-monitor.sql")!, /sysadmin|db_owner|CONTROL SERVER/);

        assert.deepEqual(on.named(CONTAINER, "proxy-exporter").inputs.command, ["--nginx.scrape-uri=http://proxy:8081/stub_status"]);
        // Both stores serve TLS only: the exporters verify them with the stack's CA, uploaded as a file.
        const redisExporter = on.named(CONTAINER, "redis-exporter");
        assert.equal(env(redisExporter).REDIS_ADDR, "rediss://redis:6379");
        assert.equal(env(redisExporter).REDIS_EXPORTER_TLS_CA_CERT_FILE, "/etc/llm-platform/tls/store-ca.crt");
        assert.equal(upload(redisExporter, "/etc/llm-platform/tls/store-ca.crt"), on.outputs.caCertificatePem);
        const pgExporter = env(on.named(CONTAINER, "timescale-exporter"));
        assert.equal(pgExporter.DATA_SOURCE_URI, "timescale:5432/llm_observatory?sslmode=verify-full&sslrootcert=/etc/llm-platform/tls/store-ca.crt");
        assert.equal(upload(on.named(CONTAINER, "timescale-exporter"), "/etc/llm-platform/tls/store-ca.crt"), on.outputs.caCertificatePem);
        // PostgreSQL's pg_monitor role, not the superuser.
        assert.equal(pgExporter.DATA_SOURCE_USER, "llm_monitor");
        const role = on.named(CONTAINER, "timescale-monitor-role");
        assert.equal(env(role).LLM_MONITOR_PASSWORD, pgExporter.DATA_SOURCE_PASS);
        const roleSql = upload(role, "/tmp/llm-platform-monitor.sql")!;
        assert.match(roleSql, /GRANT pg_monitor TO llm_monitor;/);
        assert.match(roleSql, /NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'monitor_password'/);
        assert.ok(!roleSql.includes(pgExporter.DATA_SOURCE_PASS), "the password stays in env");
        for (const name of ["proxy-exporter", "redis-exporter", "timescale-exporter", "sqlserver-exporter"]) {
            assert.deepEqual(on.named(CONTAINER, name).inputs.ports ?? [], [], `${name} publishes nothing`);
        }
    });

    it("publishes neither the proxy's stub_status nor a UI: Grafana, Prometheus and Alertmanager are behind the proxy's login", () => {
        const published = (name: string) => (on.named(CONTAINER, name).inputs.ports ?? []).map((p: any) => `${p.ip}:${p.external}->${p.internal}`);
        assert.deepEqual(published("proxy").sort(), ["0.0.0.0:8080->80", "0.0.0.0:8443->443"]);
        for (const ui of ["grafana", "prometheus", "alertmanager"]) assert.deepEqual(published(ui), [], ui);
        assert.equal(on.outputs.observability.grafanaUrl, "https://localhost:8443/grafana/");
        assert.equal(on.outputs.observability.prometheusUrl, "https://localhost:8443/prometheus/");
        assert.equal(on.outputs.observability.alertmanagerUrl, "https://localhost:8443/alertmanager/");
    });

    it("mounts the host into node agents (node-exporter, cAdvisor, Fluent Bit) read-only, and into nothing else", () => {
        for (const c of on.ofType(CONTAINER)) {
            const binds = (c.inputs.volumes ?? []).filter((v: any) => v.hostPath);
            if (["node-exporter", "cadvisor", "fluent-bit"].includes(c.name)) {
                assert.ok(binds.length > 0, c.name);
                for (const b of binds) assert.equal(b.readOnly, true, `${c.name} ${b.hostPath}`);
            } else {
                assert.deepEqual(binds, [], `${c.name} mounts nothing of the host`);
            }
        }
    });

    it("keeps Prometheus, Alertmanager and Grafana data on retained volumes; Grafana with a generated admin password and no anonymous access", () => {
        for (const name of ["prometheus", "alertmanager", "grafana"]) {
            const v = on.ofType("docker:index/volume:Volume").find((x) => x.inputs.name === `llm-platform-dev-${name}-data`);
            assert.ok(v && v.options.retainOnDelete, name);
        }
        const grafana = env(on.named(CONTAINER, "grafana"));
        assert.equal(grafana.GF_AUTH_ANONYMOUS_ENABLED, "false");
        assert.equal(grafana.GF_SERVER_ROOT_URL, "https://localhost:8443/grafana/");
        assert.ok(grafana.GF_SECURITY_ADMIN_PASSWORD.length >= 32);
        assert.equal(on.outputs.credentials.grafanaAdminPassword, grafana.GF_SECURITY_ADMIN_PASSWORD);
        const prometheus = on.named(CONTAINER, "prometheus").inputs.command as string[];
        assert.ok(prometheus.includes("--storage.tsdb.retention.time=15d"));
        // A single Alertmanager gossips with no one: clustering off.
        assert.ok((on.named(CONTAINER, "alertmanager").inputs.command as string[]).includes("--cluster.listen-address="));
    });

    it("provisions Grafana data sources that exist and dashboards that only use them", () => {
        const grafana = on.named(CONTAINER, "grafana");
        const sources = parse(upload(grafana, "/etc/grafana/provisioning/datasources/llm-platform.yml")!).datasources;
        const uids = new Set(sources.map((s: any) => s.uid));
        assert.ok(uids.has("prometheus"));
        const provider = parse(upload(grafana, "/etc/grafana/provisioning/dashboards/llm-platform.yml")!).providers[0];
        const dashboards = (grafana.inputs.uploads as any[]).filter((u) => u.file.startsWith(`${provider.options.path}/`));
        assert.deepEqual(dashboards.map((d) => d.file.split("/").pop()).sort(), ["llm-containers.json", "llm-datastores.json", "llm-diagnostics.json", "llm-overview.json", "llm-proxy.json"]);
        for (const d of dashboards) {
            const json = JSON.parse(d.content);
            for (const panel of json.panels) {
                assert.ok(uids.has(panel.datasource.uid), `${json.uid} ${panel.title}`);
                for (const t of panel.targets) assert.ok(t.expr.length > 0);
            }
        }
        const overview = JSON.parse(dashboards.find((d) => d.file.endsWith("llm-overview.json")).content);
        const titles = overview.panels.map((p: any) => p.title);
        for (const service of APP) assert.ok(titles.includes(`${service}: up`), `overview shows ${service}`);
    });
});
