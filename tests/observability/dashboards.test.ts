/**
 * Every Grafana dashboard the stacks provision parses, every panel's query is valid PromQL
 * (promtool), and every metric a panel or an alert reads is one that an exporter produces at
 * its pinned version (exporter-metrics.ts, from the exporters' source) or the platform itself
 * produces (its log-derived metrics, the collectors it writes for sql_exporter, what its backup
 * and task jobs report, what the CloudWatch exporter serves of the queries it is given).
 */
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { defaultImages } from "../../components/config/images";
import { BACKUP_METRIC, PROXY_DURATION_METRIC, PROXY_REQUESTS_METRIC, TASK_METRICS } from "../../components/observability/alert-rules";
import { cloudwatchMetricNames } from "../../components/observability/cloudwatch-exporter-conf";
import { GRAFANA_DASHBOARDS_DIR } from "../../components/observability/grafana-provisioning";
import { sqlExporterMetricNames } from "../../components/observability/sql-exporter-conf";
import { runStack, StackRun } from "../../harness/run-stack";
import { requireTool } from "../helpers/tools";
import { EXPORTER_METRICS, exporterSeriesNames } from "./exporter-metrics";
import { metricNames } from "./promql-names";

const CONTAINER = "docker:index/container:Container";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";

/** Every metric the platform may read: the exporters' and its own. */
function producedMetrics(): Set<string> {
    return new Set([
        ...exporterSeriesNames(),
        // Prometheus' own series for every target it scrapes.
        "up",
        // Fluent Bit's log_to_metrics from the proxy's access log (fluent-bit-conf.ts): a counter and a histogram.
        PROXY_REQUESTS_METRIC,
        ...["_bucket", "_sum", "_count"].map((s) => `${PROXY_DURATION_METRIC}${s}`),
        ...sqlExporterMetricNames(),
        BACKUP_METRIC,
        ...Object.values(TASK_METRICS),
        ...cloudwatchMetricNames(),
    ]);
}

interface Panel {
    readonly dashboard: string;
    readonly title: string;
    readonly exprs: readonly string[];
}

function panelsOf(files: Record<string, string>): Panel[] {
    return Object.entries(files).flatMap(([file, text]) => {
        const d = JSON.parse(text);
        assert.ok(d.uid && d.title && Array.isArray(d.panels) && d.panels.length > 0, `${file}: uid, title and panels`);
        return d.panels.map((p: any) => {
            assert.ok(p.targets.length > 0, `${file} › ${p.title} has a query`);
            return { dashboard: file, title: p.title, exprs: p.targets.map((t: any) => t.expr) };
        });
    });
}

describe("Grafana dashboards: JSON, PromQL and only metrics something produces", function () {
    this.timeout(120000);
    let dev: StackRun;
    let prod: StackRun;
    let dir: string;
    before(async () => {
        dev = await runStack("dev");
        prod = await runStack("prod", { exampleUserValues: true });
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-dashboards-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const devDashboards = () =>
        Object.fromEntries(
            (dev.named(CONTAINER, "grafana").inputs.uploads as { file: string; content: string }[])
                .filter((u) => u.file.startsWith(`${GRAFANA_DASHBOARDS_DIR}/`))
                .map((u) => [path.basename(u.file), u.content]),
        );
    /** On Kubernetes the dashboards are keys of Grafana's files ConfigMap (`etc-grafana-dashboards-<file>`). */
    const prodDashboards = () => {
        const data = prod.ofType(CONFIG_MAP).find((m) => m.inputs.metadata.name === "grafana-files")!.inputs.data as Record<string, string>;
        const prefix = `${GRAFANA_DASHBOARDS_DIR.replace(/^\//, "").replace(/\//g, "-")}-`;
        return Object.fromEntries(Object.entries(data).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    };

    it("provisions the same dashboards on both platforms, each JSON with panels and queries", () => {
        const names = Object.keys(devDashboards()).sort();
        assert.deepEqual(names, ["llm-containers.json", "llm-datastores.json", "llm-diagnostics.json", "llm-overview.json", "llm-proxy.json"]);
        assert.deepEqual(Object.keys(prodDashboards()).filter((k) => names.includes(k)).sort(), names);
        assert.ok(panelsOf(devDashboards()).length > 30);
    });

    it("every panel's query is valid PromQL (promtool check rules)", function () {
        const promtool = requireTool(this, "promtool", "prometheus");
        const panels = [...panelsOf(devDashboards()), ...panelsOf(prodDashboards())];
        const rules = panels.flatMap((p) => p.exprs).map((expr, i) => ({ record: `llm_panel_${i}`, expr }));
        fs.writeFileSync(path.join(dir, "panels.rules.yml"), stringify({ groups: [{ name: "panels", rules }] }));
        const r = spawnSync(promtool, ["check", "rules", "panels.rules.yml"], { cwd: dir, encoding: "utf8" });
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    });

    it("every panel reads only metrics an exporter or the platform produces", () => {
        const known = producedMetrics();
        const unknown: string[] = [];
        for (const p of [...panelsOf(devDashboards()), ...panelsOf(prodDashboards())]) {
            const names = p.exprs.flatMap(metricNames);
            assert.ok(names.length > 0, `${p.dashboard} › ${p.title} reads a metric`);
            for (const name of names) if (!known.has(name)) unknown.push(`${p.dashboard} › ${p.title}: ${name}`);
        }
        assert.deepEqual(unknown, []);
    });

    it("every alert rule reads only metrics an exporter or the platform produces", () => {
        const known = producedMetrics();
        for (const run of [dev, prod]) {
            const files =
                run.config.platform === "docker"
                    ? (run.named(CONTAINER, "prometheus").inputs.uploads as { file: string; content: string }[]).map((u) => u.content)
                    : (Object.values(run.ofType(CONFIG_MAP).find((m) => m.inputs.metadata.name === "prometheus-files")!.inputs.data) as string[]);
            const rules = files.filter((f) => f.includes("\ngroups:")).flatMap((f) => parse(f).groups.flatMap((g: any) => g.rules));
            assert.ok(rules.length > 30);
            const unknown = rules.flatMap((r: any) => metricNames(r.expr).filter((n) => !known.has(n)).map((n) => `${r.alert}: ${n}`));
            assert.deepEqual(unknown, [], run.config.platform);
        }
    });

    it("reads each exporter's metrics from the source of the version the platform pins", () => {
        const version = (image: string) => /:v?(\d+\.\d+\.\d+)/.exec(image)?.[1];
        for (const [name, e] of Object.entries(EXPORTER_METRICS)) {
            const pinned = (defaultImages as Record<string, string>)[e.image];
            assert.ok(pinned, `${name}: images.ts has ${e.image}`);
            assert.equal(version(e.source.replace("@", ":")), version(pinned), `${name}: the list is read at ${e.source}, the platform pins ${pinned}`);
        }
    });
});
