/**
 * Pod hardening as Pod Security "restricted" and the peers read it (Polaris linuxHardening,
 * insecureCapabilities, automountServiceAccountToken, pullPolicyNotAlways; kube-score
 * container-seccomp-profile, container-image-pull-policy; Checkov CKV_K8S_28, CKV_K8S_31,
 * CKV_K8S_37, CKV_K8S_38, CKV_K8S_15), on objects shaped as @pulumi/kubernetes sends them.
 */
import { strict as assert } from "assert";
import { containerSandbox } from "../../policies/rules/container-sandbox";
import { kubernetesImagePullPolicy } from "../../policies/rules/images";
import { kubernetesServiceAccountTokens } from "../../policies/rules/service-account-tokens";
import { CRON_JOB, DEPLOYMENT, JOB, k8sContainer, NAMESPACE, podSpec, STATEFUL_SET, workload } from "./helpers/kubernetes-fixtures";
import { check, messages, resource } from "./helpers/run";

const RUNTIME_DEFAULT = { seccompProfile: { type: "RuntimeDefault" } };
const hardened = (overrides: Record<string, any> = {}) => k8sContainer("qdrant", { image: "qdrant/qdrant:v1.19.2-unprivileged", imagePullPolicy: "Always", ...overrides });
const qdrant = (container: Record<string, any> = {}, pod: Record<string, any> = RUNTIME_DEFAULT, type = STATEFUL_SET) =>
    workload(type, "qdrant", podSpec([hardened(container)], [], { securityContext: { fsGroup: 1000, ...pod }, automountServiceAccountToken: false }));
const DIGEST = "qdrant/qdrant:v1.19.2-unprivileged@sha256:3c1b4f0fa2a5e77a8d5f0b8d0c0b6c6b1d6c0a49c2b9a0e1d6f6b3a5d2f1e0c9";

/** A DeploymentPatch as @pulumi/kubernetes registers it: the partial object it server-side-applies. */
const deploymentPatch = (containers: Record<string, any>[], pod: Record<string, any> = {}) =>
    resource("kubernetes:apps/v1:DeploymentPatch", "proxy-patch", {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "proxy", namespace: NAMESPACE, annotations: { "pulumi.com/patchForce": "true" } },
        spec: { template: { spec: { ...pod, containers } } },
    }, "prod");

describe("policy container-sandbox: capabilities and seccomp as Pod Security restricted requires", () => {
    it("passes drop ALL with NET_BIND_SERVICE added back, and RuntimeDefault or Localhost set on the pod or the container", async () => {
        const cases = [
            qdrant(),
            qdrant({ securityContext: { ...hardened().securityContext, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } } }),
            qdrant({ securityContext: { ...hardened().securityContext, seccompProfile: { type: "RuntimeDefault" } } }, {}),
            qdrant({}, { seccompProfile: { type: "Localhost", localhostProfile: "profiles/qdrant.json" } }),
            // The container's own profile is what it runs with (Polaris success.seccomp_profile_unconfined_for_pod_but_set_for_container).
            qdrant({ securityContext: { ...hardened().securityContext, seccompProfile: { type: "RuntimeDefault" } } }, { seccompProfile: { type: "Unconfined" } }),
        ];
        for (const w of cases) assert.deepEqual(messages(await check(containerSandbox, w)), [], JSON.stringify(w.props.spec.template.spec));
    });

    it("fails a container that drops nothing, drops only some, or writes 'all' (Pod Security admission compares \"ALL\" exactly)", async () => {
        const context = (capabilities: Record<string, any> | undefined) => ({ securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, ...(capabilities ? { capabilities } : {}) } });
        for (const [capabilities, found] of [
            [undefined, "is not set"],
            [{ drop: ["NET_RAW"] }, 'is ["NET_RAW"]'],
            [{ drop: ["all"] }, 'is ["all"]'],
        ] as const) {
            assert.deepEqual(messages(await check(containerSandbox, qdrant(context(capabilities)))), [
                `kubernetes:apps/v1:StatefulSet "qdrant" container "qdrant": securityContext.capabilities.drop ${found}; required: ["ALL"] (add back only NET_BIND_SERVICE)`,
            ]);
        }
    });

    it("fails a container without an effective seccomp profile: none anywhere, Unconfined inherited or its own, Localhost without a profile", async () => {
        const unset = messages(await check(containerSandbox, qdrant({}, {})));
        assert.deepEqual(unset, [
            'kubernetes:apps/v1:StatefulSet "qdrant" container "qdrant": no seccompProfile is set (neither the container\'s nor the pod\'s securityContext), so the container runs Unconfined; required: a seccompProfile of type RuntimeDefault or Localhost on the container or its pod',
        ]);
        const own = hardened({ securityContext: { ...hardened().securityContext, seccompProfile: { type: "Unconfined" } } });
        // The container's Unconfined wins over the pod's RuntimeDefault (Polaris failure.seccomp_profile_container_overrides_pod).
        assert.match(messages(await check(containerSandbox, workload(DEPLOYMENT, "qdrant", podSpec([own], [], { securityContext: RUNTIME_DEFAULT }))))[0], /container "qdrant": securityContext.seccompProfile.type is Unconfined/);
        assert.match(messages(await check(containerSandbox, qdrant({}, { seccompProfile: { type: "Localhost" } })))[0], /Localhost without localhostProfile/);
        // Init containers and CronJob containers are held too.
        const cron = workload(CRON_JOB, "qdrant", podSpec([hardened({ name: "upload" })], [hardened({ name: "snapshot", securityContext: { allowPrivilegeEscalation: false } })]), "qdrant-backup");
        const found = messages(await check(containerSandbox, cron));
        assert.equal(found.length, 3, found.join("\n"));
        assert.match(found.join("\n"), /init container "snapshot": securityContext.capabilities.drop is not set/);
    });

    it("reads workloads of the removed extensions/v1beta1 group too", async () => {
        const old = qdrant({ securityContext: { allowPrivilegeEscalation: false } });
        const legacy = { ...old, type: "kubernetes:extensions/v1beta1:DaemonSet", props: { ...old.props, apiVersion: "extensions/v1beta1", kind: "DaemonSet" } };
        assert.match(messages(await check(containerSandbox, legacy))[0] ?? "", /DaemonSet "qdrant" container "qdrant": securityContext.capabilities.drop is not set/);
    });

    it("judges what a DeploymentPatch sets and leaves what it omits to the live object", async () => {
        assert.deepEqual(await check(containerSandbox, deploymentPatch([{ name: "proxy", image: "nginx:1.30.5-alpine" }])), []);
        const loosened = deploymentPatch([{ name: "proxy", securityContext: { capabilities: { drop: ["NET_RAW"], add: ["SYS_ADMIN"] } } }], { securityContext: { seccompProfile: { type: "Unconfined" } } });
        assert.deepEqual(messages(await check(containerSandbox, loosened)), [
            'kubernetes:apps/v1:DeploymentPatch "proxy-patch" container "proxy": adds capabilities SYS_ADMIN; required: none beyond NET_BIND_SERVICE',
            'kubernetes:apps/v1:DeploymentPatch "proxy-patch" container "proxy": securityContext.capabilities.drop is ["NET_RAW"]; required: ["ALL"] (add back only NET_BIND_SERVICE)',
            "kubernetes:apps/v1:DeploymentPatch \"proxy-patch\" container \"proxy\": the pod's securityContext.seccompProfile.type is Unconfined; required: a seccompProfile of type RuntimeDefault or Localhost on the container or its pod",
        ]);
    });
});

describe("policy kubernetes-image-pull-policy", () => {
    it("passes Always for a tag, IfNotPresent (or unset) for a digest", async () => {
        const cases = [qdrant(), qdrant({ image: DIGEST, imagePullPolicy: "IfNotPresent" }), qdrant({ image: DIGEST, imagePullPolicy: undefined }), qdrant({ image: DIGEST })];
        for (const w of cases) assert.deepEqual(await check(kubernetesImagePullPolicy, w), []);
    });

    it("fails a tag-pinned image left to IfNotPresent (set or by default), and Never", async () => {
        for (const [policy, shown] of [[undefined, "not set (IfNotPresent)"], ["IfNotPresent", "IfNotPresent"], ["Never", "Never"]] as const) {
            assert.deepEqual(messages(await check(kubernetesImagePullPolicy, qdrant({ imagePullPolicy: policy }))), [
                `kubernetes:apps/v1:StatefulSet "qdrant" container "qdrant": image qdrant/qdrant:v1.19.2-unprivileged is pinned by tag only and imagePullPolicy is ${shown}; required: Always (or pin the image by @sha256 digest)`,
            ]);
        }
        assert.match(messages(await check(kubernetesImagePullPolicy, qdrant({ image: DIGEST, imagePullPolicy: "Never" })))[0], /pinned by digest and imagePullPolicy is Never; required: IfNotPresent or Always$/);
        const job = workload(JOB, "qdrant", podSpec([hardened({ name: "collection", image: "curlimages/curl:8.22.0", imagePullPolicy: undefined })]), "qdrant-collection");
        assert.equal((await check(kubernetesImagePullPolicy, job)).length, 1);
    });

    it("judges a patch that sets both image and policy, not one that leaves the policy to the live object", async () => {
        assert.deepEqual(await check(kubernetesImagePullPolicy, deploymentPatch([{ name: "proxy", image: "nginx:1.30.5-alpine" }])), []);
        assert.equal((await check(kubernetesImagePullPolicy, deploymentPatch([{ name: "proxy", image: "nginx:1.30.5-alpine", imagePullPolicy: "IfNotPresent" }]))).length, 1);
    });
});

describe("policy kubernetes-service-account-token", () => {
    const account = (name: string, automount: boolean | undefined, namespace = NAMESPACE) =>
        resource("kubernetes:core/v1:ServiceAccount", `${name}-account`, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace }, ...(automount === undefined ? {} : { automountServiceAccountToken: automount }) }, "prod");
    const pod = (automount: boolean | undefined, serviceAccountName?: string) =>
        workload(DEPLOYMENT, "grafana", podSpec([hardened({ name: "grafana" })], [], { ...(serviceAccountName ? { serviceAccountName } : {}), ...(automount === undefined ? {} : { automountServiceAccountToken: automount }) }));

    it("passes a pod spec or its ServiceAccount set to false (the pod spec wins), and an account a binding of the stack grants", async () => {
        assert.deepEqual(await check(kubernetesServiceAccountTokens, [pod(false)]), []);
        assert.deepEqual(await check(kubernetesServiceAccountTokens, [pod(undefined, "grafana"), account("grafana", false)]), []);
        assert.deepEqual(await check(kubernetesServiceAccountTokens, [pod(false, "grafana"), account("grafana", true)]), []);
        const binding = resource("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "grafana-reader", {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name: "grafana-reader", namespace: NAMESPACE },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "configmap-reader" },
            subjects: [{ kind: "ServiceAccount", name: "grafana", namespace: NAMESPACE }],
        }, "prod");
        assert.deepEqual(await check(kubernetesServiceAccountTokens, [pod(undefined, "grafana"), account("grafana", undefined), binding]), []);
        assert.deepEqual(await check(kubernetesServiceAccountTokens, [pod(true)], { apiServiceAccounts: [`${NAMESPACE}/default`] }), []);
    });

    it("fails a token mounted by default, by the pod spec, or through a ServiceAccount that allows it, without a binding", async () => {
        const found = messages(await check(kubernetesServiceAccountTokens, [pod(undefined)]));
        assert.deepEqual(found, [
            `kubernetes:apps/v1:Deployment "grafana": mounts a Kubernetes API token: the pod spec does not set automountServiceAccountToken and ServiceAccount ${NAMESPACE}/default is not part of the stack (Kubernetes mounts by default), and no binding of the stack grants ${NAMESPACE}/default permissions; required: automountServiceAccountToken false on the pod spec (or on its ServiceAccount), or the account in apiServiceAccounts`,
        ]);
        assert.match(messages(await check(kubernetesServiceAccountTokens, [pod(undefined, "grafana"), account("grafana", undefined)]))[0], /neither the pod spec nor ServiceAccount llm-platform\/grafana sets automountServiceAccountToken false/);
        // The pod spec's true wins over the account's false (Polaris failure.pod_true_serviceaccount_false).
        assert.match(messages(await check(kubernetesServiceAccountTokens, [pod(true, "grafana"), account("grafana", false)]))[0], /spec.automountServiceAccountToken is true/);
        // An account of the same name in another namespace is another account.
        assert.equal((await check(kubernetesServiceAccountTokens, [pod(undefined, "grafana"), account("grafana", false, "other")])).length, 1);
        assert.equal((await check(kubernetesServiceAccountTokens, [deploymentPatch([{ name: "proxy" }], { automountServiceAccountToken: true })])).length, 1);
        assert.deepEqual(await check(kubernetesServiceAccountTokens, [deploymentPatch([{ name: "proxy" }])]), []);
    });
});
