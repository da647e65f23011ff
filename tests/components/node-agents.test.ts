import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "../../components/config/load";
import { DockerPlatform } from "../../components/platform/docker/platform";
import { KubernetesPlatform } from "../../components/platform/kubernetes/platform";
import { ServiceSpec } from "../../components/platform/types";
import { Registered, useMocks } from "../helpers/mocks";

/** A log shipper as the observability stack will declare it: one per node, reading the node's logs. */
const shipper: ServiceSpec = {
    name: "log-shipper",
    image: "fluent/fluent-bit:5.1.1",
    ports: [{ name: "http", port: 2020 }],
    resources: { cpu: 0.5, memoryMb: 256, cpuReservation: 0.1, memoryReservationMb: 128 },
    healthCheck: { command: ["true"], httpGet: { path: "/api/v1/health", port: 2020 }, intervalSeconds: 10, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 10 },
    hostMounts: [{ hostPath: "/var/log/pods", mountPath: "/var/log/pods" }],
    talksTo: ["elasticsearch"],
};

const kubernetesConfig = parseConfig({ platform: "kubernetes", kubernetes: { context: "test" }, proxy: { httpsPort: 443, httpPort: 80 }, ollama: { gpu: false }, backup: { enabled: false }, tls: { hostnames: ["llm.example.com"] } }).kubernetes;
/**
 * Until the registrations stop arriving (nothing new for half a second): a workload waits for its
 * error hook's registration (the first one starts the callback server) and the PriorityClass's name.
 */
async function settled(): Promise<void> {
    let [last, quiet] = [-1, 0];
    for (let i = 0; i < 200 && quiet < 10; i++) {
        quiet = registered.length === last ? quiet + 1 : 0;
        last = registered.length;
        await new Promise((r) => setTimeout(r, 50));
    }
}

let registered: Registered[];

describe("node agents (a ServiceSpec with hostMounts)", () => {
    beforeEach(async () => {
        registered = await useMocks();
    });

    it("run as a DaemonSet in their own privileged namespace, with default-deny, reading host paths read-only", async () => {
        const platform = new KubernetesPlatform("kubernetes", { namePrefix: "llm-platform-test", config: kubernetesConfig, labels: {} });
        platform.deploy(shipper, new pulumi.ComponentResource("test:index:Parent", "p", {}));
        await settled();
        const ds = registered.find((r) => r.type === "kubernetes:apps/v1:DaemonSet")!;
        assert.equal(ds.inputs.metadata.namespace, "llm-platform-node-agents");
        const pod = ds.inputs.spec.template.spec;
        assert.deepEqual(pod.volumes, [{ name: "host-0", hostPath: { path: "/var/log/pods", type: "Directory" } }]);
        assert.deepEqual(pod.containers[0].volumeMounts, [{ name: "host-0", mountPath: "/var/log/pods", readOnly: true }]);
        assert.equal(pod.containers[0].securityContext.allowPrivilegeEscalation, false);

        const namespaces = registered.filter((r) => r.type === "kubernetes:core/v1:Namespace").map((r) => r.inputs.metadata);
        assert.deepEqual(
            namespaces.map((m) => [m.name, m.labels["pod-security.kubernetes.io/enforce"]]).sort(),
            [["llm-platform", "restricted"], ["llm-platform-node-agents", "privileged"]],
        );
        const denies = registered.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && r.inputs.metadata.name === "default-deny");
        assert.deepEqual(denies.map((r) => r.inputs.metadata.namespace).sort(), ["llm-platform", "llm-platform-node-agents"]);
        assert.ok(registered.some((r) => r.type === "kubernetes:policy/v1:PodDisruptionBudget" && r.inputs.metadata.namespace === "llm-platform-node-agents"));
    });

    it("keep their volumes on their node (a writable hostPath under the platform's directory) and run once per node", async () => {
        const platform = new KubernetesPlatform("kubernetes", { namePrefix: "llm-platform-test", config: kubernetesConfig, labels: {} });
        const parent = new pulumi.ComponentResource("test:index:Parent", "p", {});
        assert.throws(() => platform.deploy({ ...shipper, replicas: 2 }, parent), /a node agent runs once per node, it has no replicas/);
        platform.deploy({ ...shipper, volumes: [{ name: "state", mountPath: "/state", sizeGb: 1 }] }, parent);
        await settled();
        const ds = registered.find((r) => r.type === "kubernetes:apps/v1:DaemonSet")!;
        const pod = ds.inputs.spec.template.spec;
        assert.deepEqual(pod.volumes.find((v: any) => v.name === "state"), {
            name: "state",
            hostPath: { path: "/var/lib/llm-platform/llm-platform-node-agents/log-shipper/state", type: "DirectoryOrCreate" },
        });
        assert.deepEqual(pod.containers[0].volumeMounts.find((m: any) => m.name === "state"), { name: "state", mountPath: "/state" });
        assert.equal(registered.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet").length, 0);
    });

    it("are named in their own namespace and get a headless Service, so each node's copy is reachable", async () => {
        const platform = new KubernetesPlatform("kubernetes", { namePrefix: "llm-platform-test", config: kubernetesConfig, labels: {} });
        const parent = new pulumi.ComponentResource("test:index:Parent", "p", {});
        platform.deploy(shipper, parent);
        await settled();
        assert.equal(platform.hostOf("log-shipper"), "log-shipper.llm-platform-node-agents.svc.cluster.local");
        assert.equal(platform.hostOf("elasticsearch"), "elasticsearch.llm-platform.svc.cluster.local");
        const service = registered.find((r) => r.type === "kubernetes:core/v1:Service")!;
        assert.equal(service.inputs.metadata.namespace, "llm-platform-node-agents");
        assert.equal(service.inputs.spec.clusterIP, "None");
        // Its flows reach elasticsearch in the main namespace.
        const flows = registered.find((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && r.name === "log-shipper-flows")!;
        assert.deepEqual(flows.inputs.spec.egress, [
            {
                to: [
                    {
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "llm-platform" } },
                        podSelector: { matchLabels: { "app.kubernetes.io/name": "elasticsearch" } },
                    },
                ],
            },
        ]);
    });

    it("get their host paths as read-only bind mounts on Docker", async () => {
        const platform = new DockerPlatform("docker", { namePrefix: "llm-platform-test", subnet: "10.99.0.0/24", logMaxSizeMb: 10, logMaxFiles: 2, labels: {}, pullTimeoutMinutes: 90, swapLimit: true });
        platform.deploy({ ...shipper, talksTo: [] }, new pulumi.ComponentResource("test:index:Parent", "p", {}));
        await settled();
        const container = registered.find((r) => r.type === "docker:index/container:Container")!;
        assert.deepEqual(container.inputs.volumes, [{ hostPath: "/var/log/pods", containerPath: "/var/log/pods", readOnly: true }]);
    });
});
