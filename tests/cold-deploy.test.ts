/**
 * A cold `pulumi up` of the dev stack waits only on chains that are needed (issue #16, item 19):
 * the resource graph under the weighted model of harness/critical-path.ts.
 */
import assert from "node:assert/strict";
import { criticalPath, dependencies, DOWNLOAD_SECONDS, PULL_SECONDS } from "../harness/critical-path";
import { runStack, StackRun } from "../harness/run-stack";
import { NETWORK_POLICY } from "./helpers/kubernetes-types";

const CONTAINER = "docker:index/container:Container";
const container = (name: string) => `${CONTAINER}::${name}`;

describe("dev cold deploy: the dependency graph", function () {
    this.timeout(60000);
    let run: StackRun;
    before(async () => {
        run = await runStack("dev");
    });

    it("starts Alertmanager, Prometheus and Grafana side by side: none waits for another", () => {
        const graph = dependencies(run);
        const { finish } = criticalPath(run);
        for (const name of ["alertmanager", "prometheus", "grafana"]) {
            const waitsFor = [...graph.get(container(name))!].filter((d) => d.startsWith(CONTAINER));
            assert.deepEqual(waitsFor, [], `${name} waits for no other container`);
            // Its image, then its own start: nothing in between.
            const own = finish.get(container(name))! - PULL_SECONDS;
            assert.ok(own > 0 && own <= 30, `${name}: ${own} s of its own`);
        }
    });

    it("keeps them off the deploy's critical path: the unavoidable image -> Ollama -> model pull chain takes longer", () => {
        const { finish } = criticalPath(run);
        const ollamaChain = Math.max(finish.get(container("ollama-pull-chat-model"))!, finish.get(container("ollama-pull-embedding-model"))!);
        // The chain itself: the image, Ollama healthy, then the download.
        assert.equal(ollamaChain, finish.get(container("ollama"))! + DOWNLOAD_SECONDS);
        for (const name of ["alertmanager", "prometheus", "grafana"]) {
            assert.ok(finish.get(container(name))! < ollamaChain, `${name} is done at ${finish.get(container(name))} s, before the models (${ollamaChain} s)`);
        }
    });

    it("still lets them reach each other where they talk (Kubernetes: NetworkPolicies come from talksTo)", async () => {
        const prod = await runStack("prod", { exampleUserValues: true });
        const egressTo = (name: string) =>
            prod.ofType(NETWORK_POLICY).find((p) => p.name === `${name}-flows`)!.inputs.spec.egress.flatMap((e: any) => e.to.map((t: any) => t.podSelector?.matchLabels["app.kubernetes.io/name"]));
        assert.ok(egressTo("grafana").includes("prometheus"));
        assert.ok(egressTo("prometheus").includes("alertmanager"));
    });

    it("finds a chain a dependsOn adds (the model is not blind to one)", () => {
        const withChain = { ...run, resources: run.resources.map((r) => (r.name === "grafana" && r.type === CONTAINER ? { ...r, options: { ...r.options, dependsOn: [container("prometheus")] } } : r)) };
        const { finish } = criticalPath(withChain as StackRun);
        assert.equal(finish.get(container("grafana")), criticalPath(run).finish.get(container("prometheus"))! + (criticalPath(run).finish.get(container("grafana"))! - PULL_SECONDS));
    });
});
