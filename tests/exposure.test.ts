/**
 * What dev opens on the machine, and the README's port table that says it: loopback is no
 * login, so only what asks for a password or key listens there by default.
 */
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR, runStack, StackRun } from "../harness/run-stack";
import { stackTotals } from "../harness/stack-totals";
import { tablesOf } from "./helpers/markdown";

const CONTAINER = "docker:index/container:Container";
const argsOf = (run: StackRun, name: string) => run.named(CONTAINER, name).inputs.command as string[];

describe("exposure on dev: the safe side by default", function () {
    this.timeout(120000);
    let dev: StackRun;
    before(async () => {
        dev = await runStack("dev");
    });

    it("publishes only the proxy beyond loopback, and on loopback only the stores that ask for a password or key", () => {
        assert.deepEqual(stackTotals(dev).hostPorts, [
            "0.0.0.0:8080 -> proxy",
            "0.0.0.0:8443 -> proxy",
            "127.0.0.1:1433 -> sqlserver",
            "127.0.0.1:5432 -> timescale",
            "127.0.0.1:6333 -> qdrant",
            "127.0.0.1:6379 -> redis",
        ]);
        for (const open of ["ollama", "prometheus", "alertmanager"]) assert.deepEqual(dev.named(CONTAINER, open).inputs.ports ?? [], [], `${open} answers without a key`);
    });

    it("states every published port of dev, and each unpublished keyless one, in the README's port table", () => {
        const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
        const table = tablesOf(readme.slice(readme.indexOf("## Ports"))).find((t) => t.header[0] === "stack" && t.header[1] === "address");
        assert.ok(table, "README has a ## Ports table");
        const devRows = table.rows.filter((r) => r[0] === "dev");
        const stated = new Set(devRows.flatMap((r) => [...r[1].matchAll(/`(\d+\.\d+\.\d+\.\d+:\d+)`/g)].map((m) => m[1])));
        const published = new Set(stackTotals(dev).hostPorts.map((p) => p.split(" ")[0]));
        assert.deepEqual([...stated].sort(), [...published].sort());
        for (const row of devRows.filter((r) => r[1].startsWith("`127.0.0.1:"))) assert.notEqual(row[3], "nothing", `${row[1]} asks for something`);
        const unpublished = devRows.find((r) => r[1].startsWith("not published: 11434"));
        assert.ok(unpublished && /9090/.test(unpublished[1]) && /9093/.test(unpublished[1]), "the keyless ports are named as not published");
        assert.ok(table.rows.some((r) => r[0] === "prod"), "prod has its rows");
    });

    it("publishes a keyless service only when asked, and then on 127.0.0.1 alone", async () => {
        const run = await runStack("dev", { overrides: { "llm-platform:ollama": { hostPort: 11434 }, "llm-platform:prometheus": { hostPort: 9090 } } });
        const ports = stackTotals(run).hostPorts;
        assert.ok(ports.includes("127.0.0.1:11434 -> ollama") && ports.includes("127.0.0.1:9090 -> prometheus"), ports.join(", "));
    });

    it("serves Prometheus and Alertmanager behind the proxy's login, linking under its prefix, with one user file per UI", () => {
        assert.ok(argsOf(dev, "prometheus").includes("--web.external-url=https://localhost:8443/prometheus/"));
        assert.ok(argsOf(dev, "alertmanager").includes("--web.external-url=https://localhost:8443/alertmanager/"));
        for (const ui of ["prometheus", "alertmanager"]) assert.ok(argsOf(dev, ui).includes("--web.route-prefix=/"), `${ui} keeps its routes at /`);
        const proxy = dev.named(CONTAINER, "proxy");
        const file = (ui: string) => proxy.inputs.uploads.find((u: any) => u.file === `/etc/nginx/auth/${ui}.htpasswd`)?.content;
        assert.match(file("prometheus"), /^admin:\{PLAIN\}\S+\n$/);
        assert.equal(file("prometheus"), file("grafana"), "the metrics UIs share Grafana's admin");
        assert.equal(file("alertmanager"), file("grafana"));
        const conf = proxy.inputs.uploads.find((u: any) => u.file === "/etc/nginx/nginx.conf").content as string;
        assert.match(conf, /location ~ \^\/prometheus\(\?!\/-\/\)\(\/\.\*\)\?\$ \{\n\s+auth_basic "Prometheus";\n\s+auth_basic_user_file \/etc\/nginx\/auth\/prometheus\.htpasswd;/);
    });

    it("says once per run where alerts are seen without receivers: the proxy's URL on Docker, the port-forward too on Kubernetes", async () => {
        const warnings = (run: StackRun) => run.notices.filter((n) => n.level === "warning" && n.text.startsWith("observability.alertReceivers"));
        assert.equal(warnings(dev).length, 1);
        assert.match(warnings(dev)[0].text, /Alertmanager's UI, https:\/\/localhost:8443\/alertmanager\/ \(the proxy's login: user admin/);
        assert.match(warnings(dev)[0].text, /npm run pulumi -- dev config set --secret --path observability\.alertReceivers\.slackWebhookUrl/);
        assert.doesNotMatch(warnings(dev)[0].text, /hostPort/);
        const prod = await runStack("prod", { exampleUserValues: true });
        assert.equal(warnings(prod).length, 1);
        assert.match(warnings(prod)[0].text, /https:\/\/llm\.example\.com\/alertmanager\/ .*kubectl -n llm-platform port-forward svc\/alertmanager 9093/);
        assert.match(warnings(prod)[0].text, /npm run pulumi -- prod config set --secret/);
        assert.doesNotMatch(warnings(prod)[0].text, /hostPort/);
        const withSlack = await runStack("dev", { overrides: { "llm-platform:observability": { alertReceivers: { slackWebhookUrl: "https://hooks.slack.com/services/T/B/x" } } } });
        assert.deepEqual(warnings(withSlack), []);
    });
});
