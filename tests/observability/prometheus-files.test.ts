import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { alertThresholdsShape } from "../../components/config/alert-thresholds";
import { parseConfig } from "../../components/config/load";
import { alertGroups, AlertThresholds, ManagedDatabase, renderAlertRules } from "../../components/observability/alert-rules";
import { renderAlertmanagerConf } from "../../components/observability/alertmanager-conf";
import { nodeLayout } from "../../components/observability/node-layout";
import { uploadsOf } from "../../harness/render";
import { runStack, StackRun } from "../../harness/run-stack";
import { requireTool } from "../helpers/tools";
import { AlertExample, alertExamples } from "./alert-examples";

const CONTAINER = "docker:index/container:Container";
/** A container's file, read as `npm run render` writes it (harness/render.ts). */
const upload = (run: StackRun, container: string, file: string): string => {
    const content = uploadsOf(run.named(CONTAINER, container))[file];
    assert.ok(content !== undefined, `${container} has no upload ${file}`);
    return content;
};

function run(tool: string, args: string[], cwd: string) {
    const r = spawnSync(tool, args, { cwd, encoding: "utf8" });
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

const minutes = (d: string) => Number(/^(\d+)m$/.exec(d)?.[1] ?? NaN);

describe("generated Prometheus and Alertmanager files (promtool, amtool)", function () {
    let stack: StackRun;
    let dir: string;
    before(async () => {
        stack = await runStack("dev");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-prometheus-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** The dev stack's Prometheus files, written under `dir` with their paths rewritten there. */
    function writePrometheusFiles(): string {
        for (const [file, content] of Object.entries(uploadsOf(stack.named(CONTAINER, "prometheus")))) {
            const target = path.join(dir, file.replace(/^\/etc\/prometheus\//, ""));
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, content.split("/etc/prometheus/").join(`${dir}/`));
        }
        return path.join(dir, "prometheus.yml");
    }

    it("prometheus.yml passes promtool check config (rules and token files included)", function () {
        const promtool = requireTool(this, "promtool", "prometheus");
        const conf = writePrometheusFiles();
        const r = run(promtool, ["check", "config", conf], dir);
        assert.ok(r.ok, r.output);
        assert.match(r.output, /SUCCESS: \d+ rules found/);
    });

    it("scrapes every declared endpoint and exporter, and probes every declared URL", () => {
        const conf = parse(upload(stack, "prometheus", "/etc/prometheus/prometheus.yml"));
        const jobs = Object.fromEntries(conf.scrape_configs.map((j: any) => [j.job_name, j]));
        for (const job of ["proxy", "sqlserver", "timescale", "redis", "qdrant", "node-exporter", "cadvisor", "blackbox-exporter", "alertmanager", "grafana", "prometheus"]) {
            assert.ok(jobs[job], `job ${job}`);
        }
        assert.deepEqual(jobs.proxy.static_configs[0].targets, ["proxy-exporter:9113"]);
        assert.deepEqual(jobs.sqlserver.static_configs[0].targets, ["sqlserver-exporter:9399"]);
        assert.equal(jobs.qdrant.authorization.credentials_file, "/etc/prometheus/secrets/qdrant-token");
        // Qdrant serves HTTPS only: scraped with its CA, which Prometheus gets as a file.
        assert.equal(jobs.qdrant.scheme, "https");
        assert.deepEqual(jobs.qdrant.tls_config, { ca_file: "/etc/prometheus/tls/qdrant-ca.pem", min_version: "TLS12" });
        assert.match(upload(stack, "prometheus", "/etc/prometheus/tls/qdrant-ca.pem"), /CERTIFICATE/);
        assert.equal(jobs.grafana.metrics_path, "/grafana/metrics");
        const https = jobs.probe_https_2xx_stack_ca;
        assert.deepEqual(https.static_configs.map((s: any) => s.targets[0]), ["https://proxy:443/healthz", "https://qdrant:6333/readyz"]);
        const http = jobs.probe_http_2xx.static_configs.map((s: any) => s.targets[0]);
        assert.deepEqual(http.sort(), [
            "http://kibana:5601/kibana/login",
            "http://logstash:9600/",
            "http://ollama:11434/api/version",
            "http://proxy:80/healthz",
        ]);
        assert.deepEqual(jobs.elasticsearch.static_configs[0].targets, ["elasticsearch-exporter:9114"]);
        // Node agents: every copy, found by DNS (one per node on Kubernetes; the one container on Docker).
        assert.deepEqual(jobs["fluent-bit"].dns_sd_configs, [{ names: ["fluent-bit"], type: "A", port: 2021 }]);
        assert.deepEqual(jobs["node-exporter"].dns_sd_configs, [{ names: ["node-exporter"], type: "A", port: 9100 }]);
        assert.deepEqual(jobs["node-exporter"].relabel_configs, [{ target_label: "service", replacement: "node-exporter" }]);
        assert.equal(jobs.pushgateway, undefined, "Docker's backup schedulers write node-exporter's textfiles instead");
        const tcp = jobs.probe_tcp_connect.static_configs.map((s: any) => s.targets[0]);
        assert.deepEqual(tcp.sort(), ["redis:6379", "sqlserver:1433", "timescale:5432"]);
        // Qdrant's key reaches Prometheus as a file, never in prometheus.yml.
        const token = upload(stack, "prometheus", "/etc/prometheus/secrets/qdrant-token");
        assert.ok(token.length >= 32);
        assert.ok(!upload(stack, "prometheus", "/etc/prometheus/prometheus.yml").includes(token));
    });

    it("the rules pass promtool check rules, each with severity, summary and runbook", function () {
        const promtool = requireTool(this, "promtool", "prometheus");
        const rules = upload(stack, "prometheus", "/etc/prometheus/rules/llm-platform.rules.yml");
        fs.writeFileSync(path.join(dir, "check.rules.yml"), rules);
        const r = run(promtool, ["check", "rules", "check.rules.yml"], dir);
        assert.ok(r.ok, r.output);
        for (const group of parse(rules).groups) {
            for (const rule of group.rules) {
                // A scheduled task's failure takes its severity from the series (`on_failure`).
                assert.match(rule.labels.severity, /^(critical|warning|none|\{\{ \$labels\.on_failure \}\})$/, rule.alert);
                assert.ok(rule.annotations.summary && rule.annotations.runbook, rule.alert);
            }
        }
    });

    /** Custom thresholds (every key set away from its default) and an RDS instance: the config keys reach the rules. */
    const custom: AlertThresholds = {
        ...parseConfig({}).observability,
        cpuWarningPercent: 60,
        cpuCriticalPercent: 80,
        memoryWarningPercent: 70,
        memoryCriticalPercent: 85,
        diskWarningPercent: 75,
        diskCriticalPercent: 92,
        connectionsPercent: 70,
        proxyErrorRatePercent: 2.5,
        proxyLatencyP95Seconds: 1.5,
        vectorSearchP95Seconds: 0.03,
        backupMaxAgeHours: 30,
        replicaLagSeconds: 120,
    };
    const database: ManagedDatabase = { identifier: "llm-platform-prod-postgres", maxConnections: 500 };

    it("has an example for every alert, and only for alerts that exist", () => {
        const config = parseConfig({});
        const alerts = (managed: ManagedDatabase[]) => alertGroups(config.observability, nodeLayout(config), { databases: managed }).flatMap((g) => g.rules.map((r) => r.alert));
        assert.deepEqual(Object.keys(alertExamples(config.observability)).sort(), [...alerts([])].sort());
        assert.deepEqual(Object.keys(alertExamples(custom, [database])).sort(), [...alerts([database])].sort());
        for (const key of Object.keys(alertThresholdsShape)) {
            assert.notEqual((custom as any)[key], (config.observability as any)[key], `the custom thresholds move ${key} away from its default`);
        }
    });

    /**
     * promtool test rules for every alert of a rules file: its bad series (just above the threshold)
     * silent before its `for` has passed and firing after; its good series (just below) silent.
     */
    function testAlerts(promtool: string, name: string, rulesYaml: string, examples: Record<string, AlertExample>) {
        // The rules, annotations left out: promtool compares them verbatim, the logic is in expr and for.
        const generated = parse(rulesYaml);
        for (const g of generated.groups) for (const r of g.rules) delete r.annotations;
        fs.writeFileSync(path.join(dir, `${name}.rules.yml`), stringify(generated));
        const tests: object[] = [];
        for (const group of generated.groups) {
            for (const rule of group.rules) {
                const example = examples[rule.alert];
                const wait = minutes(rule.for);
                const fired = `${wait + 10}m`;
                const series = (list: readonly { series: string; values: string }[]) => list.map((s) => ({ series: s.series, values: s.values }));
                tests.push({
                    interval: "1m",
                    input_series: series(example.bad),
                    alert_rule_test: [
                        ...(wait >= 1 ? [{ eval_time: `${wait - 1}m`, alertname: rule.alert, exp_alerts: [] }] : []),
                        { eval_time: fired, alertname: rule.alert, exp_alerts: [{ exp_labels: example.firing }] },
                    ],
                });
                if (example.good) {
                    tests.push({
                        interval: "1m",
                        input_series: series(example.good),
                        alert_rule_test: [{ eval_time: fired, alertname: rule.alert, exp_alerts: [] }],
                    });
                }
            }
        }
        fs.writeFileSync(path.join(dir, `${name}.test.yml`), stringify({ rule_files: [`${name}.rules.yml`], evaluation_interval: "1m", tests }));
        const r = run(promtool, ["test", "rules", `${name}.test.yml`], dir);
        assert.ok(r.ok, r.output);
        assert.match(r.output, /SUCCESS/);
    }

    it("every alert fires just above its threshold once its `for` has passed, and stays silent just below (promtool test rules, default thresholds)", function () {
        const promtool = requireTool(this, "promtool", "prometheus");
        const rules = upload(stack, "prometheus", "/etc/prometheus/rules/llm-platform.rules.yml");
        testAlerts(promtool, "defaults", rules, alertExamples(parseConfig({}).observability));
    });

    it("moves every threshold with its config key, RDS alarms included (promtool test rules, custom thresholds)", function () {
        const promtool = requireTool(this, "promtool", "prometheus");
        const config = parseConfig({});
        const rules = renderAlertRules(custom, nodeLayout(config), { databases: [database] });
        testAlerts(promtool, "custom", rules, alertExamples(custom, [database]));
    });

    it("alertmanager.yml passes amtool check-config, without receivers and with all of them", function () {
        const amtool = requireTool(this, "amtool", "prometheus-alertmanager");
        const none = upload(stack, "alertmanager", "/etc/alertmanager/alertmanager.yml");
        const all = renderAlertmanagerConf({
            slackWebhookUrl: "https://hooks.slack.com/services/T000/B000/XXXX",
            slackChannel: "#llm-alerts",
            pagerdutyRoutingKey: "0123456789abcdef0123456789abcdef",
            email: { to: "oncall@example.com", from: "alerts@example.com", smarthost: "smtp.example.com:587", username: "alerts", password: "secret" },
        });
        for (const [name, text] of [["none.yml", none], ["all.yml", all]]) {
            fs.writeFileSync(path.join(dir, name), text);
            const r = run(amtool, ["check-config", name], dir);
            assert.ok(r.ok, `${name}: ${r.output}`);
        }
        // Alertmanager's own router decides where each severity goes.
        const route = (labels: string[]) => spawnSync(amtool, ["config", "routes", "test", "--config.file=all.yml", ...labels], { cwd: dir, encoding: "utf8" }).stdout.trim();
        assert.equal(route(["severity=critical", "alertname=TargetDown"]), "critical");
        assert.equal(route(["severity=warning", "alertname=HostMemoryHigh"]), "warning");
        assert.equal(route(["severity=none", "alertname=Watchdog"]), "heartbeat");
        const routes = parse(all).route.routes;
        assert.deepEqual(routes.map((r: any) => r.receiver), ["heartbeat", "critical", "warning"]);
        const receivers = Object.fromEntries(parse(all).receivers.map((r: any) => [r.name, r]));
        assert.ok(receivers.critical.pagerduty_configs && receivers.critical.slack_configs && receivers.critical.email_configs);
        assert.equal(receivers.warning.pagerduty_configs, undefined, "warnings never page");
        assert.deepEqual(parse(all).inhibit_rules[0].equal, ["service", "instance"]);
    });
});
