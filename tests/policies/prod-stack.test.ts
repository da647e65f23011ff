import { strict as assert } from "assert";
import { policyResources } from "../../harness/policy-report";
import { runStack } from "../../harness/run-stack";
import { OfflineResource, runPolicyPack } from "../../policies/rules/offline";

/** Mandatory violations of the pack on these resources, as [policy, resource name]. */
async function mandatory(resources: OfflineResource[]): Promise<[string, string | undefined][]> {
    return (await runPolicyPack(resources)).filter((v) => v.enforcementLevel === "mandatory").map((v) => [v.policy, v.resource?.name]);
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));

describe("the policy pack on the prod stack (Pulumi.prod.yaml with example owner values, under mocks)", function () {
    let prod: OfflineResource[];
    const change = (match: (r: OfflineResource) => boolean, edit: (props: Record<string, any>) => void) =>
        prod.map((r) => {
            if (!match(r)) return r;
            const props = clone(r.props);
            edit(props);
            return { ...r, props };
        });

    before(async function () {
        prod = policyResources(await runStack("prod", { exampleUserValues: true }));
    });

    it("finds no mandatory violation, and sees the Kubernetes objects its rules are about", async () => {
        const types = new Set(prod.map((r) => r.type));
        for (const type of ["kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:Deployment", "kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:networking.k8s.io/v1:NetworkPolicy", "kubernetes:core/v1:ConfigMap"]) {
            assert.ok(types.has(type), `the prod stack registers ${type}`);
        }
        assert.deepEqual(await mandatory(prod), []);
    });

    it("blocks the stack without a workload's PodDisruptionBudget or the namespace's default deny", async () => {
        assert.deepEqual(await mandatory(prod.filter((r) => r.name !== "qdrant-pdb")), [["kubernetes-pod-disruption-budgets", "qdrant"]]);
        const noDeny = await mandatory(prod.filter((r) => r.name !== "llm-platform-default-deny"));
        assert.equal(noDeny.length, 1);
        assert.equal(noDeny[0][0], "kubernetes-default-deny-network-policy");
    });

    it("blocks a missing probe, privilege escalation, a literal secret and a hostPath", async () => {
        const isSqlServer = (r: OfflineResource) => r.type === "kubernetes:apps/v1:StatefulSet" && r.name === "sqlserver";
        const main = (props: Record<string, any>) => props.spec.template.spec.containers[0];
        assert.deepEqual(await mandatory(change(isSqlServer, (p) => delete main(p).livenessProbe)), [["kubernetes-probes", "sqlserver"]]);
        assert.deepEqual(await mandatory(change(isSqlServer, (p) => (main(p).securityContext.allowPrivilegeEscalation = true))), [["kubernetes-no-privilege-escalation", "sqlserver"]]);
        assert.deepEqual(await mandatory(change(isSqlServer, (p) => main(p).env.push({ name: "MSSQL_SA_PASSWORD", value: "literal-password" }))), [["kubernetes-secrets-not-literal-env", "sqlserver"]]);
        const hostPath = change(isSqlServer, (p) => p.spec.template.spec.volumes.push({ name: "host", hostPath: { path: "/var/log" } }));
        assert.deepEqual(await mandatory(hostPath), [["no-host-access", "sqlserver"]]);
    });

    it("blocks a tag pulled IfNotPresent, a mounted API token, a budget that blocks drains and a secret in a ConfigMap", async () => {
        const isProxy = (r: OfflineResource) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "proxy";
        const pod = (props: Record<string, any>) => props.spec.template.spec;
        assert.deepEqual(await mandatory(change(isProxy, (p) => delete pod(p).containers[0].imagePullPolicy)), [["kubernetes-image-pull-policy", "proxy"]]);
        // Its ServiceAccount mounts no token either: the pod spec alone no longer decides.
        assert.deepEqual(await mandatory(change(isProxy, (p) => delete pod(p).automountServiceAccountToken)), []);
        assert.deepEqual(await mandatory(change(isProxy, (p) => (pod(p).automountServiceAccountToken = true))), [["kubernetes-service-account-token", "proxy"]]);
        assert.deepEqual(await mandatory(change(isProxy, (p) => delete pod(p).securityContext.seccompProfile)), [["container-sandbox", "proxy"]]);
        const blocking = change((r) => r.name === "proxy-pdb", (p) => (p.spec = { ...p.spec, maxUnavailable: 0 }));
        assert.deepEqual(await mandatory(blocking), [["kubernetes-pod-disruption-budgets", "proxy-pdb"]]);
        const leaked = change((r) => r.name === "proxy-files" && r.type === "kubernetes:core/v1:ConfigMap", (p) => (p.data["etc-nginx-upstream.conf"] = "# upstream https://llm:Aa1-Bb2_0c2e7d1f@api.example.com\n"));
        assert.deepEqual(await mandatory(leaked), [["kubernetes-secrets-not-in-config-maps", "proxy-files"]]);
    });

    it("blocks the proxy's config once a model location loses its API-key check", async () => {
        const open = change(
            (r) => r.type === "kubernetes:core/v1:ConfigMap" && r.name === "proxy-files",
            (p) => {
                const key = Object.keys(p.data).find((k) => k.endsWith("nginx.conf"))!;
                const before = p.data[key];
                p.data[key] = before.replace(/if \(\$llm_client = ""\) \{\s*return 401;\s*\}/, "");
                assert.notEqual(p.data[key], before);
            },
        );
        assert.deepEqual(await mandatory(open), [["proxy-auth-required", "proxy-files"]]);
    });
});
