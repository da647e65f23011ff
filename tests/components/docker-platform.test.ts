import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { DockerPlatform } from "../../components/platform/docker/platform";
import { healthTimeoutSeconds } from "../../components/platform/docker/health";
import { ServiceSpec } from "../../components/platform/types";
import { Registered, settle, useMocks } from "../helpers/mocks";

const spec = (name: string, over: Partial<ServiceSpec> = {}): ServiceSpec => ({
    name,
    image: "example/app:1.2.3",
    ports: [],
    resources: { cpu: 1, memoryMb: 512, cpuReservation: 0.25, memoryReservationMb: 256 },
    healthCheck: { command: ["true"], intervalSeconds: 10, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 20 },
    ...over,
});

describe("Docker platform", () => {
    let registered: Registered[];
    let platform: DockerPlatform;

    beforeEach(async () => {
        registered = await useMocks();
        platform = new DockerPlatform("docker", {
            namePrefix: "llm-platform-test",
            subnet: "10.99.0.0/24",
            logMaxSizeMb: 10,
            logMaxFiles: 2,
            labels: { "llm-platform.stack": "llm-platform-test" },
            pullTimeoutMinutes: 90,
            swapLimit: true,
        });
    });

    const settleAll = () => settle(platform.network.name);

    it("pulls each image once, shared by a service and its steps", async () => {
        const parent = new pulumi.ComponentResource("test:index:Parent", "p", {});
        platform.deploy(
            spec("app", {
                initSteps: [{ name: "migrate", image: "example/app:1.2.3", command: ["migrate"], resources: spec("x").resources }],
            }),
            parent,
        );
        await settleAll();
        await new Promise((r) => setTimeout(r, 10));
        const images = registered.filter((r) => r.type === "docker:index/remoteImage:RemoteImage");
        assert.deepEqual(images.map((i) => i.inputs.name), ["example/app:1.2.3"]);
        assert.equal(images[0].inputs.keepLocally, true);
    });

    it("maps a CPU reservation to CPU shares and limits to Docker's fields", async () => {
        const parent = new pulumi.ComponentResource("test:index:Parent", "p", {});
        platform.deploy(spec("app", { gpu: true, stopGraceSeconds: 42 }), parent);
        await settleAll();
        await new Promise((r) => setTimeout(r, 10));
        const c = registered.find((r) => r.type === "docker:index/container:Container")!;
        assert.equal(c.inputs.name, "llm-platform-test-app");
        assert.equal(c.inputs.cpuShares, 256);
        assert.equal(c.inputs.cpus, "1.0", "the form the provider reads back");
        assert.equal(c.inputs.memory, 512);
        assert.equal(c.inputs.gpus, "all");
        assert.equal(c.inputs.destroyGraceSeconds, 42);
        assert.deepEqual(c.inputs.logOpts, { "max-size": "10m", "max-file": "2" });
        assert.equal(c.inputs.waitTimeout, healthTimeoutSeconds(spec("app").healthCheck));
    });

    it("refuses a service deployed twice and a dependency on an unknown service", () => {
        const parent = new pulumi.ComponentResource("test:index:Parent", "p", {});
        platform.deploy(spec("app"), parent);
        assert.throws(() => platform.deploy(spec("app"), parent), /deployed twice/);
        assert.throws(() => platform.deploy(spec("web", { dependsOn: ["db"] }), parent), /unknown service db/);
    });
});
