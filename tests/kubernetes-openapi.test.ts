import assert from "node:assert/strict";
import { RegisteredResource, runStack } from "../harness/run-stack";

/**
 * Every Kubernetes object of the prod stack checked against the Kubernetes OpenAPI
 * schemas, offline: kubernetes-models bundles them. It is ESM-only; the import goes
 * through Function so TypeScript's commonjs output keeps it a real dynamic import().
 */
const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<Record<string, any>>;

interface Model {
    validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/** `kubernetes:apps/v1:StatefulSet` -> the StatefulSet class of kubernetes-models/apps/v1 (core: kubernetes-models/v1). */
async function modelOf(type: string): Promise<ModelClass> {
    const match = /^kubernetes:([^:]+):(\w+)$/.exec(type);
    if (!match) throw new Error(`not a Kubernetes type: ${type}`);
    const [group, version] = match[1].split("/");
    const module = await importEsm(group === "core" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`);
    const model = module[match[2]];
    if (!model) throw new Error(`kubernetes-models has no ${match[2]} in ${match[1]}`);
    return model;
}

/**
 * Custom resources kubernetes-models has no schema for (tests/stack-prod-aws.test.ts checks the
 * TargetGroupBinding; tests/cloudnative-pg.test.ts the CloudNativePG objects against their CRDs,
 * tests/barman-cloud-plugin.test.ts the ObjectStore), and
 * the operator's Helm release, which is not an object of the cluster.
 */
const CUSTOM_RESOURCE_GROUPS = ["elbv2.k8s.aws/", "postgresql.cnpg.io/", "barmancloud.cnpg.io/", "helm.sh/"];

async function validate(r: RegisteredResource): Promise<void> {
    if (CUSTOM_RESOURCE_GROUPS.some((g) => r.type.startsWith(`kubernetes:${g}`))) return;
    const Model = await modelOf(r.type);
    try {
        new Model(r.inputs).validate();
    } catch (e) {
        throw new Error(`${r.type} ${r.name}: ${(e as Error).message}`);
    }
}

describe("Kubernetes objects of the prod stack against the OpenAPI schemas (kubernetes-models)", function () {
    this.timeout(60000);
    let objects: RegisteredResource[];
    before(async () => {
        const run = await runStack("prod", { exampleUserValues: true });
        objects = run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    });

    it("validates every object (GPU on)", async () => {
        assert.ok(objects.length > 50, `${objects.length} objects`);
        for (const r of objects) await validate(r);
    });

    it("validates every object with a proxy canary, and every object of the staging stack", async () => {
        const canary = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:proxy": { canary: { weight: 10 } } } });
        const staging = await runStack("staging", { exampleUserValues: true });
        for (const run of [canary, staging]) {
            for (const r of run.resources.filter((x) => x.custom && x.type.startsWith("kubernetes:"))) await validate(r);
        }
    });

    it("validates every object with the GPU off and a ClusterIP proxy", async () => {
        const run = await runStack("prod", {
            exampleUserValues: true,
            overrides: { "llm-platform:ollama": { gpu: false }, "llm-platform:kubernetes": { proxyServiceType: "ClusterIP", createStorageClass: false } },
        });
        for (const r of run.resources.filter((x) => x.custom && x.type.startsWith("kubernetes:"))) await validate(r);
    });

    it("rejects an object with a wrong type or a missing required field, so the checks above can fail", async () => {
        const statefulSet = objects.find((r) => r.type === "kubernetes:apps/v1:StatefulSet")!;
        const broken = structuredClone(statefulSet.inputs);
        broken.spec.template.spec.containers[0].ports[0].containerPort = "1433";
        await assert.rejects(validate({ ...statefulSet, inputs: broken }), /containerPort must be integer/);
        const noSelector = structuredClone(statefulSet.inputs);
        delete noSelector.spec.selector;
        await assert.rejects(validate({ ...statefulSet, inputs: noSelector }), /must have required property '?selector'?/);
    });
});
