import { strict as assert } from "assert";
import { policyResources } from "../../harness/policy-report";
import { runStack } from "../../harness/run-stack";
import { OfflineResource, runPolicyPack } from "../../policies/rules/offline";

describe("the policy pack on the dev stack (Pulumi.dev.yaml under mocks)", function () {
    let dev: OfflineResource[];

    before(async function () {
        dev = policyResources(await runStack("dev"));
    });

    it("finds no mandatory violation in what the stack declares", async () => {
        const types = new Set(dev.map((r) => r.type));
        for (const type of ["docker:index/container:Container", "docker:index/remoteImage:RemoteImage", "tls:index/privateKey:PrivateKey", "tls:index/locallySignedCert:LocallySignedCert"]) {
            assert.ok(types.has(type), `the dev stack registers ${type}`);
        }
        const mandatory = (await runPolicyPack(dev)).filter((v) => v.enforcementLevel === "mandatory");
        assert.deepEqual(mandatory, []);
    });

    it("finds the violation when a container loses its memory limit", async () => {
        const changed = dev.map((r) =>
            r.type === "docker:index/container:Container" && r.name === "sqlserver" ? { ...r, props: { ...r.props, memory: undefined, memorySwap: undefined } } : r,
        );
        const mandatory = (await runPolicyPack(changed)).filter((v) => v.enforcementLevel === "mandatory");
        assert.deepEqual([...new Set(mandatory.map((v) => v.policy))].sort(), ["docker-container-limits", "memory-settings-fit-limits"]);
        const limits = mandatory.find((v) => v.policy === "docker-container-limits")!;
        assert.equal(limits.resource?.name, "sqlserver");
        assert.match(limits.message, /Container "sqlserver": memory limit is not set \(unlimited\)/);
        assert.match(mandatory.find((v) => v.policy === "memory-settings-fit-limits")!.message, /MSSQL_MEMORY_LIMIT_MB is 3276 but the container has no memory limit/);
    });

    it("holds SQL Server to its floor by its image (through its RemoteImage's ID), not by its service label", async () => {
        const relabelled = dev.map((r) => {
            if (r.type !== "docker:index/container:Container" || r.name !== "sqlserver") return r;
            const labels = (r.props.labels as { label: string; value: string }[]).map((l) => (l.label === "llm-platform.service" ? { ...l, value: "db" } : l));
            return { ...r, props: { ...r.props, labels, memory: 1024, memorySwap: 1024, memoryReservation: 512 } };
        });
        const bounds = (await runPolicyPack(relabelled)).filter((v) => v.policy === "service-resource-bounds");
        assert.deepEqual(bounds.map((v) => [v.enforcementLevel, v.resource?.name]), [["mandatory", "sqlserver"]]);
        assert.match(bounds[0].message, /Container "sqlserver": memory limit is 1024 MB; service sqlserver requires at least 2048 MB/);
    });

    it("holds Ollama to a GPU when the stack's config enables one", async () => {
        const gpuConfig = { "gpu-requested": { gpuServices: ["ollama"] } };
        const onCpu = (await runPolicyPack(dev, gpuConfig)).filter((v) => v.enforcementLevel === "mandatory");
        assert.deepEqual(onCpu.map((v) => [v.policy, v.resource?.name]), [["gpu-requested", "ollama"]]);
        const withGpu = policyResources(await runStack("dev", { overrides: { "llm-platform:ollama": { gpu: true } } }));
        assert.deepEqual((await runPolicyPack(withGpu, gpuConfig)).filter((v) => v.enforcementLevel === "mandatory"), []);
    });
});
