/**
 * What the prod stack's Kubernetes objects must say so that the operations after the first
 * `pulumi up` work (issue #16, items 1-9). Each behaviour of the provider or of Kubernetes
 * relied on here is cited where the code does it; tests/lifecycle-kubernetes.test.ts walks
 * the same stack through create, change, destroy and create again.
 */
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkClaimSizes, LiveClaim, quantityGi, readLiveClaims } from "../components/platform/kubernetes/claims";
import { withExampleUserValues } from "../harness/example-user-values";
import { RegisteredResource, runProgram, runStack, stackConfigValues, StackRun, withOverrides } from "../harness/run-stack";
import { DAEMON_SET, DEPLOYMENT, JOB, NETWORK_POLICY, podSpec, STATEFUL_SET } from "./helpers/kubernetes-types";
import { restrictedViolations } from "./helpers/pod-security";

const CRON_JOB = "kubernetes:batch/v1:CronJob";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const PVC = "kubernetes:core/v1:PersistentVolumeClaim";

/** Every pod template of the stack, with the namespace it runs in. */
function podTemplates(run: StackRun): { name: string; namespace: string; pod: any }[] {
    const of = (r: RegisteredResource, pod: any) => ({ name: `${r.type.split(":").pop()} ${r.name}`, namespace: r.inputs.metadata.namespace, pod });
    return [
        ...[STATEFUL_SET, DEPLOYMENT, DAEMON_SET, JOB].flatMap((t) => run.ofType(t).map((r) => of(r, podSpec(r)))),
        ...run.ofType(CRON_JOB).map((r) => of(r, r.inputs.spec.jobTemplate.spec.template.spec)),
    ];
}

/** Valkey as a StatefulSet: prod's file chooses ElastiCache (redis.engine), a cluster without AWS runs it in the cluster. */
const IN_CLUSTER_VALKEY = { "llm-platform:redis": { engine: "statefulset" } };

describe("prod stack, day two on Kubernetes", function () {
    this.timeout(60000);
    let run: StackRun;
    before(async () => {
        // Valkey as a StatefulSet (a cluster without ElastiCache): its claim, rollout and backup pods are held here too.
        run = await runStack("prod", { exampleUserValues: true, overrides: IN_CLUSTER_VALKEY });
    });

    describe("Pod Security restricted in the platform's namespace (item 9)", () => {
        it("enforces restricted, and every pod of that namespace passes it", () => {
            const ns = run.ofType(NAMESPACE).find((n) => n.inputs.metadata.name === "llm-platform")!;
            assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
            const pods = podTemplates(run).filter((p) => p.namespace === "llm-platform");
            assert.ok(pods.length > 30, `${pods.length} pod templates`);
            const violations = pods.flatMap((p) => restrictedViolations(p.pod).map((v) => `${p.name}: ${v}`));
            assert.deepEqual(violations, []);
        });

        it("the check rejects what restricted rejects: a root container, a missing drop, a hostPath", () => {
            const ollama = structuredClone(podSpec(run.named(STATEFUL_SET, "ollama")));
            delete ollama.securityContext.runAsNonRoot;
            delete ollama.containers[0].securityContext.runAsNonRoot;
            ollama.securityContext.runAsUser = 0;
            ollama.containers[0].securityContext.capabilities = { drop: [] };
            ollama.volumes.push({ name: "host", hostPath: { path: "/" } });
            assert.deepEqual(restrictedViolations(ollama).sort(), [
                "HostPath Volumes: volume host is a hostPath",
                "Running as Non-root user: pod runAsUser is 0",
                "Volume Types: volume host is a hostPath",
                "container ollama: Capabilities: ALL is not dropped",
                "container ollama: Running as Non-root: runAsNonRoot is set neither on the pod nor on the container",
            ]);
            // The node agents' namespace is privileged on purpose (host paths, root readers).
            assert.ok(podTemplates(run).some((p) => p.namespace === "llm-platform-node-agents" && restrictedViolations(p.pod).length > 0));
        });

        it("runs Ollama and its pull steps unprivileged, its HOME and models on the volume where the models pulled as root are", () => {
            const ollama = run.named(STATEFUL_SET, "ollama");
            const pod = podSpec(ollama);
            assert.equal(pod.securityContext.runAsNonRoot, true);
            assert.equal(pod.securityContext.runAsUser, 1000);
            // The volume the image's root filled is handed to the group once (kubelet: OnRootMismatch).
            assert.equal(pod.securityContext.fsGroup, 1000);
            assert.equal(pod.securityContext.fsGroupChangePolicy, "OnRootMismatch");
            const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
            assert.equal(env.HOME, "/var/lib/ollama");
            // The volume held /root/.ollama: models/ (blobs, manifests) and the key pair. Mounted at
            // /var/lib/ollama, OLLAMA_MODELS names the same models/ directory.
            assert.equal(env.OLLAMA_MODELS, "/var/lib/ollama/models");
            assert.deepEqual(pod.containers[0].volumeMounts.find((m: any) => m.name === "models"), { name: "models", mountPath: "/var/lib/ollama" });
            for (const step of ["ollama-pull-chat-model", "ollama-pull-embedding-model"]) {
                assert.equal(podSpec(run.named(JOB, step)).securityContext.runAsUser, 1000, step);
            }
        });
    });

    describe("`pulumi up` after `pulumi destroy` adopts what the destroy kept (item 1)", () => {
        it("creates with server-side apply over existing objects, forcing the fields it sets on the kept ones", () => {
            const [provider] = run.ofType("pulumi:providers:kubernetes");
            // await.go Creation: ServerSideApply (on by default) && UpsertExistingObjects -> a patch, not a Create that fails with AlreadyExists.
            assert.equal(provider.inputs.upsertExistingObjects, "true", "provider config reaches the engine as text");
            assert.equal(provider.inputs.enableServerSideApply, undefined, "server-side apply stays at its default, on");
            const kept = run.resources.filter((r) => r.options.retainOnDelete && r.type.startsWith("kubernetes:"));
            assert.deepEqual([...new Set(kept.map((r) => r.type))].sort(), [
                // The Barman Cloud plugin's ObjectStore is kept with its Cluster: it names the archive the Cluster's WAL goes to.
                "kubernetes:barmancloud.cnpg.io/v1:ObjectStore", "kubernetes:core/v1:Namespace", "kubernetes:core/v1:PersistentVolumeClaim", "kubernetes:postgresql.cnpg.io/v1:Cluster",
            ]);
            for (const r of kept) assert.equal(r.inputs.metadata.annotations["pulumi.com/patchForce"], "true", r.name);
        });
    });

    describe("<service>.storageGb sizes the live claims (item 7)", () => {
        const claims = (r: StackRun): Record<string, RegisteredResource> => Object.fromEntries(r.ofType(PVC).map((c) => [c.inputs.metadata.name, c]));

        it("declares each StatefulSet's claims with the configured size, kept by destroy and adopted by the next up", () => {
            const c = claims(run);
            assert.deepEqual(Object.keys(c).sort(), [
                "data-alertmanager-0", "data-elasticsearch-0", "data-grafana-0", "data-prometheus-0", "data-pushgateway-0", "data-redis-0",
                "data-sqlserver-0", "models-ollama-0",
                // Qdrant's three peers, each with its own.
                "snapshots-qdrant-0", "snapshots-qdrant-1", "snapshots-qdrant-2", "sqlserver-backups", "storage-qdrant-0", "storage-qdrant-1", "storage-qdrant-2",
            ]);
            const size = (name: string) => c[name].inputs.spec.resources.requests.storage;
            assert.deepEqual(
                ["data-sqlserver-0", "sqlserver-backups", "models-ollama-0", "storage-qdrant-0", "snapshots-qdrant-0", "data-prometheus-0"].map(size),
                ["200Gi", "200Gi", "200Gi", "100Gi", "100Gi", "15Gi"],
            );
            const sizedBy = (name: string) => c[name].inputs.metadata.annotations["llm-platform/sized-by"];
            assert.equal(sizedBy("data-sqlserver-0"), "sqlserver.storageGb");
            assert.equal(sizedBy("sqlserver-backups"), "sqlserver.storageGb");
            assert.equal(sizedBy("data-prometheus-0"), "observability.metricsRetentionGb+5");
            assert.equal(sizedBy("data-grafana-0"), undefined, "a fixed size");
            for (const claim of Object.values(c)) {
                assert.equal(claim.options.retainOnDelete, true, claim.name);
                assert.equal(claim.inputs.metadata.annotations["pulumi.com/patchForce"], "true", claim.name);
                assert.equal(claim.inputs.spec.storageClassName, "llm-platform-gp3", claim.name);
                assert.deepEqual(claim.options.dependsOn, ["kubernetes:storage.k8s.io/v1:StorageClass::kubernetes-storage-class"], claim.name);
            }
            // The pod's claim exists, with its size, before the StatefulSet: the controller creates only missing ones.
            const sql = run.named(STATEFUL_SET, "sqlserver");
            assert.ok(sql.options.dependsOn.includes("kubernetes:core/v1:PersistentVolumeClaim::data-sqlserver-0"));
            assert.deepEqual(sql.options.ignoreChanges, ["spec.volumeClaimTemplates"]);
            assert.deepEqual(sql.inputs.spec.volumeClaimTemplates.map((t: any) => t.metadata.name), ["data"]);
        });

        it("grows the claims, not the StatefulSet's templates, when storageGb goes up", async () => {
            const raised = await runStack("prod", { exampleUserValues: true, overrides: { ...IN_CLUSTER_VALKEY, "llm-platform:sqlserver": { storageGb: 300 }, "llm-platform:observability": { metricsRetentionGb: 40 } } });
            assert.equal(claims(raised)["data-sqlserver-0"].inputs.spec.resources.requests.storage, "300Gi");
            assert.equal(claims(raised)["sqlserver-backups"].inputs.spec.resources.requests.storage, "300Gi");
            assert.equal(claims(raised)["data-prometheus-0"].inputs.spec.resources.requests.storage, "45Gi");
            // TimescaleDB's instances' claims are the operator's: the Cluster's storage.size grows them (tests/cloudnative-pg.test.ts).
            assert.equal(raised.named("kubernetes:postgresql.cnpg.io/v1:Cluster", "timescale").inputs.spec.storage.size, "500Gi");
        });

        it("refuses a size below a live claim's before any resource exists, naming the key and the smallest value allowed", async () => {
            const live: LiveClaim[] = [
                { name: "data-sqlserver-0", sizeGi: 200, sizedBy: "sqlserver.storageGb" },
                { name: "sqlserver-backups", sizeGi: 200, sizedBy: "sqlserver.storageGb" },
                { name: "data-prometheus-0", sizeGi: 60, sizedBy: "observability.metricsRetentionGb+5" },
                { name: "data-grafana-0", sizeGi: 2 },
            ];
            // As large as the live claims: nothing to refuse.
            await runStack("prod", { exampleUserValues: true, overrides: IN_CLUSTER_VALKEY, liveClaims: live.map((c) => (c.name === "data-prometheus-0" ? { ...c, sizeGi: 15 } : c)) });
            const registered: RegisteredResource[] = [];
            const values = withOverrides(withExampleUserValues(stackConfigValues("prod")).values, { "llm-platform:sqlserver": { storageGb: 150 } });
            const error = await runProgram("prod", values, 0, registered, undefined, live).then(
                () => assert.fail("a lower storageGb must stop the program"),
                (e: Error) => e,
            );
            assert.equal(error.name, "ConfigError");
            assert.match(error.message, /invalid configuration \(3 problems\); nothing was created/);
            assert.match(
                error.message,
                /llm-platform:sqlserver\.storageGb = 150: must be at least 200: the claim llm-platform\/data-sqlserver-0 already holds 200Gi and a volume cannot shrink/,
            );
            assert.match(error.message, /llm-platform:sqlserver\.storageGb = 150: must be at least 200: the claim llm-platform\/sqlserver-backups/);
            assert.match(error.message, /llm-platform:observability\.metricsRetentionGb = 10: must be at least 55: the claim llm-platform\/data-prometheus-0 already holds 60Gi \(its size is observability\.metricsRetentionGb\+5\)/);
            assert.deepEqual(registered, [], "refused before the first resource");
        });

        it("reads the claims with kubectl through the cluster the provider uses, and goes on with a warning when it cannot", () => {
            const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-kubectl-"));
            const calls = path.join(bin, "calls");
            const list = {
                items: [
                    { metadata: { name: "data-sqlserver-0", annotations: { "llm-platform/sized-by": "sqlserver.storageGb" } }, spec: { resources: { requests: { storage: "200Gi" } } }, status: { capacity: { storage: "200Gi" } } },
                    // Grown by hand past its request; a fixed-size claim without the annotation.
                    { metadata: { name: "models-ollama-0", annotations: { "llm-platform/sized-by": "ollama.storageGb" } }, spec: { resources: { requests: { storage: "100Gi" } } }, status: { capacity: { storage: "0.25Ti" } } },
                    { metadata: { name: "data-grafana-0" }, spec: { resources: { requests: { storage: "2Gi" } } } },
                ],
            };
            fs.writeFileSync(path.join(bin, "kubectl"), `#!/bin/sh\necho "kubectl $*" >> ${calls}\ncat <<'EOF'\n${JSON.stringify(list)}\nEOF\n`, { mode: 0o755 });
            fs.writeFileSync(path.join(bin, "aws"), `#!/bin/sh\necho "aws $*" >> ${calls}\n`, { mode: 0o755 });
            const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
            try {
                const eks = readLiveClaims(run.config.kubernetes, env);
                assert.deepEqual(eks, [
                    { name: "data-sqlserver-0", sizeGi: 200, sizedBy: "sqlserver.storageGb" },
                    { name: "models-ollama-0", sizeGi: 256, sizedBy: "ollama.storageGb" },
                    { name: "data-grafana-0", sizeGi: 2 },
                ]);
                const [awsCall, kubectlCall] = fs.readFileSync(calls, "utf8").trim().split("\n");
                assert.match(awsCall, /^aws eks update-kubeconfig --name example-cluster --region eu-west-1 --kubeconfig \S+\/config$/);
                assert.match(kubectlCall, /^kubectl --kubeconfig \S+\/config get persistentvolumeclaims --namespace llm-platform --output json/);
                fs.rmSync(calls);
                readLiveClaims({ ...run.config.kubernetes, eksClusterName: undefined, context: "prod-admin", kubeconfig: "/home/ops/.kube/prod" }, env);
                assert.match(fs.readFileSync(calls, "utf8"), /^kubectl --kubeconfig \/home\/ops\/\.kube\/prod --context prod-admin get persistentvolumeclaims --namespace llm-platform/);

                const warnings: string[] = [];
                checkClaimSizes(run.config, () => { throw new Error("`kubectl ...` failed: spawnSync kubectl ENOENT"); }, (m) => warnings.push(m));
                assert.match(warnings[0], /could not read the claims of namespace llm-platform \(`kubectl \.\.\.` failed: spawnSync kubectl ENOENT\)/);
            } finally {
                fs.rmSync(bin, { recursive: true, force: true });
            }
            assert.deepEqual(["200Gi", "1Ti", "500G", "1073741824", "1536Mi"].map(quantityGi), [200, 1024, 466, 1, 2]);
        });

        it("says when a store moved off its StatefulSet while the old data claim is still there: the new engine starts empty", async () => {
            // Prod as shipped: TimescaleDB on CloudNativePG, Valkey on ElastiCache; a cluster an earlier release ran on.
            const shipped = (await runStack("prod", { exampleUserValues: true })).config;
            const old: LiveClaim[] = [
                { name: "data-timescale-0", sizeGi: 100, sizedBy: "timescale.storageGb" },
                { name: "data-redis-0", sizeGi: 20, sizedBy: "redis.storageGb" },
                { name: "data-sqlserver-0", sizeGi: 200, sizedBy: "sqlserver.storageGb" },
            ];
            const warnings: string[] = [];
            checkClaimSizes(shipped, () => old, (m) => warnings.push(m));
            assert.equal(warnings.length, 2, warnings.join("\n"));
            assert.match(warnings[0], /llm-platform:timescale\.engine = "cloudnativepg", but the claim llm-platform\/data-timescale-0 .* starts empty.*Moving an existing single-pod store into the cluster/);
            assert.match(warnings[1], /llm-platform:redis\.engine = "elasticache", but the claim llm-platform\/data-redis-0/);
            // The engine kept (the run above), or the old claim deleted after the move: nothing to say.
            const kept: string[] = [];
            checkClaimSizes(run.config, () => old.filter((c) => c.name !== "data-timescale-0"), (m) => kept.push(m));
            assert.deepEqual(kept, []);
        });
    });

    describe("backups reach S3 and STS through the VPC's interface endpoints (item 8)", () => {
        it("lets the backup and restore pods reach HTTPS in the VPC's CIDRs, read from the VPC, and nothing else private", () => {
            const policy = (name: string) => run.ofType(NETWORK_POLICY).find((p) => p.inputs.metadata.name === name)!.inputs.spec;
            // Private DNS resolves s3.eu-west-1.amazonaws.com and sts.eu-west-1.amazonaws.com to the endpoints' ENIs in the VPC.
            const s3Endpoint = "10.0.40.12";
            for (const name of ["sqlserver-backup-pods", "sqlserver-restore-pods", "redis-backup-pods", "qdrant-restore-pods"]) {
                assert.ok(egressAllows(policy(name), s3Endpoint, 443), `${name} reaches the interface endpoint`);
                assert.ok(egressAllows(policy(name), "100.64.3.4", 443), `${name}: the VPC's secondary CIDR too`);
                assert.ok(egressAllows(policy(name), "52.218.1.1", 443), `${name}: S3's public addresses (no endpoint, or a gateway endpoint)`);
                assert.ok(!egressAllows(policy(name), s3Endpoint, 5432), `${name}: only HTTPS`);
                assert.ok(!egressAllows(policy(name), "192.168.1.1", 443), `${name}: no other private range`);
                assert.ok(!egressAllows(policy(name), "169.254.169.254", 80), `${name}: no instance metadata`);
            }
            // Ollama's internet egress (model pulls) gets no VPC range.
            assert.ok(!egressAllows(policy("ollama"), s3Endpoint, 443));
            assert.ok(egressAllows(policy("ollama"), "104.18.1.1", 443));
        });
    });

    describe("one-shot steps' Jobs stay as long as the stack (item 2)", () => {
        it("gives the Jobs Pulumi manages no TTL; the Jobs the backup CronJobs create keep kubernetes.jobTtlHours", () => {
            assert.ok(run.ofType(JOB).length >= 9);
            for (const job of run.ofType(JOB)) assert.equal(job.inputs.spec.ttlSecondsAfterFinished, undefined, job.name);
            for (const cron of run.ofType(CRON_JOB)) assert.equal(cron.inputs.spec.jobTemplate.spec.ttlSecondsAfterFinished, 168 * 3600, cron.name);
        });
    });

    describe("rollouts wait as long as each service needs, and say what to look at (item 3)", () => {
        const workloads = (r: StackRun) => [...r.ofType(STATEFUL_SET), ...r.ofType(DEPLOYMENT), ...r.ofType(DAEMON_SET)];

        it("sizes every workload's await: Ollama on a GPU node and SQL Server's first start longer than the provider's 10 minutes", async () => {
            const minutes = Object.fromEntries(workloads(run).map((w) => [w.name, w.options.customTimeouts]));
            assert.deepEqual(minutes.ollama, { create: "45m", update: "45m" });
            assert.deepEqual(minutes.sqlserver, { create: "20m", update: "20m" });
            assert.deepEqual(minutes.elasticsearch, { create: "15m", update: "15m" });
            for (const [name, timeouts] of Object.entries(minutes)) {
                if (!["ollama", "sqlserver", "elasticsearch"].includes(name)) assert.deepEqual(timeouts, { create: "10m", update: "10m" }, name);
            }
            const configured = await runStack("prod", {
                exampleUserValues: true,
                overrides: { "llm-platform:ollama": { gpu: false }, "llm-platform:redis": { engine: "statefulset", rolloutTimeoutMinutes: 25 } },
            });
            assert.deepEqual(configured.named(STATEFUL_SET, "ollama").options.customTimeouts, { create: "20m", update: "20m" }, "CPU: no node scale-up or driver to wait for");
            assert.deepEqual(configured.named(STATEFUL_SET, "redis").options.customTimeouts, { create: "25m", update: "25m" });
        });

        it("prints the kubectl commands that name the object when the rollout fails, and does not retry", async () => {
            const hooks = (name: string, type = STATEFUL_SET) => run.named(type, name).options.errorHooks!;
            for (const w of workloads(run)) assert.equal(w.options.errorHooks?.length, 1, w.name);
            const printed = await captureErrors(() =>
                hooks("ollama")[0].callback({
                    urn: "urn", id: "", name: "ollama", type: STATEFUL_SET, failedOperation: "create",
                    errors: ["'ollama' timed out waiting to be Ready\n * Minimum number of Pods to consider the application live was not attained"],
                }),
            );
            assert.equal(printed.result, false, "no retry: the cause needs a look");
            const help = printed.lines.join("\n");
            assert.match(help, /statefulset\/ollama \(namespace llm-platform\) did not finish its rollout within 45 minutes or failed it: 'ollama' timed out waiting to be Ready/);
            assert.match(help, /kubectl -n llm-platform rollout status statefulset\/ollama/);
            assert.match(help, /kubectl -n llm-platform describe pod\/ollama-0 .*FailedScheduling/);
            assert.match(help, /kubectl -n llm-platform logs ollama-0 --previous/);
            assert.match(help, /kubectl -n llm-platform get pvc -l app\.kubernetes\.io\/name=ollama/);
            assert.match(help, /nvidia\\\.com\/gpu/, "a GPU workload: where the node's GPUs are shown");
            assert.match(help, /raise rolloutTimeoutMinutes in the service's config object \(now 45\)/);

            const proxy = await captureErrors(() =>
                hooks("proxy", DEPLOYMENT)[0].callback({ urn: "urn", id: "", name: "proxy", type: DEPLOYMENT, failedOperation: "update", errors: ["boom"] }),
            );
            assert.match(proxy.lines.join("\n"), /kubectl -n llm-platform describe pods -l app\.kubernetes\.io\/name=proxy/);
            const agent = await captureErrors(() =>
                hooks("fluent-bit", DAEMON_SET)[0].callback({ urn: "urn", id: "", name: "fluent-bit", type: DAEMON_SET, failedOperation: "create", errors: ["boom"] }),
            );
            assert.match(agent.lines.join("\n"), /kubectl -n llm-platform-node-agents rollout status daemonset\/fluent-bit/);
            const deleted = await captureErrors(() =>
                hooks("proxy", DEPLOYMENT)[0].callback({ urn: "urn", id: "", name: "proxy", type: DEPLOYMENT, failedOperation: "delete", errors: ["boom"] }),
            );
            assert.deepEqual(deleted.lines, [], "a failed delete is not a rollout");
        });
    });

    describe("proxy rollouts behind the load balancer drop nothing (item 4)", () => {
        it("gates new proxy pods on their ALB target's health, and keeps old ones serving past the deregistration delay", () => {
            const ns = run.ofType(NAMESPACE).find((n) => n.inputs.metadata.name === "llm-platform")!;
            // AWS Load Balancer Controller, "Pod readiness gate": the webhook injects the gate into new pods of a labelled namespace.
            assert.equal(ns.inputs.metadata.labels["elbv2.k8s.aws/pod-readiness-gate-inject"], "enabled");
            const [targetGroup] = run.ofType("aws:lb/targetGroup:TargetGroup");
            const delay = targetGroup.inputs.deregistrationDelay;
            assert.equal(delay, 60);
            const proxy = podSpec(run.named(DEPLOYMENT, "proxy"));
            const preStop = proxy.containers[0].lifecycle.preStop.exec.command;
            assert.equal(preStop[0], "/bin/sleep", "busybox's sleep in the nginx -alpine image; the preStop sleep action needs Kubernetes 1.30");
            assert.match(run.config.proxy.image, /-alpine$/);
            const sleep = Number(preStop[1]);
            assert.ok(sleep > delay, `the pod serves ${sleep} s, longer than the ${delay} s the ALB drains it`);
            // The grace period covers the sleep and NGINX's graceful quit after it.
            assert.equal(proxy.terminationGracePeriodSeconds, sleep + 30);
            // Nothing else waits before stopping.
            for (const w of [...run.ofType(STATEFUL_SET), ...run.ofType(DEPLOYMENT)].filter((x) => x.name !== "proxy")) {
                assert.equal(podSpec(w).containers[0].lifecycle, undefined, w.name);
            }
        });

        it("gives the NLB the same deregistration delay when the proxy has its own load balancer", async () => {
            const nlb = await runStack("prod", {
                exampleUserValues: true,
                without: ["llm-platform:aws"],
                // No bucket: no backups, and TimescaleDB as one pod (nowhere to archive WAL to).
                overrides: { ...IN_CLUSTER_VALKEY, "llm-platform:kubernetes": { proxyServiceType: "LoadBalancer" }, "llm-platform:backup": { enabled: false }, "llm-platform:timescale": { engine: "statefulset" } },
            });
            const service = nlb.named("kubernetes:core/v1:Service", "proxy-service").inputs.metadata.annotations;
            assert.equal(service["service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"], "deregistration_delay.timeout_seconds=60");
            const sleep = Number(podSpec(nlb.named(DEPLOYMENT, "proxy")).containers[0].lifecycle.preStop.exec.command[1]);
            assert.ok(sleep > 60);
        });
    });

    describe("node agents on every node (item 6)", () => {
        it("tolerate every taint, the GPU node's too, and run with a priority class of their own", () => {
            const agents = run.ofType(DAEMON_SET);
            assert.deepEqual(agents.map((a) => a.name).sort(), ["cadvisor", "fluent-bit", "node-exporter"]);
            const [priorityClass] = run.ofType("kubernetes:scheduling.k8s.io/v1:PriorityClass");
            assert.equal(priorityClass.inputs.metadata.name, "llm-platform-prod-node-agent");
            // Above workload pods (0), at or below the highest user-definable priority (1e9).
            assert.ok(priorityClass.inputs.value > 0 && priorityClass.inputs.value <= 1e9);
            assert.equal(priorityClass.inputs.globalDefault, false);
            assert.equal(priorityClass.inputs.preemptionPolicy, "PreemptLowerPriority");
            assert.deepEqual(priorityClass.options.replaceOnChanges, ["value"]);
            assert.equal(priorityClass.options.deleteBeforeReplace, true);
            for (const a of agents) {
                assert.deepEqual(podSpec(a).tolerations, [{ operator: "Exists" }], a.name);
                assert.equal(podSpec(a).priorityClassName, "llm-platform-prod-node-agent", a.name);
            }
            // The GPU node's taint, as Pulumi.prod.yaml declares it for Ollama, is among those tolerated.
            const gpuTaint = run.config.kubernetes.gpuTolerations[0];
            assert.ok(tolerates(podSpec(agents[0]).tolerations, { key: gpuTaint.key, effect: gpuTaint.effect }));
            // Workloads keep the default priority and tolerate nothing they do not need.
            for (const w of [...run.ofType(STATEFUL_SET), ...run.ofType(DEPLOYMENT)]) {
                assert.equal(podSpec(w).priorityClassName, undefined, w.name);
                if (w.name !== "ollama") assert.equal(podSpec(w).tolerations, undefined, w.name);
            }
        });
    });
});

const ipNumber = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
const inCidr = (ip: string, cidr: string) => {
    const [base, bits] = cidr.split("/");
    const size = 2 ** (32 - Number(bits));
    return Math.floor(ipNumber(ip) / size) === Math.floor(ipNumber(base) / size);
};

/** Whether a NetworkPolicy's egress admits TCP to ip:port through an ipBlock rule (networking/v1 semantics: any rule, any peer; a rule without ports admits all). */
function egressAllows(spec: any, ip: string, port: number): boolean {
    return (spec.egress ?? []).some(
        (rule: any) =>
            (rule.ports === undefined || rule.ports.some((p: any) => p.port === port && (p.protocol ?? "TCP") === "TCP")) &&
            (rule.to ?? []).some((peer: any) => peer.ipBlock && inCidr(ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((e: string) => inCidr(ip, e))),
    );
}

/** What pulumi.log.error printed (under mocks it writes to the console) while `fn` ran, and what it returned. */
async function captureErrors<T>(fn: () => T | Promise<T>): Promise<{ result: T; lines: string[] }> {
    const lines: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    try {
        return { result: await fn(), lines };
    } finally {
        console.error = original;
    }
}

/** Kubernetes' toleration matching (k8s.io/api core/v1 Toleration.ToleratesTaint): an empty key with Exists matches every taint. */
function tolerates(tolerations: any[], taint: { key: string; value?: string; effect: string }): boolean {
    return tolerations.some(
        (t) =>
            (t.effect === undefined || t.effect === taint.effect) &&
            (t.key === undefined || t.key === "" ? t.operator === "Exists" : t.key === taint.key && (t.operator === "Exists" || t.value === taint.value)),
    );
}
