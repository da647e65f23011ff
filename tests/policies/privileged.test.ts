import { strict as assert } from "assert";
import { noPrivilegedContainers } from "../../policies/rules/privileged";
import { container } from "./helpers/docker-fixtures";
import { k8sContainer, podSpec, resources, sqlServerStatefulSet, STATEFUL_SET, workload } from "./helpers/kubernetes-fixtures";
import { check, messages } from "./helpers/run";

const sysctl = k8sContainer("sysctl", { image: "busybox:1.37.0", command: ["sysctl", "-w", "vm.max_map_count=262144"], securityContext: { privileged: true, runAsUser: 0 }, resources: resources("10m", "16Mi", "50m", "32Mi") });
const elasticsearch = (init: Record<string, any>[], main: Record<string, any> = {}) =>
    workload(STATEFUL_SET, "elasticsearch", podSpec([k8sContainer("elasticsearch", { image: "docker.elastic.co/elasticsearch/elasticsearch:8.19.7", ...main })], init));

describe("policy no-privileged-containers", () => {
    it("passes unprivileged Docker and Kubernetes containers", async () => {
        assert.deepEqual(await check(noPrivilegedContainers, [container("sqlserver", { privileged: false }), container("redis"), sqlServerStatefulSet()]), []);
    });

    it("fails a privileged Docker container", async () => {
        const [v] = await check(noPrivilegedContainers, container("ollama", { privileged: true }));
        assert.equal(v.enforcementLevel, "mandatory");
        assert.match(v.message, /Container "ollama": runs privileged; required: privileged not true/);
    });

    it("fails a privileged Kubernetes container or init container", async () => {
        assert.match(messages(await check(noPrivilegedContainers, elasticsearch([sysctl])))[0], /StatefulSet "elasticsearch" init container "sysctl": runs privileged/);
        assert.match(messages(await check(noPrivilegedContainers, elasticsearch([], { securityContext: { privileged: true } })))[0], /container "elasticsearch": runs privileged/);
    });

    it("exempts a named init container only, not the service's own container", async () => {
        const config = { exemptInitContainers: ["elasticsearch/sysctl"] };
        assert.deepEqual(await check(noPrivilegedContainers, elasticsearch([sysctl]), config), []);
        const mainPrivileged = workload(STATEFUL_SET, "elasticsearch", podSpec([k8sContainer("sysctl", { securityContext: { privileged: true } })]));
        assert.equal((await check(noPrivilegedContainers, mainPrivileged, config)).length, 1);
    });
});
