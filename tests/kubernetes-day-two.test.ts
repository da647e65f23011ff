/**
 * What the prod stack's Kubernetes objects must say so that the operations after the first
 * `pulumi up` work (issue #16, items 1-9). Each behaviour of the provider or of Kubernetes
 * relied on here is cited where the code does it; tests/lifecycle-kubernetes.test.ts walks
 * the same stack through create, change, destroy and create again.
 */
import assert from "node:assert/strict";
import { RegisteredResource, runStack, StackRun } from "../harness/run-stack";
import { DAEMON_SET, DEPLOYMENT, JOB, podSpec, STATEFUL_SET } from "./helpers/kubernetes-types";
import { restrictedViolations } from "./helpers/pod-security";

const CRON_JOB = "kubernetes:batch/v1:CronJob";
const NAMESPACE = "kubernetes:core/v1:Namespace";

/** Every pod template of the stack, with the namespace it runs in. */
function podTemplates(run: StackRun): { name: string; namespace: string; pod: any }[] {
    const of = (r: RegisteredResource, pod: any) => ({ name: `${r.type.split(":").pop()} ${r.name}`, namespace: r.inputs.metadata.namespace, pod });
    return [
        ...[STATEFUL_SET, DEPLOYMENT, DAEMON_SET, JOB].flatMap((t) => run.ofType(t).map((r) => of(r, podSpec(r)))),
        ...run.ofType(CRON_JOB).map((r) => of(r, r.inputs.spec.jobTemplate.spec.template.spec)),
    ];
}

describe("prod stack, day two on Kubernetes", function () {
    this.timeout(60000);
    let run: StackRun;
    before(async () => {
        run = await runStack("prod", { exampleUserValues: true });
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
                overrides: { "llm-platform:ollama": { gpu: false }, "llm-platform:redis": { rolloutTimeoutMinutes: 25 } },
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
                overrides: { "llm-platform:kubernetes": { proxyServiceType: "LoadBalancer" }, "llm-platform:backup": { enabled: false } },
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
