import { strict as assert } from "assert";
import { kubernetesContainerResources } from "../../policies/rules/kubernetes-limits";
import {
    CRON_JOB, DAEMON_SET, DEPLOYMENT, JOB, k8sContainer, POD, podSpec, REPLICA_SET, resources, sqlServerStatefulSet, STATEFUL_SET, workload,
} from "./helpers/kubernetes-fixtures";
import { check, messages } from "./helpers/run";

const sysctl = k8sContainer("sysctl", { image: "busybox:1.37.0", command: ["sysctl", "-w", "vm.max_map_count=262144"], resources: resources("10m", "16Mi", "50m", "32Mi") });

describe("policy kubernetes-container-resources", () => {
    for (const type of [POD, DEPLOYMENT, STATEFUL_SET, DAEMON_SET, REPLICA_SET, JOB, CRON_JOB]) {
        const kind = type.split(":").pop();
        it(`passes a ${kind} whose containers and init containers request and limit cpu and memory`, async () => {
            assert.deepEqual(await check(kubernetesContainerResources, workload(type, "elasticsearch", podSpec([k8sContainer("elasticsearch")], [sysctl]))), []);
        });

        it(`fails a ${kind} whose init container has no limits`, async () => {
            const init = { ...sysctl, resources: { requests: { cpu: "10m", memory: "16Mi" } } };
            const found = messages(await check(kubernetesContainerResources, workload(type, "elasticsearch", podSpec([k8sContainer("elasticsearch")], [init]))));
            assert.deepEqual(found.length, 2);
            assert.match(found[0], new RegExp(`${kind} "elasticsearch" init container "sysctl": resources.limits.cpu is not set`));
            assert.match(found[1], /init container "sysctl": resources.limits.memory is not set/);
        });
    }

    it("fails a container with no resources at all, once per missing field", async () => {
        const found = messages(await check(kubernetesContainerResources, sqlServerStatefulSet({ resources: undefined })));
        assert.deepEqual(found.map((m) => m.replace(/.*: (resources\.\S+) is not set.*/, "$1")), [
            "resources.requests.cpu", "resources.limits.cpu", "resources.requests.memory", "resources.limits.memory",
        ]);
    });

    it("fails a request above its limit, with both quantities", async () => {
        const [message] = messages(await check(kubernetesContainerResources, sqlServerStatefulSet({ resources: resources("500m", "6Gi", "2", "4Gi") })));
        assert.match(message, /container "sqlserver": resources.requests.memory is 6Gi, above its limit \(resources.limits.memory 4Gi\)/);
    });

    it("compares quantities across units (1500m cpu > 1, 1Gi = 1024Mi)", async () => {
        assert.equal((await check(kubernetesContainerResources, sqlServerStatefulSet({ resources: resources("1500m", "1024Mi", "1", "1Gi") }))).length, 1);
    });

    it("fails a quantity that is not one", async () => {
        assert.match(messages(await check(kubernetesContainerResources, sqlServerStatefulSet({ resources: resources("1", "2 GB", "2", "4Gi") })))[0], /resources.requests.memory is "2 GB", not a positive quantity/);
    });

    it("requires the configured resources, e.g. ephemeral-storage", async () => {
        const found = await check(kubernetesContainerResources, sqlServerStatefulSet(), { requiredResources: ["cpu", "memory", "ephemeral-storage"] });
        assert.deepEqual(messages(found).map((m) => /resources\.\S+/.exec(m)![0]), ["resources.requests.ephemeral-storage", "resources.limits.ephemeral-storage"]);
    });

    it("fails memory in milli-bytes (512m) or bare bytes, which Kubernetes accepts", async () => {
        const milli = sqlServerStatefulSet({ resources: resources("1", "512m", "2", "512m") });
        const found = messages(await check(kubernetesContainerResources, milli));
        assert.equal(found.length, 1, found.join("\n"));
        assert.match(found[0], /resources.requests.memory is "512m" \("m" is milli: 0.512 bytes\); required: a size such as "512Mi"/);
        assert.equal((await check(kubernetesContainerResources, sqlServerStatefulSet({ resources: resources("1", "1Gi", "2", "4096") }))).length, 1);
    });
});
