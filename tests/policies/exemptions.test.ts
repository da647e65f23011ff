import { strict as assert } from "assert";
import { policies, rules } from "../../policies/rules";
import { containerSandbox } from "../../policies/rules/container-sandbox";
import { defaultDenyNetworkPolicy } from "../../policies/rules/network-policies";
import { Exemption, withExemptions } from "../../policies/rules/support/exemptions";
import { runPolicies } from "../../policies/rules/support/evaluate";
import { container } from "./helpers/docker-fixtures";
import { sqlServerStatefulSet } from "./helpers/kubernetes-fixtures";

const cadvisor = () => container("cadvisor", { capabilities: { adds: ["SYS_ADMIN"] } });
const REASON = "cAdvisor reads every container's cgroups and needs SYS_ADMIN";

describe("per-resource exemptions (policies/exemptions.ts)", () => {
    it("lets one resource off one rule, keeps the rule for the others and lists the exemption as advisory", async () => {
        const pack = withExemptions([containerSandbox], [{ policy: "container-sandbox", resource: "cadvisor", reason: REASON }]);
        const found = await runPolicies(pack, [cadvisor(), container("ollama", { capabilities: { adds: ["SYS_ADMIN"] } })]);
        assert.deepEqual(found.map((v) => [v.policy, v.enforcementLevel, v.resource?.name]), [
            ["container-sandbox", "mandatory", "ollama"],
            ["policy-exemptions", "advisory", "cadvisor"],
        ]);
        assert.equal(found[1].message, `docker:index/container:Container "cadvisor" is exempt from container-sandbox: ${REASON}`);
    });

    it("matches URN patterns, applies to stack rules, and lists exemptions that match nothing", async () => {
        const pack = withExemptions([defaultDenyNetworkPolicy], [
            { policy: "kubernetes-default-deny-network-policy", resource: "urn:pulumi:prod::*::sqlserver", reason: "the database namespace is isolated by the VPC" },
            { policy: "kubernetes-default-deny-network-policy", resource: "grafana", reason: "not deployed in this stack at all" },
        ]);
        const found = await runPolicies(pack, [sqlServerStatefulSet()]);
        assert.deepEqual(found.map((v) => v.policy), ["policy-exemptions", "policy-exemptions"]);
        assert.match(found[1].message, /exemption from kubernetes-default-deny-network-policy for "grafana" matches no resource of this stack/);
    });

    it("refuses an exemption without a known rule, a resource or a reason", () => {
        const bad: [Exemption, RegExp][] = [
            [{ policy: "container-sandbox", resource: "cadvisor", reason: "" }, /reason is required/],
            [{ policy: "container-sandbox", resource: "cadvisor", reason: "needed" }, /at least 15 characters/],
            [{ policy: "container-sanbox", resource: "cadvisor", reason: REASON }, /policy "container-sanbox" is not a rule of the pack/],
            [{ policy: "container-sandbox", resource: "*", reason: REASON }, /must name a resource/],
        ];
        for (const [e, expected] of bad) assert.throws(() => withExemptions([containerSandbox], [e]), expected);
    });

    it("is wired into the pack: every rule, then the listing rule", () => {
        assert.deepEqual(policies.map((p) => p.name), [...rules.map((r) => r.name), "policy-exemptions"]);
    });
});
