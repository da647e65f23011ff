/**
 * Changes that do not arrive as whole objects: `*Patch` resources of @pulumi/kubernetes
 * (server-side apply of a partial object: what they set counts, what they omit stays live)
 * and Helm Releases (only their inline `values` are readable).
 */
import { strict as assert } from "assert";
import { noHostAccess } from "../../policies/rules/host-access";
import { imagesPinned } from "../../policies/rules/images";
import { kubernetesContainerResources } from "../../policies/rules/kubernetes-limits";
import { kubernetesProbes } from "../../policies/rules/kubernetes-probes";
import { noPrivilegeEscalation } from "../../policies/rules/privilege-escalation";
import { noPrivilegedContainers } from "../../policies/rules/privileged";
import { kubernetesSecretsNotInEnv } from "../../policies/rules/secret-env";
import { NAMESPACE } from "./helpers/kubernetes-fixtures";
import { check, messages, resource } from "./helpers/run";

/** The partial objects @pulumi/kubernetes sends for a StatefulSetPatch and a CronJobPatch. */
const statefulSetPatch = (container: Record<string, any>, pod: Record<string, any> = {}) =>
    resource("kubernetes:apps/v1:StatefulSetPatch", "sqlserver-tune", {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: "sqlserver", namespace: NAMESPACE, annotations: { "pulumi.com/patchForce": "true" } },
        spec: { template: { spec: { ...pod, containers: [{ name: "sqlserver", ...container }] } } },
    }, "prod");
const cronJobPatch = (container: Record<string, any>) =>
    resource("kubernetes:batch/v1:CronJobPatch", "backup-tune", {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: { name: "sqlserver-backup-full", namespace: NAMESPACE },
        spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "upload", ...container }] } } } } },
    }, "prod");

describe("*Patch resources: judged on what they set", () => {
    it("pass when they touch nothing a rule is about (the live object keeps its limits, probes, escalation setting)", async () => {
        const quiet = statefulSetPatch({ env: [{ name: "MSSQL_AGENT_ENABLED", value: "true" }] });
        for (const policy of [imagesPinned, kubernetesContainerResources, noPrivilegeEscalation, noPrivilegedContainers, kubernetesProbes, noHostAccess, kubernetesSecretsNotInEnv]) {
            assert.deepEqual(await check(policy, quiet), [], policy.name);
        }
    });

    it("fail an unpinned image, broken resources, escalation, privilege, host namespaces and a literal secret they set", async () => {
        assert.match(messages(await check(imagesPinned, statefulSetPatch({ image: "mcr.microsoft.com/mssql/server:2025-latest" })))[0], /StatefulSetPatch "sqlserver-tune" container "sqlserver": image mcr.microsoft.com\/mssql\/server:2025-latest uses the floating tag '2025-latest'/);
        assert.match(messages(await check(imagesPinned, cronJobPatch({ image: "amazon/aws-cli" })))[0], /CronJobPatch "backup-tune" container "upload": image amazon\/aws-cli has no tag/);
        assert.deepEqual(messages(await check(kubernetesContainerResources, statefulSetPatch({ resources: { requests: { memory: "8Gi" }, limits: { memory: "4Gi" } } }))), [
            'kubernetes:apps/v1:StatefulSetPatch "sqlserver-tune" container "sqlserver": resources.requests.memory is 8Gi, above its limit (resources.limits.memory 4Gi); required: request <= its limit',
        ]);
        assert.match(messages(await check(kubernetesContainerResources, statefulSetPatch({ resources: { limits: { memory: "4096m" } } })))[0], /resources.limits.memory is "4096m" \("m" is milli/);
        assert.match(messages(await check(noPrivilegeEscalation, statefulSetPatch({ securityContext: { allowPrivilegeEscalation: true } })))[0], /allowPrivilegeEscalation is true; required: false/);
        assert.match(messages(await check(noPrivilegedContainers, statefulSetPatch({ securityContext: { privileged: true } })))[0], /StatefulSetPatch "sqlserver-tune" container "sqlserver": runs privileged/);
        assert.match(messages(await check(noHostAccess, statefulSetPatch({}, { hostPID: true })))[0], /StatefulSetPatch "sqlserver-tune": hostPID is true in namespace llm-platform/);
        assert.match(messages(await check(kubernetesSecretsNotInEnv, statefulSetPatch({ env: [{ name: "MSSQL_SA_PASSWORD", value: "Aa1-Bb2_0c2e7d1f" }] })))[0], /env MSSQL_SA_PASSWORD is a literal value/);
    });

    it("are not held to fields only a whole object must have", async () => {
        // Probes and requests are required of a StatefulSet, not of a patch that leaves them live.
        assert.deepEqual(await check(kubernetesProbes, statefulSetPatch({ image: "mcr.microsoft.com/mssql/server:2025-CU9-ubuntu-22.04" })), []);
        assert.deepEqual(await check(kubernetesContainerResources, statefulSetPatch({ resources: { limits: { memory: "6Gi" } } })), []);
    });
});

describe("Helm Releases: judged as far as their values allow", () => {
    const release = (values: Record<string, any>, version: string | null = "25.4.1") =>
        resource("kubernetes:helm.sh/v3:Release", "monitoring", {
            chart: "kube-prometheus-stack",
            ...(version === null ? {} : { version }),
            namespace: "monitoring",
            repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" },
            values,
        }, "prod");

    it("passes a pinned chart whose values pin images (or leave the tag to the chart) and set full resources", async () => {
        const values = {
            prometheus: { prometheusSpec: { image: { registry: "quay.io", repository: "prometheus/prometheus", tag: "v3.14.0" }, resources: { requests: { cpu: "500m", memory: "2Gi" }, limits: { cpu: "2", memory: "4Gi" } } } },
            grafana: { image: { repository: "grafana/grafana" }, sidecar: { image: "quay.io/kiwigrid/k8s-sidecar:1.30.3" } },
        };
        assert.deepEqual(await check(imagesPinned, release(values)), []);
        assert.deepEqual(await check(kubernetesContainerResources, release(values)), []);
    });

    it("fails an unpinned chart version, and images the values leave floating (string or object, registry joined)", async () => {
        assert.deepEqual(messages(await check(imagesPinned, release({}, null))), [
            'kubernetes:helm.sh/v3:Release "monitoring": chart kube-prometheus-stack version is null, so its templates and the images they default to change with every chart release; required: an exact chart version such as "1.2.3"',
        ]);
        assert.equal((await check(imagesPinned, release({}, "^25.0.0"))).length, 1);
        const found = messages(await check(imagesPinned, release({ alertmanager: { image: { registry: "quay.io", repository: "prometheus/alertmanager", tag: "latest" } }, sidecar: { image: "busybox" } })));
        assert.deepEqual(found.map((m) => m.replace(/; required: .*/, "")), [
            "kubernetes:helm.sh/v3:Release \"monitoring\" values.alertmanager.image: image quay.io/prometheus/alertmanager:latest uses the floating tag 'latest'",
            "kubernetes:helm.sh/v3:Release \"monitoring\" values.sidecar.image: image busybox has no tag, so Docker pulls 'latest'",
        ]);
    });

    it("fails resources its values set without limits, above their limits, or in milli-bytes", async () => {
        const found = messages(await check(kubernetesContainerResources, release({ grafana: { resources: { requests: { cpu: "100m", memory: "128Mi" } } }, kubeStateMetrics: { resources: { requests: { cpu: "1", memory: "512m" }, limits: { cpu: "500m", memory: "512m" } } } })));
        assert.deepEqual(found, [
            'kubernetes:helm.sh/v3:Release "monitoring" values.grafana.resources: limits.cpu is not set; required: a quantity such as "500m" (cpu) or "512Mi" (memory)',
            'kubernetes:helm.sh/v3:Release "monitoring" values.grafana.resources: limits.memory is not set; required: a quantity such as "500m" (cpu) or "512Mi" (memory)',
            'kubernetes:helm.sh/v3:Release "monitoring" values.kubeStateMetrics.resources: requests.cpu is 1, above its limit (limits.cpu 500m); required: request <= its limit',
            'kubernetes:helm.sh/v3:Release "monitoring" values.kubeStateMetrics.resources: requests.memory is "512m" ("m" is milli: 0.512 bytes); required: a size such as "512Mi"',
        ]);
    });
});
