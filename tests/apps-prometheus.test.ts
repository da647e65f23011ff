/**
 * The apps' scrape jobs and alerts under Debian's promtool: the dev stack with two apps (one run
 * by the platform, one only routed to) passes `promtool check config`, and each app's alerts fire
 * on that app's requests alone (`promtool test rules`), from the series the log shipper derives
 * from the proxy's access log (route="app-<name>").
 */
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { PROXY_DURATION_METRIC, PROXY_REQUESTS_METRIC } from "../components/observability/alert-rules";
import { LATENCY_BUCKETS } from "../components/observability/fluent-bit-conf";
import { runStack, StackRun } from "../harness/run-stack";
import { requireTool } from "./helpers/tools";

const CONTAINER = "docker:index/container:Container";
const APPS = [
    {
        name: "courses-api",
        upstream: { image: "registry.example.com/course-creator/course-api:2.4.1", port: 8001, healthCommand: ["true"] },
        routes: [{ pathPrefix: "/courses" }],
        metrics: { port: 9100, path: "/internal/metrics" },
    },
    { name: "legacy", upstream: { address: "10.20.0.5:8080" }, routes: [{ host: "legacy.example.com" }], metrics: { port: 9200 } },
];

describe("apps' scrape jobs and alerts under promtool", function () {
    this.timeout(120000);
    let stack: StackRun;
    let dir: string;
    const uploads = () => Object.fromEntries((stack.named(CONTAINER, "prometheus").inputs.uploads as { file: string; content: string }[]).map((u) => [u.file, u.content]));
    const run = (tool: string, args: string[]) => {
        const r = spawnSync(tool, args, { cwd: dir, encoding: "utf8" });
        return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
    };

    before(async () => {
        stack = await runStack("dev", { overrides: { "llm-platform:apps": APPS } });
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-apps-prometheus-"));
        for (const [file, content] of Object.entries(uploads())) {
            const target = path.join(dir, file.replace(/^\/etc\/prometheus\//, ""));
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, content.split("/etc/prometheus/").join(`${dir}/`));
        }
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("scrapes the app the platform runs by its service name, the routed one at its address", () => {
        const jobs = Object.fromEntries(parse(uploads()["/etc/prometheus/prometheus.yml"]).scrape_configs.map((j: any) => [j.job_name, j]));
        assert.deepEqual(jobs["app-courses-api"].static_configs, [{ targets: ["app-courses-api:9100"], labels: { service: "app-courses-api" } }]);
        assert.equal(jobs["app-courses-api"].metrics_path, "/internal/metrics");
        assert.deepEqual(jobs["app-legacy"].static_configs[0].targets, ["10.20.0.5:9200"]);
    });

    it("gives each app a row of Grafana's apps dashboard, from the same route label", () => {
        const grafana = (stack.named(CONTAINER, "grafana").inputs.uploads as { file: string; content: string }[]).find((u) => u.file === "/etc/grafana/dashboards/llm-apps.json");
        assert.ok(grafana, "llm-apps.json provisioned");
        const panels = JSON.parse(grafana.content).panels as { title: string; targets: { expr: string }[] }[];
        assert.deepEqual(panels.map((p) => p.title.split(":")[0]), ["courses-api", "courses-api", "legacy", "legacy"]);
        assert.ok(panels[2].targets.every((t) => t.expr.includes('route="app-legacy"')));
    });

    it("passes promtool check config, the apps' rules included", function () {
        const promtool = requireTool(this, "promtool", "prometheus");
        const r = run(promtool, ["check", "config", path.join(dir, "prometheus.yml")]);
        assert.ok(r.ok, r.output);
        assert.match(r.output, /SUCCESS: \d+ rules found/);
    });

    it("fires each app's alerts on its own errors and latency only (promtool test rules)", function () {
        const promtool = requireTool(this, "promtool", "prometheus");
        const rules = parse(uploads()["/etc/prometheus/rules/llm-platform.rules.yml"]);
        const group = rules.groups.find((g: any) => g.name === "llm-platform.apps");
        assert.deepEqual(group.rules.map((r: any) => r.alert), ["AppErrorRateHigh", "AppLatencyP95High", "AppErrorRateHigh", "AppLatencyP95High"]);
        for (const r of group.rules) delete r.annotations;
        fs.writeFileSync(path.join(dir, "apps.rules.yml"), stringify({ groups: [group] }));
        const job = 'job="fluent-bit",service="fluent-bit"';
        // courses-api: 5 of 100 requests per minute fail (5% > 1%) and all take 2 s (> 0.5 s); legacy: healthy and fast.
        const requests = (route: string, status: string, perMinute: number) => ({ series: `${PROXY_REQUESTS_METRIC}{${job},route="${route}",status="${status}"}`, values: `0+${perMinute}x30` });
        const buckets = (route: string, seconds: number, perMinute: number) => [
            ...LATENCY_BUCKETS.map((le) => ({ series: `${PROXY_DURATION_METRIC}_bucket{${job},route="${route}",le="${le}"}`, values: le >= seconds ? `0+${perMinute}x30` : "0x30" })),
            { series: `${PROXY_DURATION_METRIC}_bucket{${job},route="${route}",le="+Inf"}`, values: `0+${perMinute}x30` },
        ];
        const tests = [
            {
                interval: "1m",
                input_series: [
                    requests("app-courses-api", "200", 95),
                    requests("app-courses-api", "502", 5),
                    requests("app-legacy", "200", 100),
                    ...buckets("app-courses-api", 2, 100),
                    ...buckets("app-legacy", 0.1, 100),
                ],
                alert_rule_test: [
                    { eval_time: "15m", alertname: "AppErrorRateHigh", exp_alerts: [{ exp_labels: { severity: "critical", app: "courses-api" } }] },
                    { eval_time: "15m", alertname: "AppLatencyP95High", exp_alerts: [{ exp_labels: { severity: "warning", app: "courses-api" } }] },
                ],
            },
        ];
        fs.writeFileSync(path.join(dir, "apps.test.yml"), stringify({ rule_files: ["apps.rules.yml"], evaluation_interval: "1m", tests }));
        const r = run(promtool, ["test", "rules", "apps.test.yml"]);
        assert.ok(r.ok, r.output);
        assert.match(r.output, /SUCCESS/);
    });
});
