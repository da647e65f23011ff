import { strict as assert } from "assert";
import { memorySettingsFitLimits } from "../../policies/rules/memory-settings";
import { s3BucketHardening } from "../../policies/rules/s3-backups";
import { serviceResourceBounds } from "../../policies/rules/service-bounds";
import { redisContainer, sqlServerContainer } from "./helpers/docker-fixtures";
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
});
