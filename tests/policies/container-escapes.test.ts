import { strict as assert } from "assert";
import { containerSandbox } from "../../policies/rules/container-sandbox";
import { noHostAccess } from "../../policies/rules/host-access";
import { dockerSecretsInEnv } from "../../policies/rules/secret-env";
import { container, sqlServerContainer } from "./helpers/docker-fixtures";
import { DAEMON_SET, DEPLOYMENT, k8sContainer, podSpec, sqlServerStatefulSet, workload } from "./helpers/kubernetes-fixtures";
import { check, messages } from "./helpers/run";

const AGENTS = "llm-platform-node-agents";
const fluentBit = (spec: Record<string, any>, namespace = AGENTS) =>
    workload(DAEMON_SET, "fluent-bit", podSpec([k8sContainer("fluent-bit", { image: "fluent/fluent-bit:5.1.1" })], [], spec), "fluent-bit", "prod", namespace);
const varLog = { volumes: [{ name: "varlog", hostPath: { path: "/var/log", type: "Directory" } }] };

describe("policy no-host-access", () => {
    it("passes named volumes, and host access by node agents in their namespace or Docker service", async () => {
        const dataVolume = container("redis", { volumes: [{ volumeName: "llm-platform-dev-redis-data", containerPath: "/data" }] });
        const exporter = workload(DAEMON_SET, "node-exporter", podSpec([k8sContainer("node-exporter")], [], { hostNetwork: true, hostPID: true }), "node-exporter", "prod", AGENTS);
        assert.deepEqual(await check(noHostAccess, [dataVolume, sqlServerStatefulSet(), fluentBit(varLog), exporter]), []);
        const shipper = container("filebeat", { mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: true }], volumes: [{ hostPath: "/var/lib/docker/containers", containerPath: "/var/lib/docker/containers", readOnly: true }] });
        assert.deepEqual(await check(noHostAccess, shipper, { nodeAgentServices: ["filebeat"] }), []);
        const labelled = container("filebeat", { labels: [{ label: "llm-platform.service", value: "filebeat" }, { label: "llm-platform.role", value: "node-agent" }], volumes: shipper.props.volumes });
        assert.deepEqual(await check(noHostAccess, labelled), []);
        assert.equal((await check(noHostAccess, { ...labelled, props: { ...labelled.props, labels: [] } })).length, 1);
    });

    it("fails hostPath and host namespaces outside the node-agent namespace", async () => {
        const found = messages(await check(noHostAccess, fluentBit({ ...varLog, hostNetwork: true, hostIPC: true }, "llm-platform")));
        assert.deepEqual(found, [
            'kubernetes:apps/v1:DaemonSet "fluent-bit": hostNetwork is true in namespace llm-platform, which is not a node-agent namespace (llm-platform-node-agents, llm-platform-staging-node-agents); required: hostNetwork not true',
            'kubernetes:apps/v1:DaemonSet "fluent-bit": hostIPC is true in namespace llm-platform, which is not a node-agent namespace (llm-platform-node-agents, llm-platform-staging-node-agents); required: hostIPC not true',
            'kubernetes:apps/v1:DaemonSet "fluent-bit": volume "varlog" is hostPath /var/log in namespace llm-platform, which is not a node-agent namespace (llm-platform-node-agents, llm-platform-staging-node-agents); required: a PersistentVolumeClaim, emptyDir, ConfigMap or Secret',
        ]);
        const sock = workload(DEPLOYMENT, "proxy", podSpec([k8sContainer("proxy")], [], { volumes: [{ name: "sock", hostPath: { path: "/run/containerd/containerd.sock" } }] }));
        assert.match(messages(await check(noHostAccess, sock))[0], /hostPath \/run\/containerd\/containerd.sock \(the container-runtime socket\)/);
    });

    it("fails Docker host network/PID/IPC modes, bind mounts and docker.sock, and writable mounts of node agents", async () => {
        const host = container("ollama", { networkMode: "host", pidMode: "host", ipcMode: "host" });
        const found = messages(await check(noHostAccess, host));
        assert.equal(found.length, 3);
        assert.match(found[0], /Container "ollama": networkMode is "host", so every port listens on every host interface/);
        const sock = container("grafana", { mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: true }] });
        assert.match(messages(await check(noHostAccess, sock))[0], /mounts the container-runtime socket \/var\/run\/docker.sock, which owns the host \(read-only\); required: a named volume/);
        const bind = container("qdrant", { volumes: [{ hostPath: "/home/me/qdrant", containerPath: "/qdrant/storage" }] });
        assert.match(messages(await check(noHostAccess, bind))[0], /bind-mounts the host path \/home\/me\/qdrant/);
        const writable = container("filebeat", { mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" }] });
        assert.match(messages(await check(noHostAccess, writable, { nodeAgentServices: ["filebeat"] }))[0], /required: readOnly true/);
    });
});

describe("policy container-sandbox", () => {
    it("passes dropped capabilities, NET_BIND_SERVICE and the default seccomp profile", async () => {
        const proxy = container("proxy", { capabilities: { adds: ["NET_BIND_SERVICE"], drops: ["ALL"] }, securityOpts: ["no-new-privileges:true"] });
        const sts = sqlServerStatefulSet({}, []);
        sts.props.spec.template.spec.securityContext.seccompProfile = { type: "RuntimeDefault" };
        assert.deepEqual(await check(containerSandbox, [proxy, sts]), []);
    });

    it("fails added capabilities and unconfined seccomp/AppArmor on both platforms", async () => {
        assert.match(messages(await check(containerSandbox, container("ollama", { capabilities: { adds: ["CAP_SYS_ADMIN", "NET_BIND_SERVICE"] } })))[0], /adds capabilities SYS_ADMIN; required: none beyond NET_BIND_SERVICE/);
        assert.match(messages(await check(containerSandbox, container("ollama", { securityOpts: ["seccomp=unconfined"] })))[0], /securityOpts "seccomp=unconfined" turns the seccomp profile off/);
        const sts = sqlServerStatefulSet({ securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ["NET_ADMIN"] }, appArmorProfile: { type: "Unconfined" } } });
        sts.props.spec.template.spec.securityContext.seccompProfile = { type: "Unconfined" };
        assert.deepEqual(messages(await check(containerSandbox, sts)), [
            'kubernetes:apps/v1:StatefulSet "sqlserver" container "sqlserver": adds capabilities NET_ADMIN; required: none beyond NET_BIND_SERVICE',
            'kubernetes:apps/v1:StatefulSet "sqlserver" container "sqlserver": securityContext.capabilities.drop is not set; required: ["ALL"] (add back only NET_BIND_SERVICE)',
            "kubernetes:apps/v1:StatefulSet \"sqlserver\" container \"sqlserver\": the pod's securityContext.seccompProfile.type is Unconfined; required: a seccompProfile of type RuntimeDefault or Localhost on the container or its pod",
            'kubernetes:apps/v1:StatefulSet "sqlserver" container "sqlserver": securityContext.appArmorProfile.type is Unconfined; required: RuntimeDefault or Localhost',
        ]);
    });
});

describe("policy docker-secrets-in-env (advisory)", () => {
    it("lists Docker env vars named like secrets, as advisory, and nothing else", async () => {
        const [v] = await check(dockerSecretsInEnv, sqlServerContainer());
        assert.equal(v.enforcementLevel, "advisory");
        assert.match(v.message, /Container "sqlserver": env MSSQL_SA_PASSWORD carries a secret/);
        assert.deepEqual(await check(dockerSecretsInEnv, container("ollama", { envs: ["OLLAMA_KEEP_ALIVE=24h", "OLLAMA_HOST=0.0.0.0"] })), []);
    });
});
