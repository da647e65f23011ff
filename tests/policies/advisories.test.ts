import { strict as assert } from "assert";
import { containerNonRoot, helmReleaseOpaque, kubernetesEphemeralStorage } from "../../policies/rules/advisories";
import { databasePortsNotPublic } from "../../policies/rules/published-ports";
import { container } from "./helpers/docker-fixtures";
import { DEPLOYMENT, JOB, k8sContainer, podSpec, resources, sqlServerStatefulSet, STATEFUL_SET, workload } from "./helpers/kubernetes-fixtures";
import { check, messages, resource } from "./helpers/run";

const release = (values: Record<string, any>) =>
    resource("kubernetes:helm.sh/v3:Release", "fluent-bit", { chart: "fluent-bit", version: "0.54.0", namespace: "llm-platform-node-agents", repositoryOpts: { repo: "https://fluent.github.io/helm-charts" }, values }, "prod");

describe("policy helm-release-opaque (advisory)", () => {
    it("notes a Release as unchecked beyond the images and resources its values set (which the mandatory rules judge)", async () => {
        const [v] = await check(helmReleaseOpaque, release({ image: { repository: "cr.fluentbit.io/fluent/fluent-bit", tag: "latest" }, resources: {}, sidecar: { image: "busybox:1.37.0" } }));
        assert.equal(v.enforcementLevel, "advisory");
        assert.match(v.message, /chart fluent-bit@0.54.0 deploys objects the policy pack cannot check; read from its values: 2 image\(s\), 1 resources block\(s\) \(the chart's own defaults and everything else it renders are not seen\); prefer/);
        const clean = release({ image: { repository: "cr.fluentbit.io/fluent/fluent-bit", tag: "5.1.1" }, resources: { limits: { cpu: "200m", memory: "256Mi" } } });
        assert.deepEqual(await check(helmReleaseOpaque, clean, { reportOpaque: false }), []);
        assert.equal((await check(helmReleaseOpaque, release({ tolerations: [] }), { reportOpaque: false })).length, 1);
    });
});

describe("policy kubernetes-ephemeral-storage (advisory)", () => {
    const ollama = (limits: Record<string, string>, extra: Record<string, any> = {}) =>
        workload(DEPLOYMENT, "ollama", podSpec([k8sContainer("ollama", { resources: { requests: { cpu: "2", memory: "8Gi" }, limits: { cpu: "4", memory: "16Gi", ...limits } }, ...extra })]));

    it("passes disk-heavy services with an ephemeral-storage limit, and other services without emptyDirs", async () => {
        assert.deepEqual(await check(kubernetesEphemeralStorage, [ollama({ "ephemeral-storage": "20Gi" }), sqlServerStatefulSet()]), []);
    });

    it("notes disk-heavy services and unbounded emptyDir mounts without a limit", async () => {
        const [v] = await check(kubernetesEphemeralStorage, ollama({}));
        assert.equal(v.enforcementLevel, "advisory");
        assert.match(v.message, /container "ollama": service ollama is in diskHeavyServices and sets no resources.limits\["ephemeral-storage"\]/);
        const scratch = workload(STATEFUL_SET, "timescale", podSpec([k8sContainer("timescale", { resources: resources("1", "1Gi", "2", "2Gi"), volumeMounts: [{ name: "tmp", mountPath: "/tmp" }] })], [], { volumes: [{ name: "tmp", emptyDir: {} }] }));
        assert.match(messages(await check(kubernetesEphemeralStorage, scratch))[0], /mounts an emptyDir without sizeLimit/);
    });
});

describe("policy container-non-root (advisory)", () => {
    it("passes non-root, read-only containers and services listed as needing root", async () => {
        const sts = sqlServerStatefulSet({ securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false } });
        assert.deepEqual(await check(containerNonRoot, sts), []);
        assert.deepEqual(await check(containerNonRoot, sqlServerStatefulSet(), { rootServices: ["sqlserver"] }), []);
    });

    it("notes what is missing, per container, Jobs included", async () => {
        const job = workload(JOB, "qdrant", podSpec([k8sContainer("collection", { securityContext: {} })]), "qdrant-collection");
        const [v] = await check(containerNonRoot, job);
        assert.equal(v.enforcementLevel, "advisory");
        assert.match(v.message, /container "collection": recommended: runAsNonRoot true and readOnlyRootFilesystem true/);
    });
});

describe("policy database-ports-not-public: Docker publishAllPorts", () => {
    it("fails publishAllPorts on a non-public service", async () => {
        assert.match(messages(await check(databasePortsNotPublic, container("qdrant", { publishAllPorts: true })))[0], /publishAllPorts is true, so every exposed port of the image is published on every interface/);
        assert.deepEqual(await check(databasePortsNotPublic, container("qdrant", { publishAllPorts: false })), []);
    });
});
