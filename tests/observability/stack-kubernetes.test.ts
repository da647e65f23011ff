import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { kubernetesTotals } from "../../harness/kubernetes-totals";
import { policyResources } from "../../harness/policy-report";
import { mountedFilesOf } from "../../harness/render";
import { PROJECT_DIR, runStack, StackRun } from "../../harness/run-stack";
import { PUSHGATEWAY } from "../../components/observability/pushgateway";
import { renderKubernetesLabelsLua } from "../../components/observability/fluent-bit-conf";
import { talksToLabel } from "../../components/platform/kubernetes/flows";
import { runPolicyPack } from "../../policies/rules/offline";
import { DAEMON_SET, DEPLOYMENT, NETWORK_POLICY, podSpec, SERVICE, STATEFUL_SET } from "../helpers/kubernetes-types";
import { requireTool } from "../helpers/tools";

const MAIN = "llm-platform";
const AGENTS = "llm-platform-node-agents";
const NODE_AGENTS = ["cadvisor", "fluent-bit", "node-exporter"];

const workload = (run: StackRun, name: string) =>
    [...run.ofType(STATEFUL_SET), ...run.ofType(DEPLOYMENT), ...run.ofType(DAEMON_SET)].find((w) => w.name === name)!;

/** The files a workload's pods get, by mount path, as `npm run render` writes them (harness/render.ts). */
const mountedFiles = (run: StackRun, name: string): Record<string, string> => mountedFilesOf(run, name);

/** The NetworkPolicy of a workload: whom it may reach (`namespace/service`) and who may reach it. */
function flowsOf(run: StackRun, name: string) {
    const spec = run.ofType(NETWORK_POLICY).find((p) => p.name === `${name}-flows`)!.inputs.spec;
    const egress: string[] = spec.egress.flatMap((e: any) =>
        // A CloudNativePG cluster's pods are picked by the operator's label (components/platform/kubernetes/cloudnative-pg.ts clusterPods).
        e.to
            .filter((t: any) => t.podSelector)
            .map((t: any) => `${t.namespaceSelector.matchLabels["kubernetes.io/metadata.name"]}/${t.podSelector.matchLabels["app.kubernetes.io/name"] ?? t.podSelector.matchLabels["cnpg.io/cluster"]}`),
    );
    return { spec, egress };
}

describe("observability on the Kubernetes platform (the prod stack under mocks)", function () {
    this.timeout(60000);
    let run: StackRun;
    let dir: string;
    before(async () => {
        run = await runStack("prod", { exampleUserValues: true });
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-k8s-observability-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("is on in Pulumi.prod.yaml: the metrics and log stacks run, the UIs behind the proxy", () => {
        assert.equal(run.config.observability.metrics, true);
        assert.equal(run.config.observability.logs, true);
        for (const name of ["prometheus", "alertmanager", "grafana", "pushgateway", "elasticsearch", "logstash", "kibana", "blackbox-exporter"]) {
            assert.equal(workload(run, name).inputs.metadata.namespace, MAIN, name);
        }
        assert.equal(run.outputs.observability.grafanaUrl, "https://llm.example.com/grafana/");
        assert.equal(run.outputs.observability.kibanaUrl, "https://llm.example.com/kibana/");
        const nginx = run.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.inputs.metadata.name === "proxy-files")!.inputs.data["etc-nginx-nginx.conf"];
        // NGINX ignores search domains: the UIs by their full cluster names.
        assert.match(nginx, /grafana\.llm-platform\.svc\.cluster\.local:3000/);
        assert.match(nginx, /kibana\.llm-platform\.svc\.cluster\.local:5601/);
    });

    it("runs node-exporter, cAdvisor and Fluent Bit as DaemonSets in the node-agent namespace, host paths read-only", () => {
        assert.deepEqual(run.ofType(DAEMON_SET).map((d) => d.name).sort(), NODE_AGENTS);
        for (const ds of run.ofType(DAEMON_SET)) {
            assert.equal(ds.inputs.metadata.namespace, AGENTS, ds.name);
            const spec = podSpec(ds);
            const hostVolumes = spec.volumes.filter((v: any) => v.hostPath);
            assert.ok(hostVolumes.length > 0, ds.name);
            for (const v of hostVolumes) {
                const mount = spec.containers[0].volumeMounts.find((m: any) => m.name === v.name);
                // The one writable host path: the agent's own state under the platform's directory.
                if (v.hostPath.path.startsWith("/var/lib/llm-platform/")) {
                    assert.equal(v.hostPath.type, "DirectoryOrCreate");
                    assert.equal(mount.readOnly, undefined);
                } else {
                    assert.equal(mount.readOnly, true, `${ds.name} ${v.hostPath.path}`);
                }
            }
            assert.equal(spec.hostNetwork, undefined, `${ds.name} keeps the pod network`);
            assert.ok(spec.containers[0].resources.limits.memory, ds.name);
        }
        const fluentBit = podSpec(workload(run, "fluent-bit"));
        assert.deepEqual(
            fluentBit.volumes.filter((v: any) => v.hostPath).map((v: any) => v.hostPath.path),
            ["/var/log/containers", "/var/log/pods", `/var/lib/llm-platform/${AGENTS}/fluent-bit/state`],
        );
        // containerd nodes (EKS): no Docker socket or directory anywhere.
        for (const ds of run.ofType(DAEMON_SET)) {
            for (const v of podSpec(ds).volumes.filter((x: any) => x.hostPath)) assert.doesNotMatch(v.hostPath.path, /docker/, ds.name);
        }
        assert.equal(fluentBit.containers[0].securityContext.runAsUser, 0, "root, as its spec says, whatever the image's user");
        const cadvisor = podSpec(workload(run, "cadvisor")).containers[0].args as string[];
        assert.ok(cadvisor.includes("--docker_only=false"));
        assert.ok(cadvisor.includes("--containerd=/run/containerd/containerd.sock"));
        const nodeExporter = podSpec(workload(run, "node-exporter"));
        assert.equal(nodeExporter.securityContext.runAsUser, 65534);
        assert.ok(!nodeExporter.containers[0].args.some((a: string) => a.startsWith("--collector.textfile")), "backups report through the Pushgateway here");
    });

    it("gives each node agent a headless Service, so its name resolves to every node's pod", () => {
        for (const name of NODE_AGENTS) {
            const s = run.named(SERVICE, `${name}-service`).inputs;
            assert.equal(s.metadata.namespace, AGENTS, name);
            assert.equal(s.spec.clusterIP, "None", name);
        }
        for (const name of ["prometheus", "logstash", "pushgateway"]) assert.equal(run.named(SERVICE, `${name}-service`).inputs.spec.clusterIP, undefined, name);
    });

    it("writes a prometheus.yml that promtool accepts, scraping every node agent's pods by DNS and the Pushgateway with its jobs' labels", function () {
        const files = mountedFiles(run, "prometheus");
        const conf = parse(files["/etc/prometheus/prometheus.yml"]);
        const jobs = Object.fromEntries(conf.scrape_configs.map((j: any) => [j.job_name, j]));
        for (const name of NODE_AGENTS) {
            assert.equal(jobs[name].static_configs, undefined, name);
            assert.deepEqual(jobs[name].dns_sd_configs[0].names, [`${name}.${AGENTS}.svc.cluster.local`], name);
            assert.equal(jobs[name].dns_sd_configs[0].type, "A");
        }
        assert.equal(jobs.pushgateway.honor_labels, true);
        assert.deepEqual(jobs.pushgateway.static_configs[0].targets, ["pushgateway.llm-platform.svc.cluster.local:9091"]);
        assert.deepEqual(conf.alerting.alertmanagers[0].static_configs[0].targets, ["alertmanager.llm-platform.svc.cluster.local:9093"]);

        const promtool = requireTool(this, "promtool", "prometheus");
        for (const [file, content] of Object.entries(files)) {
            const target = path.join(dir, file.replace(/^\/etc\/prometheus\//, ""));
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, content.split("/etc/prometheus/").join(`${dir}/`));
        }
        const r = spawnSync(promtool, ["check", "config", path.join(dir, "prometheus.yml")], { cwd: dir, encoding: "utf8" });
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
        assert.match(r.stdout, /SUCCESS: \d+ rules found/);
    });

    it("names kubectl, not docker, in the alerts' runbook hints", () => {
        const rules = parse(mountedFiles(run, "prometheus")["/etc/prometheus/rules/llm-platform.rules.yml"]);
        const hints = rules.groups.flatMap((g: any) => g.rules.map((r: any) => r.annotations.runbook)).join("\n");
        assert.doesNotMatch(hints, /docker/);
        const memory = rules.groups.flatMap((g: any) => g.rules).find((r: any) => r.alert === "ContainerMemoryCritical");
        assert.match(memory.annotations.summary, /\$labels\.container_label_io_kubernetes_pod_name/);
        assert.match(hints, /kubectl logs -n <namespace> -l app\.kubernetes\.io\/name=\{\{ \$labels\.job \}\}/);
    });

    it("BackupTooOld fires on what backup jobs push to the Pushgateway, and container memory on containerd's series (promtool test rules)", function () {
        const promtool = requireTool(this, "promtool", "prometheus");
        const rules = parse(mountedFiles(run, "prometheus")["/etc/prometheus/rules/llm-platform.rules.yml"]);
        for (const g of rules.groups) for (const r of g.rules) delete r.annotations;
        fs.writeFileSync(path.join(dir, "k8s.rules.yml"), stringify(rules));
        // What Prometheus stores from the Pushgateway with honor_labels: the push's grouping key as labels.
        const pushed = `${PUSHGATEWAY.metric}{job="${PUSHGATEWAY.backupJob}",kind="full",store="sqlserver"}`;
        const test = (ageHours: number, fires: boolean) => ({
            interval: "1m",
            input_series: [{ series: pushed, values: `${-ageHours * 3600}x90` }],
            alert_rule_test: [
                {
                    eval_time: "80m",
                    alertname: "BackupTooOld",
                    exp_alerts: fires ? [{ exp_labels: { severity: "critical", job: PUSHGATEWAY.backupJob, kind: "full", store: "sqlserver" } }] : [],
                },
            ],
        });
        // cAdvisor on containerd: `name` is the container id, the pod's name comes from the whitelisted label.
        const pod = 'container_label_io_kubernetes_pod_name="redis-0",id="/kubepods/burstable/pod1/abc",name="abc"';
        const memory = (usedBytes: number, fires: boolean) => ({
            interval: "1m",
            input_series: [
                { series: `container_memory_working_set_bytes{${pod}}`, values: `${usedBytes}x30` },
                { series: `container_spec_memory_limit_bytes{${pod}}`, values: "100x30" },
            ],
            alert_rule_test: [
                {
                    eval_time: "15m",
                    alertname: "ContainerMemoryCritical",
                    exp_alerts: fires ? [{ exp_labels: { severity: "critical", container_label_io_kubernetes_pod_name: "redis-0", id: "/kubepods/burstable/pod1/abc", name: "abc" } }] : [],
                },
            ],
        });
        const tests = [test(28, true), test(1, false), memory(95, true), memory(50, false)];
        fs.writeFileSync(path.join(dir, "backup.test.yml"), stringify({ rule_files: ["k8s.rules.yml"], evaluation_interval: "1m", tests }));
        const r = spawnSync(promtool, ["test", "rules", "backup.test.yml"], { cwd: dir, encoding: "utf8" });
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    });

    it("runs the Pushgateway for the backup jobs: pinned, limited, probed, its data kept, and open to pods labelled as its clients", () => {
        const pg = workload(run, "pushgateway");
        assert.equal(pg.type, STATEFUL_SET);
        const c = podSpec(pg).containers[0];
        assert.match(c.image, /^prom\/pushgateway:v\d+\.\d+\.\d+$/);
        assert.deepEqual(c.ports, [{ name: "http", containerPort: 9091, protocol: "TCP" }]);
        assert.ok(c.resources.limits.memory && c.resources.limits.cpu && c.resources.requests.memory);
        assert.deepEqual(c.readinessProbe.httpGet, { path: "/-/healthy", port: 9091 });
        assert.ok(c.args.includes("--persistence.file=/pushgateway/metrics"));
        assert.equal(pg.inputs.spec.volumeClaimTemplates[0].metadata.name, "data");
        assert.equal(podSpec(pg).securityContext.runAsUser, 65534);
        const ingress = flowsOf(run, "pushgateway").spec.ingress;
        assert.deepEqual(ingress[0].ports, [{ protocol: "TCP", port: 9091 }]);
        assert.deepEqual(ingress[0].from.map((f: any) => f.podSelector.matchLabels), [{ [talksToLabel("pushgateway")]: "true" }, { [talksToLabel("pushgateway")]: "true" }]);
    });

    it("allows exactly the cross-namespace flows monitoring needs", () => {
        const prometheus = flowsOf(run, "prometheus").egress;
        for (const name of NODE_AGENTS) assert.ok(prometheus.includes(`${AGENTS}/${name}`), `prometheus -> ${name}`);
        for (const name of ["pushgateway", "alertmanager", "blackbox-exporter", "grafana", "sqlserver-exporter", "elasticsearch-exporter"]) {
            assert.ok(prometheus.includes(`${MAIN}/${name}`), `prometheus -> ${name}`);
        }
        assert.deepEqual(flowsOf(run, "fluent-bit").egress, [`${MAIN}/logstash`]);
        assert.deepEqual(flowsOf(run, "node-exporter").egress, []);
        assert.deepEqual(flowsOf(run, "cadvisor").egress, []);
        assert.deepEqual(flowsOf(run, "proxy").egress, [`${MAIN}/ollama`, `${MAIN}/grafana`, `${MAIN}/prometheus`, `${MAIN}/alertmanager`, `${MAIN}/kibana`]);
        assert.deepEqual(flowsOf(run, "sqlserver-exporter").egress, [`${MAIN}/sqlserver`]);
        assert.deepEqual(flowsOf(run, "elasticsearch-exporter").egress, [`${MAIN}/elasticsearch`]);
        // Valkey is ElastiCache on prod: its exporter watches it (rediss://), nothing probes it in the cluster.
        assert.deepEqual(flowsOf(run, "blackbox-exporter").egress.sort(), ["ollama", "proxy", "qdrant", "sqlserver", "timescale", "logstash", "kibana"].map((s) => `${MAIN}/${s}`).sort());
        // A node agent admits its declared callers from the main namespace (Prometheus carries the label).
        const nodeExporterIngress = flowsOf(run, "node-exporter").spec.ingress;
        assert.deepEqual(nodeExporterIngress[0].from.map((f: any) => f.namespaceSelector.matchLabels["kubernetes.io/metadata.name"]), [MAIN, AGENTS]);
        assert.equal(workload(run, "prometheus").inputs.spec.template.metadata.labels[talksToLabel("node-exporter")], "true");
        assert.equal(workload(run, "fluent-bit").inputs.spec.template.metadata.labels[talksToLabel("logstash")], "true");
        // Nobody else carries a node agent's label.
        const carriers = [...run.ofType(STATEFUL_SET), ...run.ofType(DEPLOYMENT), ...run.ofType(DAEMON_SET)]
            .filter((w) => NODE_AGENTS.some((a) => w.inputs.spec.template.metadata.labels[talksToLabel(a)]))
            .map((w) => w.name);
        assert.deepEqual(carriers, ["prometheus"]);
    });

    it("ships the node's CRI logs of the stack's two namespaces to Logstash by its full name", () => {
        const conf = mountedFiles(run, "fluent-bit")["/fluent-bit/etc/llm-fluent-bit.conf"];
        const sections = conf.split(/^\[/m).slice(1).map((block) => {
            const [head, ...lines] = block.trim().split("\n");
            const entries = lines.map((l) => l.trim()).filter((l) => l && !l.startsWith("#")).map((l) => [l.split(/\s+/)[0], l.slice(l.split(/\s+/)[0].length).trim()]);
            return { kind: head.replace("]", ""), get: (k: string) => entries.filter(([key]) => key === k).map(([, v]) => v) };
        });
        const input = sections.find((s) => s.kind === "INPUT")!;
        assert.deepEqual(input.get("Path"), [`/var/log/containers/*_${MAIN}_*.log,/var/log/containers/*_${AGENTS}_*.log`]);
        assert.deepEqual(input.get("multiline.parser"), ["cri"]);
        assert.deepEqual(input.get("Tag"), ["kube.*"]);
        assert.deepEqual(input.get("DB"), ["/fluent-bit/state/tail.db"]);
        assert.deepEqual(input.get("Parser"), [], "no Docker JSON parser on CRI lines");
        const tcp = sections.find((s) => s.kind === "OUTPUT" && s.get("Name")[0] === "tcp")!;
        assert.deepEqual(tcp.get("Host"), [`logstash.${MAIN}.svc.cluster.local`]);
        assert.deepEqual(tcp.get("Match_Regex"), ["^(kube|proxy)\\..*"]);
        // Every filter and output matches a tag some stage produces.
        const produced = ["kube.x", "proxy.access", "llm.metrics"];
        for (const s of sections.filter((x) => x.kind === "FILTER" || x.kind === "OUTPUT")) {
            const match = s.get("Match")[0];
            const regex = match ? new RegExp(`^${match.replace(/\./g, "\\.").replace(/\*/g, ".*")}$`) : new RegExp(s.get("Match_Regex")[0]);
            assert.ok(produced.some((t) => regex.test(t)), `${s.kind} ${s.get("Name")[0]} matches nothing`);
        }
        assert.match(conf, /Rule\s+\$service \^proxy\$ proxy\.access false/);
    });

    it("labels each line with its service and pod from the log file's name, and drops other namespaces' (real LuaJIT)", function () {
        const luajit = requireTool(this, "luajit", "luajit");
        const script = mountedFiles(run, "fluent-bit")["/fluent-bit/etc/llm-labels.lua"];
        assert.equal(script, renderKubernetesLabelsLua("llm-platform-prod", [MAIN, AGENTS]));
        const id = "0123456789abcdef".repeat(4);
        const tag = (file: string) => `kube.var.log.containers.${file}`;
        const driver = `${script}
local function show(t)
  local code, ts, rec = add_service(t, 0, { log = "hello", stream = "stdout", _p = "F" })
  print(code, rec.service, rec.container, rec.namespace, rec.stack, rec.role, tostring(rec._p))
end
show("${tag(`proxy-7d9f8c6b5-x2k4q_${MAIN}_proxy-${id}.log`)}")
show("${tag(`fluent-bit-abcde_${AGENTS}_fluent-bit-${id}.log`)}")
show("${tag(`timescale-schema-q8w7e_${MAIN}_schema-${id}.log`)}")
show("${tag(`coredns-5d78c9869d-abcde_kube-system_coredns-${id}.log`)}")
show("${tag(`sqlserver-exporter-6f5b7c9d8-k2j4h_${MAIN}_sqlserver-exporter-${id}.log`)}")
show("${tag(`timescale-0_${MAIN}_timescale-${id}.log`)}")
show("docker.var.lib.docker.containers.abc.abc-json.log")`;
        fs.writeFileSync(path.join(dir, "driver.lua"), driver);
        const r = spawnSync(luajit, [path.join(dir, "driver.lua")], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        const lines = r.stdout.trim().split("\n").map((l) => l.split("\t"));
        assert.deepEqual(lines[0], ["1", "proxy", "proxy-7d9f8c6b5-x2k4q", MAIN, "llm-platform-prod", "service", "nil"]);
        assert.deepEqual(lines[1], ["1", "fluent-bit", "fluent-bit-abcde", AGENTS, "llm-platform-prod", "node-agent", "nil"]);
        assert.deepEqual(lines[2], ["1", "timescale", "timescale-schema-q8w7e", MAIN, "llm-platform-prod", "init", "nil"], "a one-shot step's line belongs to its service");
        assert.equal(lines[3][0], "-1", "another namespace's line is dropped");
        assert.deepEqual(lines[4].slice(0, 2), ["1", "sqlserver-exporter"]);
        assert.deepEqual(lines[5].slice(0, 3).concat(lines[5][5]), ["1", "timescale", "timescale-0", "service"]);
        assert.equal(lines[6][0], "-1", "a tag that is not a CRI log file is dropped");
    });

    it("certifies Elasticsearch under its cluster name and keeps it off mmap (no node sysctl from a baseline namespace)", () => {
        const csr = run.named("tls:index/certRequest:CertRequest", "elasticsearch-tls-csr");
        assert.ok(csr.inputs.dnsNames.includes(`elasticsearch.${MAIN}.svc.cluster.local`));
        assert.ok(csr.inputs.dnsNames.includes("elasticsearch"));
        const es = podSpec(workload(run, "elasticsearch"));
        assert.equal(es.containers[0].env.find((e: any) => e.name === "node.store.allow_mmap").value, "false");
        assert.equal(es.securityContext.runAsUser, 1000);
        assert.equal(es.initContainers, undefined, "no privileged sysctl init container");
        for (const name of ["prometheus", "alertmanager", "grafana", "logstash", "kibana", "blackbox-exporter", "pushgateway"]) {
            assert.equal(podSpec(workload(run, name)).securityContext.runAsNonRoot, true, name);
        }
    });

    it("passes the policy pack with observability on and off; off, it leaves no node agent, Pushgateway or UI route", async () => {
        const off = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:observability": { metrics: false, logs: false } } });
        assert.equal(off.ofType(DAEMON_SET).length, 0);
        assert.deepEqual(off.ofType("kubernetes:core/v1:Namespace").map((n) => n.inputs.metadata.name), [MAIN]);
        assert.ok(!off.ofType(STATEFUL_SET).some((s) => ["pushgateway", "prometheus", "elasticsearch"].includes(s.name)));
        const nginx = off.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.inputs.metadata.name === "proxy-files")!.inputs.data["etc-nginx-nginx.conf"];
        assert.doesNotMatch(nginx, /grafana|kibana/);
        for (const r of [run, off]) {
            const mandatory = (await runPolicyPack(policyResources(r))).filter((v) => v.enforcementLevel === "mandatory");
            assert.deepEqual(mandatory, []);
        }
        // What it costs (docs/observability.md states it; npm run bench prints it): pods (the CloudWatch exporter among them: prod has the aws object) and limits in the cluster, and on every node.
        const [on, without] = [kubernetesTotals(run), kubernetesTotals(off)];
        const cores = (n: number) => Math.round(n * 100) / 100;
        const stated =
            `${on.cluster.pods - without.cluster.pods} more pods, ${cores(on.cluster.cpu - without.cluster.cpu)} cores and ${on.cluster.memoryMb - without.cluster.memoryMb} MB of limits in the cluster ` +
            `(${on.cluster.memoryRequestMb - without.cluster.memoryRequestMb} MB requested), plus ${on.perNode.pods} pods per node (node-exporter, cAdvisor, Fluent Bit) ` +
            `with ${cores(on.perNode.cpu)} cores and ${on.perNode.memoryMb} MB of limits (${on.perNode.memoryRequestMb} MB requested) on every node`;
        const doc = fs.readFileSync(path.join(PROJECT_DIR, "docs", "observability.md"), "utf8").replace(/\s+/g, " ");
        assert.ok(doc.includes(stated), `docs/observability.md should say: ${stated}`);
        assert.equal(without.perNode.pods, 0);
    });
});
