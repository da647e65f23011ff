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

/** Kubernetes' toleration matching (k8s.io/api core/v1 Toleration.ToleratesTaint): an empty key with Exists matches every taint. */
function tolerates(tolerations: any[], taint: { key: string; value?: string; effect: string }): boolean {
    return tolerations.some(
        (t) =>
            (t.effect === undefined || t.effect === taint.effect) &&
            (t.key === undefined || t.key === "" ? t.operator === "Exists" : t.key === taint.key && (t.operator === "Exists" || t.value === taint.value)),
    );
}
