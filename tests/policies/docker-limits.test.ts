import { strict as assert } from "assert";
import { dockerContainerLimits } from "../../policies/rules/docker-limits";
import { container, initContainer, sqlServerContainer } from "./helpers/docker-fixtures";
import { check, messages } from "./helpers/run";

describe("policy docker-container-limits", () => {
    it("passes a service container and a one-shot step with memory, cpus and a reservation under the limit", async () => {
        assert.deepEqual(await check(dockerContainerLimits, [sqlServerContainer(), initContainer("sqlserver", "schema")]), []);
    });

    it("fails a container without a memory limit, naming it", async () => {
        const violations = await check(dockerContainerLimits, container("qdrant", { memory: undefined, memorySwap: undefined, memoryReservation: undefined }));
        assert.equal(violations.length, 1);
        assert.equal(violations[0].enforcementLevel, "mandatory");
        assert.deepEqual(violations[0].resource?.name, "qdrant");
        assert.match(violations[0].message, /docker:index\/container:Container "qdrant": memory limit is not set \(unlimited\); required: `memory` > 0 MB/);
    });

    it("fails memory 0, which Docker reads as unlimited", async () => {
        assert.match(messages(await check(dockerContainerLimits, container("qdrant", { memory: 0 })))[0], /memory limit is 0/);
    });

    it("fails a container without cpus, or with cpus \"0\"", async () => {
        assert.match(messages(await check(dockerContainerLimits, container("redis", { cpus: undefined })))[0], /CPU limit is not set/);
        assert.match(messages(await check(dockerContainerLimits, container("redis", { cpus: "0" })))[0], /CPU limit is "0"/);
    });

    it("accepts a CPU limit given as cpuQuota/cpuPeriod, and says which encoding is wrong when one is", async () => {
        assert.deepEqual(await check(dockerContainerLimits, container("redis", { cpus: undefined, cpuQuota: 50000, cpuPeriod: 100000 })), []);
        assert.deepEqual(await check(dockerContainerLimits, container("redis", { cpus: undefined, cpuQuota: 150000 })), []);
        const [k8sStyle] = messages(await check(dockerContainerLimits, container("redis", { cpus: "500m" })));
        assert.match(k8sStyle, /cpus is "500m", not a decimal number of cores \(Docker's --cpus takes e.g. "0.5", not a Kubernetes quantity such as "500m"\)/);
        assert.doesNotMatch(k8sStyle, /unlimited/);
    });

    it("fails memory given in bytes where Docker expects MB, and memory below Docker's minimum", async () => {
        assert.match(messages(await check(dockerContainerLimits, container("qdrant", { memory: 4294967296, memorySwap: 4294967296, memoryReservation: 2048 })))[0], /memory is 4294967296 MB, above maxMemoryMb 1048576: Docker's `memory` is in MB, this looks like bytes \(4096 MB\)/);
        assert.match(messages(await check(dockerContainerLimits, container("qdrant", { memory: 4, memorySwap: 4, memoryReservation: 2 })))[0], /below Docker's minimum of 6 MB/);
    });

    it("fails a reservation above the limit with both values", async () => {
        const [message] = messages(await check(dockerContainerLimits, container("timescale", { memory: 2048, memoryReservation: 3072 })));
        assert.match(message, /memory reservation is 3072 MB, above 100% of the 2048 MB limit; required: at most 2048 MB/);
    });

    it("applies a configured reservation ceiling", async () => {
        const c = container("timescale", { memory: 4096, memoryReservation: 3072 });
        assert.deepEqual(await check(dockerContainerLimits, c), []);
        assert.match(messages(await check(dockerContainerLimits, c, { maxReservationPercent: 50 }))[0], /required: at most 2048 MB/);
    });

    it("ignores other resource types", async () => {
        assert.deepEqual(await check(dockerContainerLimits, { ...container("x"), type: "docker:index/network:Network" }), []);
    });
});
