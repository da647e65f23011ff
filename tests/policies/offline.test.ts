import { strict as assert } from "assert";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { runPolicyPack } from "../../policies/rules/offline";
import { runPolicies } from "../../policies/rules/support/evaluate";
import { container, secret } from "./helpers/docker-fixtures";
import { resource } from "./helpers/run";

const UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421";

describe("offline policy runner", () => {
    const unlimited = () => container("qdrant", { memory: undefined, memoryReservation: undefined, memorySwap: undefined });

    it("reports a violation with the policy, its level and the resource", async () => {
        const found = (await runPolicyPack([unlimited()])).filter((v) => v.policy === "docker-container-limits");
        assert.deepEqual(found, [{
            policy: "docker-container-limits",
            enforcementLevel: "mandatory",
            resource: { type: "docker:index/container:Container", name: "qdrant", urn: "urn:pulumi:dev::llm-platform::docker:index/container:Container::qdrant" },
            message: found[0]?.message,
        }]);
    });

    it("uses an enforcement level set in config, skips disabled policies, reports remediate as mandatory", async () => {
        const level = async (enforcementLevel: string) =>
            (await runPolicyPack([unlimited()], { "docker-container-limits": { enforcementLevel } })).filter((v) => v.policy === "docker-container-limits").map((v) => v.enforcementLevel);
        assert.deepEqual(await level("advisory"), ["advisory"]);
        assert.deepEqual(await level("disabled"), []);
        assert.deepEqual(await level("remediate"), ["mandatory"]);
    });

    it("overlays config on the schema defaults", async () => {
        const c = container("sqlserver", { memory: 3072, memorySwap: 3072, memoryReservation: 1024 });
        const bounds = (config?: Record<string, Record<string, unknown>>) => runPolicyPack([c], config).then((v) => v.filter((x) => x.policy === "service-resource-bounds"));
        assert.deepEqual(await bounds(), []);
        assert.equal((await bounds({ "service-resource-bounds": { services: { sqlserver: { minMemoryMb: 4096 } } } })).length, 1);
    });

    it("refuses config for a policy, a setting or a level that does not exist", async () => {
        await assert.rejects(runPolicyPack([], { "docker-limits": {} }), /unknown policy "docker-limits"/);
        await assert.rejects(runPolicyPack([], { "gpu-requested": { gpuService: ["ollama"] } }), /"gpu-requested.gpuService" is not a setting of gpu-requested; settings: gpuServices, gpuLabel, gpuResourceName/);
        await assert.rejects(runPolicyPack([], { "gpu-requested": { enforcementLevel: "mandatroy" } }), /"gpu-requested.enforcementLevel" is "mandatroy"; allowed: advisory, mandatory, remediate, disabled/);
    });

    it("unwraps secrets and resource references as the engine does", async () => {
        const seen: any[] = [];
        const spy: ResourceValidationPolicy = { name: "spy", description: "records props", validateResource: (args) => void seen.push(JSON.parse(JSON.stringify(args.props))) };
        const ref = { "4dabf18193072939515e22adb298388d": "5cf8f73096256a8f31e491e813e4eb8e", urn: "urn:pulumi:dev::p::t::n", id: "n-id" };
        await runPolicies([spy], [resource("t:index:T", "n", { envs: secret(["A=1"]), uploads: [{ content: secret("x") }], network: ref })]);
        assert.deepEqual(seen, [{ envs: ["A=1"], uploads: [{ content: "x" }], network: "n-id" }]);
    });

    it("turns a value unknown during preview into an advisory note instead of a verdict", async () => {
        const [v] = await runPolicyPack([container("qdrant", { memory: UNKNOWN_NUMBER })]).then((all) => all.filter((x) => x.policy === "docker-container-limits"));
        assert.equal(v.enforcementLevel, "advisory");
        assert.match(v.message, /can't run policy 'docker-container-limits' during preview: number value at .memory can't be known during preview/);
    });

    it("honours notApplicable, isType/asType by type token, and maps stack violations to resources by URN", async () => {
        class Bucket {
            static readonly __pulumiType = "aws:s3/bucket:Bucket";
        }
        const resourcePolicy: ResourceValidationPolicy = {
            name: "typed",
            description: "flags buckets through isType/asType",
            enforcementLevel: "mandatory",
            validateResource: (args, report) => {
                if (!args.isType(Bucket as any)) args.notApplicable("not a bucket");
                report(`bucket ${(args.asType(Bucket as any) as any).bucket}`);
            },
        };
        const stackPolicy: StackValidationPolicy = {
            name: "stacked",
            description: "reports on a URN",
            enforcementLevel: "advisory",
            validateStack: (args, report) => {
                for (const r of args.resources) report(`saw ${r.name}`, r.urn);
                report("about the stack");
            },
        };
        const bucket = resource("aws:s3/bucket:Bucket", "backups", { bucket: "llm-backups" }, "prod");
        const found = await runPolicies([resourcePolicy, stackPolicy], [bucket, container("redis")]);
        assert.deepEqual(found.map((v) => [v.policy, v.enforcementLevel, v.resource?.name, v.message]), [
            ["typed", "mandatory", "backups", "bucket llm-backups"],
            ["stacked", "advisory", "backups", "saw backups"],
            ["stacked", "advisory", "redis", "saw redis"],
            ["stacked", "advisory", undefined, "about the stack"],
        ]);
    });

    it("fails loudly, naming the policy and resource, when a policy throws", async () => {
        const broken: ResourceValidationPolicy = { name: "broken", description: "throws", validateResource: () => { throw new Error("boom"); } };
        await assert.rejects(runPolicies([broken], [container("redis")]), /policy broken failed on docker:index\/container:Container "redis": boom/);
    });
});
