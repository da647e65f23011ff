/**
 * A second `pulumi up` changes nothing: every field the program sets on a Docker resource
 * is sent in the form terraform-provider-docker v4.5.0 (under @pulumi/docker 5.2) stores
 * back on Read, or is a field Read never touches (the rules: harness/lifecycle/docker-read-back.ts).
 * A field the program sets that the table does not know fails the test: add its rule after
 * reading the provider's Read.
 */
import assert from "node:assert/strict";
import { EngineFacts } from "../components/machine";
import { goDuration, nanoCpusString, subnetGateway } from "../components/platform/docker/provider-forms";
import { rules } from "../harness/lifecycle/docker-read-back";
import { RegisteredResource, runStack, StackRun } from "../harness/run-stack";

const engines: Record<string, EngineFacts> = {
    "Docker 29 with swap accounting": { cpus: 16, memoryMb: 64000, swapLimit: true, nvidiaRuntime: true, serverVersion: "29.1.2" },
    "Docker 27 without swap accounting": { cpus: 16, memoryMb: 64000, swapLimit: false, nvidiaRuntime: false, serverVersion: "27.5.1" },
};

/** Every field the program sets that would differ after a Read, with its rule. */
function differences(run: StackRun, engine: EngineFacts): string[] {
    const found: string[] = [];
    for (const r of run.resources.filter((x: RegisteredResource) => x.type.startsWith("docker:"))) {
        const table = rules[r.type];
        assert.ok(table, `no read-back rules for ${r.type}: read the provider's Read and add them`);
        for (const [field, sent] of Object.entries(r.inputs)) {
            if (sent === undefined) continue;
            const rule = table[field];
            assert.ok(rule, `${r.type} ${r.name}: the program sets ${field}, which has no read-back rule`);
            if (!rule.readBack) continue;
            const stored = rule.readBack(sent, engine);
            if (JSON.stringify(stored) !== JSON.stringify(sent)) {
                found.push(`${r.name}.${field}${rule.forceNew ? " (ForceNew: replaced)" : ""}: sent ${JSON.stringify(sent)}, stored ${JSON.stringify(stored)} — ${rule.source}`);
            }
        }
    }
    return found;
}

describe("Docker provider read-back: a second pulumi up changes nothing", function () {
    this.timeout(60000);

    it("models the provider's number and duration forms as its Go source prints them", () => {
        assert.equal(nanoCpusString(2_000_000_000n), "2.0", "2 CPUs");
        assert.equal(nanoCpusString(500_000_000n), "0.5");
        assert.equal(nanoCpusString(250_000_000n), "0.25");
        assert.equal(nanoCpusString(1_500_000_000n), "1.5");
        assert.equal(nanoCpusString(10_000_000_000n), "10.", "ten zeros: trimmed, the point stays");
        assert.equal(nanoCpusString(50_000_000n), "0.1", "nine zeros: FloatString(1) rounds 0.05 up");
        assert.deepEqual([0, 5, 60, 90, 3600, 3725].map(goDuration), ["0s", "5s", "1m0s", "1m30s", "1h0m0s", "1h2m5s"]);
        assert.equal(subnetGateway("172.28.53.0/24"), "172.28.53.1");
        assert.equal(subnetGateway("10.20.0.0/16"), "10.20.0.1");
    });

    for (const [engineName, engine] of Object.entries(engines)) {
        for (const gpu of [true, false]) {
            it(`holds for the whole dev stack on ${engineName}, GPU ${gpu ? "on" : "off"}`, async () => {
                const run = await runStack("dev", { dockerEngine: engine, overrides: { "llm-platform:ollama": { gpu } } });
                assert.deepEqual(differences(run, engine), []);
            });
        }
    }

    it("catches the forms that used to replace the databases on every run", async () => {
        const run = await runStack("dev", { dockerEngine: engines["Docker 29 with swap accounting"] });
        const sql = run.named("docker:index/container:Container", "sqlserver");
        sql.inputs.cpus = "2";
        sql.inputs.healthcheck = { ...sql.inputs.healthcheck, startPeriod: "60s" };
        const network = run.ofType("docker:index/network:Network")[0];
        network.inputs.ipamConfigs = [{ subnet: network.inputs.ipamConfigs[0].subnet }];
        const found = differences(run, engines["Docker 29 with swap accounting"]);
        assert.equal(found.length, 3, found.join("\n"));
        assert.match(found.join("\n"), /sqlserver\.cpus \(ForceNew: replaced\): sent "2", stored "2\.0"/);
        assert.match(found.join("\n"), /sqlserver\.healthcheck: .*"1m0s"/);
        assert.match(found.join("\n"), /ipamConfigs \(ForceNew: replaced\).*"gateway":"172\.28\.53\.1"/);
    });

    it("sends -1 for swap where the kernel cannot limit it, the memory limit where it can", async () => {
        for (const engine of Object.values(engines)) {
            const run = await runStack("dev", { dockerEngine: engine });
            for (const c of run.ofType("docker:index/container:Container")) {
                assert.equal(c.inputs.memorySwap, engine.swapLimit ? c.inputs.memory : -1, c.name);
            }
        }
    });
});
