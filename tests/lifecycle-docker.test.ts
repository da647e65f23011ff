/**
 * The dev stack through its life on Docker (issue #16, "What must hold"): create, a second `up`,
 * a change of every key users change, destroy, `up` again. Each step runs the program under mocks
 * and asks the Docker model (harness/lifecycle/docker-model.ts: terraform-provider-docker's stored
 * forms and ForceNew fields, the engine's behaviour on existing names) what happens.
 */
import assert from "node:assert/strict";
import { EngineFacts } from "../components/machine";
import { dockerModel } from "../harness/lifecycle/docker-model";
import { Lifecycle, Plan } from "../harness/lifecycle/model";
import { runStack, StackRun } from "../harness/run-stack";

const ENGINE: EngineFacts = { cpus: 16, memoryMb: 64000, swapLimit: true, nvidiaRuntime: true, serverVersion: "29.1.2" };
const T = {
    container: "docker:index/container:Container",
    volume: "docker:index/volume:Volume",
    image: "docker:index/remoteImage:RemoteImage",
    network: "docker:index/network:Network",
};

const USER_CHANGES = {
    "llm-platform:ollama": { image: "ollama/ollama:0.40.3" },
    // Not the preset's own value (default: 3072), so the change is one.
    "llm-platform:qdrant": { memoryMb: 4096 },
    "llm-platform:sqlserver": { storageGb: 80 },
    "llm-platform:docker": { pullTimeoutMinutes: 120 },
};

describe("dev stack lifecycle on Docker (mocks + the provider's read-back)", function () {
    this.timeout(240000);
    const model = dockerModel(ENGINE);
    const life = new Lifecycle([model]);
    const run = (overrides: object = {}) => runStack("dev", { dockerEngine: ENGINE, overrides: overrides as Record<string, unknown> });
    const up = async (overrides: object = {}): Promise<Plan> => life.up(await run(overrides));
    let first: StackRun;

    it("creates every resource on the first up", async () => {
        first = await run();
        const plan = life.up(first);
        assert.equal(plan.count("create"), first.resources.filter((r) => r.custom && model.covers(r.type)).length);
        assert.deepEqual(plan.summary.filter((s) => !s.startsWith("create")), []);
    });

    it("changes nothing on a second up (every field in the form the provider stores back)", async () => {
        assert.deepEqual((await up()).summary, []);
    });

    it("replaces what runs a new image, updates memory in place, and ignores what Docker does not size", async () => {
        const plan = await up(USER_CHANGES);
        assert.deepEqual(plan.names("refused"), []);
        // The image is a new resource (named after its reference); the old one leaves the state, not the engine.
        assert.deepEqual(plan.names("create", T.image), ["image-ollama-ollama-0.40.3"]);
        assert.deepEqual(plan.names("delete", T.image), ["image-ollama-ollama-0.40.2"]);
        // Its image id is ForceNew on the containers: Ollama and its pull steps are recreated, its volume stays.
        assert.deepEqual(plan.names("replace", T.container), ["ollama", "ollama-pull-chat-model", "ollama-pull-embedding-model"]);
        assert.match(plan.of("ollama", T.container)!.why!, /^image \(ForceNew/);
        assert.equal(plan.of("qdrant", T.container)!.action, "update");
        assert.match(plan.of("qdrant", T.container)!.why!, /^memory, memoryReservation, memorySwap$/);
        assert.equal(plan.count("update"), 1);
        for (const v of plan.changes.filter((c) => c.type === T.volume)) assert.equal(v.action, "same", v.name);
        assert.equal(plan.of("sqlserver", T.container)!.action, "same", "storageGb sizes Kubernetes claims only");
    });

    it("keeps the data volumes (and the images) on destroy", () => {
        const plan = life.destroy();
        assert.deepEqual(plan.names("keep"), plan.changes.filter((c) => c.type === T.volume).map((c) => c.name).sort());
        assert.ok(plan.names("keep").includes("sqlserver-data") && plan.names("keep").includes("backups"));
        assert.deepEqual(
            [...life.world.keys()].filter((id) => !id.startsWith("volume/") && !id.startsWith("image/")),
            [],
            "no container or network is left",
        );
    });

    it("finds the volumes on the next up, with the data, and creates the rest", async () => {
        const plan = await up(USER_CHANGES);
        assert.deepEqual(plan.names("refused"), []);
        assert.deepEqual(plan.names("adopt", T.volume), plan.changes.filter((c) => c.type === T.volume).map((c) => c.name).sort());
        assert.match(plan.of("sqlserver-data", T.volume)!.why!, /docker volume create returns the existing volume\/llm-platform-dev-sqlserver-data/);
        assert.deepEqual(plan.names("create", T.network), ["docker-network"]);
        assert.deepEqual((await up(USER_CHANGES)).summary, [], "and a second up changes nothing");
    });

    it("would refuse a container whose name is still taken (the model's teeth)", async () => {
        const other = new Lifecycle([model]);
        other.up(first);
        other.state.clear();
        const plan = other.up(first);
        assert.match(plan.of("sqlserver", T.container)!.why!, /Conflict: the name of container\/llm-platform-dev-sqlserver is already in use/);
    });
});
