import { strict as assert } from "assert";
import { memorySettingsFitLimits } from "../../policies/rules/memory-settings";
import { defaultDenyNetworkPolicy } from "../../policies/rules/network-policies";
import { s3BucketHardening } from "../../policies/rules/s3-backups";
import { serviceResourceBounds } from "../../policies/rules/service-bounds";
import { redisContainer, sqlServerContainer } from "./helpers/docker-fixtures";
import { defaultDeny, DEPLOYMENT, k8sContainer, NAMESPACE, podSpec, sqlServerStatefulSet, workload } from "./helpers/kubernetes-fixtures";
import { check, resource } from "./helpers/run";

// How the engine marks a string that is computed later (a generated password, an ARN).
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

describe("rules during preview, when some values are not known yet", () => {
    const passwordPending = (overrides: Record<string, any>) => sqlServerContainer({ envs: ["ACCEPT_EULA=Y", UNKNOWN_STRING], ...overrides });

    it("still judges a container's limits when its env is not known", async () => {
        const found = await check(serviceResourceBounds, passwordPending({ memory: 1024, memorySwap: 1024, memoryReservation: 512 }));
        assert.deepEqual(found.map((v) => v.enforcementLevel), ["mandatory"]);
        assert.match(found[0].message, /memory limit is 1024 MB; service sqlserver requires at least 2048 MB/);
    });

    it("checks every other container of the stack and notes the one it could not read", async () => {
        const found = await check(memorySettingsFitLimits, [passwordPending({}), redisContainer("3gb")]);
        assert.deepEqual(found.map((v) => [v.enforcementLevel, v.resource?.name ?? "(stack)"]), [["mandatory", "redis"], ["advisory", "(stack)"]]);
        assert.match(found[1].message, /can't run policy 'memory-settings-fit-limits' during preview: string value at .envs.1 can't be known during preview/);
    });

    it("reports the bucket controls it can see when a reference to the bucket is still computed", async () => {
        const bucket = resource("aws:s3/bucket:Bucket", "backups", { bucket: "llm-platform-backups" }, "prod");
        const versioning = resource("aws:s3/bucketVersioning:BucketVersioning", "backups-versioning", { bucket: UNKNOWN_STRING, versioningConfiguration: { status: "Enabled" } }, "prod");
        const found = await check(s3BucketHardening, [bucket, versioning]);
        const mandatory = found.filter((v) => v.enforcementLevel === "mandatory").map((v) => /required: ([a-zA-Z -]+)/.exec(v.message)![1]);
        assert.deepEqual(mandatory, ["default encryption", "a public access block", "ACLs disabled", "lifecycle rules", "a TLS-only bucket policy", "server access logging"]);
        assert.equal(found.filter((v) => v.enforcementLevel === "advisory").length, 1);
    });

    it("still checks every bucket when a log target is not known yet, and notes the check as incomplete", async () => {
        const bucket = resource("aws:s3/bucket:Bucket", "backups", { bucket: "llm-platform-backups" }, "prod");
        const logging = resource("aws:s3/bucketLogging:BucketLogging", "backups-logging", { bucket: "llm-platform-backups", targetBucket: UNKNOWN_STRING }, "prod");
        const found = await check(s3BucketHardening, [bucket, logging]);
        const mandatory = found.filter((v) => v.enforcementLevel === "mandatory").map((v) => /required: ([a-zA-Z -]+)/.exec(v.message)![1]);
        assert.deepEqual(mandatory, ["versioning", "default encryption", "a public access block", "ACLs disabled", "lifecycle rules", "a TLS-only bucket policy"]);
        assert.match(found.filter((v) => v.enforcementLevel === "advisory")[0].message, /can't run policy 's3-bucket-hardening' during preview/);
    });

    it("does not judge a namespace whose NetworkPolicy is not known yet, and judges the others", async () => {
        const pendingDeny = defaultDeny(NAMESPACE, { podSelector: {}, policyTypes: UNKNOWN_STRING });
        const found = await check(defaultDenyNetworkPolicy, [sqlServerStatefulSet(), pendingDeny, workload(DEPLOYMENT, "proxy", podSpec([k8sContainer("proxy")]), "proxy", "prod", "edge")]);
        assert.deepEqual(found.map((v) => [v.enforcementLevel, v.resource?.name ?? "(stack)"]), [["mandatory", "proxy"], ["advisory", "(stack)"]]);
    });
});
