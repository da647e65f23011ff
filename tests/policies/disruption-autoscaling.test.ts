/**
 * Budgets that block every voluntary disruption (Polaris pdbDisruptionsIsZero and
 * pdbMinAvailableGreaterThanHPAMinReplicas) and autoscaled workloads that pin their replicas
 * (kube-score deployment-targeted-by-hpa-does-not-have-replicas-configured).
 */
import { strict as assert } from "assert";
import { autoscaledReplicas } from "../../policies/rules/autoscaled-replicas";
import { podDisruptionBudgets } from "../../policies/rules/disruption-budgets";
import { DEPLOYMENT, k8sContainer, NAMESPACE, pdb, podSpec, STATEFUL_SET, workload } from "./helpers/kubernetes-fixtures";
import { check, messages, resource } from "./helpers/run";

const selector = { matchLabels: { "app.kubernetes.io/name": "proxy" } };
const proxy = (replicas: number | undefined) => {
    const w = workload(DEPLOYMENT, "proxy", podSpec([k8sContainer("proxy", { image: "nginx:1.30.5-alpine" })]));
    if (replicas === undefined) delete w.props.spec.replicas;
    else w.props.spec.replicas = replicas;
    return w;
};
/** An autoscaling/v2 HorizontalPodAutoscaler as @pulumi/kubernetes sends it. */
const hpa = (minReplicas: number | undefined, target: Record<string, any> = { apiVersion: "apps/v1", kind: "Deployment", name: "proxy" }, namespace = NAMESPACE) =>
    resource("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "proxy-hpa", {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: "proxy", namespace },
        spec: {
            scaleTargetRef: target,
            ...(minReplicas === undefined ? {} : { minReplicas }),
            maxReplicas: 6,
            metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
        },
    }, "prod");

describe("policy kubernetes-pod-disruption-budgets: budgets that block every eviction", () => {
    it("passes budgets that let at least one pod go (rounded up as the disruption controller does)", async () => {
        const cases: [number | undefined, Record<string, any>][] = [
            [1, { maxUnavailable: 1 }],
            [1, { maxUnavailable: "10%" }],
            [3, { minAvailable: 2 }],
            [3, { minAvailable: "50%" }],
            [4, { minAvailable: "75%" }],
        ];
        for (const [replicas, bound] of cases) {
            assert.deepEqual(await check(podDisruptionBudgets, [proxy(replicas), pdb("proxy", { ...bound, selector })]), [], JSON.stringify([replicas, bound]));
        }
    });

    it("fails maxUnavailable 0 or \"0%\" and minAvailable \"100%\" whatever the scale, also as a PodDisruptionBudgetPatch", async () => {
        for (const bound of [{ maxUnavailable: 0 }, { maxUnavailable: "0%" }, { minAvailable: "100%" }, { minAvailable: "100%", maxUnavailable: 1 }]) {
            const found = await check(podDisruptionBudgets, [proxy(3), pdb("proxy", { ...bound, selector })]);
            assert.equal(found.length, 1, JSON.stringify(bound));
            assert.equal(found[0].resource?.name, "proxy-pdb");
            assert.match(found[0].message, /so no pod it selects may ever be evicted: node drains and upgrades stall; required: maxUnavailable of at least 1/);
        }
        const patch = resource("kubernetes:policy/v1:PodDisruptionBudgetPatch", "proxy-pdb-patch", { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "proxy", namespace: NAMESPACE }, spec: { maxUnavailable: 0 } }, "prod");
        assert.match(messages(await check(podDisruptionBudgets, [proxy(3), pdb("proxy"), patch]))[0], /PodDisruptionBudgetPatch "proxy-pdb-patch": maxUnavailable is 0/);
    });

    it("fails a minAvailable that reaches the replicas: equal, 50% of one, above them, or the autoscaler's minReplicas", async () => {
        const cases: [number | undefined, Record<string, any>, RegExp][] = [
            [2, { minAvailable: 2 }, /minAvailable 2 keeps 2 pod\(s\) available, all the 2 replica\(s\) of kubernetes:apps\/v1:Deployment "proxy"/],
            [undefined, { minAvailable: 1 }, /all the 1 replica\(s\)/],
            [1, { minAvailable: "50%" }, /minAvailable "50%" keeps 1 pod\(s\) available/],
            [2, { minAvailable: 3 }, /keeps 3 pod\(s\) available, all the 2 replica/],
        ];
        for (const [replicas, bound, expected] of cases) {
            const found = messages(await check(podDisruptionBudgets, [proxy(replicas), pdb("proxy", { ...bound, selector })]));
            assert.equal(found.length, 1, JSON.stringify([replicas, bound]));
            assert.match(found[0], expected);
        }
        const scaled = messages(await check(podDisruptionBudgets, [proxy(undefined), hpa(2), pdb("proxy", { minAvailable: 2, selector })]));
        assert.match(scaled[0], /keeps 2 pod\(s\) available, all the 2 minReplicas of HorizontalPodAutoscaler "proxy-hpa" for kubernetes:apps\/v1:Deployment "proxy"/);
        assert.deepEqual(await check(podDisruptionBudgets, [proxy(undefined), hpa(3), pdb("proxy", { minAvailable: 2, selector })]), []);
    });
});

describe("policy kubernetes-hpa-replicas", () => {
    it("passes an autoscaled Deployment without spec.replicas, and a pinned one nobody autoscales", async () => {
        assert.deepEqual(await check(autoscaledReplicas, [proxy(undefined), hpa(2)]), []);
        assert.deepEqual(await check(autoscaledReplicas, [proxy(3)]), []);
        // Another namespace's or another kind's autoscaler is not this workload's.
        assert.deepEqual(await check(autoscaledReplicas, [proxy(3), hpa(2, undefined, "other")]), []);
        assert.deepEqual(await check(autoscaledReplicas, [proxy(3), hpa(2, { apiVersion: "apps/v1", kind: "StatefulSet", name: "proxy" })]), []);
    });

    it("fails a Deployment, StatefulSet or DeploymentPatch that pins spec.replicas under an autoscaler", async () => {
        assert.deepEqual(messages(await check(autoscaledReplicas, [proxy(2), hpa(undefined)])), [
            'kubernetes:apps/v1:Deployment "proxy": spec.replicas is 2 while HorizontalPodAutoscaler "proxy-hpa" scales it (minReplicas 1), so every update resets the count to 2; required: spec.replicas not set',
        ]);
        const sts = workload(STATEFUL_SET, "proxy", podSpec([k8sContainer("proxy")]));
        assert.equal((await check(autoscaledReplicas, [sts, hpa(2, { apiVersion: "apps/v1", kind: "StatefulSet", name: "proxy" })])).length, 1);
        const patch = resource("kubernetes:apps/v1:DeploymentPatch", "proxy-scale", { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "proxy", namespace: NAMESPACE }, spec: { replicas: 4 } }, "prod");
        assert.match(messages(await check(autoscaledReplicas, [proxy(undefined), patch, hpa(2)]))[0], /DeploymentPatch "proxy-scale": spec.replicas is 4/);
    });
});
