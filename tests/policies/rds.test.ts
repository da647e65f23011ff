import { strict as assert } from "assert";
import { rdsInstanceHardening } from "../../policies/rules/rds";
import { check, messages, resource } from "./helpers/run";

const instance = (overrides: Record<string, any> = {}, stack = "prod") =>
    resource("aws:rds/instance:Instance", "app-db", {
        engine: "postgres",
        engineVersion: "17.6",
        instanceClass: "db.m7g.large",
        allocatedStorage: 100,
        dbName: "llm",
        username: "llm",
        manageMasterUserPassword: true,
        storageEncrypted: true,
        publiclyAccessible: false,
        backupRetentionPeriod: 14,
        deletionProtection: true,
        multiAz: true,
        skipFinalSnapshot: false,
        finalSnapshotIdentifier: "app-db-final",
        ...overrides,
    }, stack);

describe("policy rds-instance-hardening", () => {
    it("passes an encrypted, private, Multi-AZ, protected instance with 14 days of backups in prod", async () => {
        assert.deepEqual(await check(rdsInstanceHardening, instance()), []);
    });

    it("fails an unencrypted, public instance with short backups, in any stack", async () => {
        const found = messages(await check(rdsInstanceHardening, instance({ storageEncrypted: false, publiclyAccessible: true, backupRetentionPeriod: 3 }, "staging")));
        assert.deepEqual(found, [
            'aws:rds/instance:Instance "app-db": storageEncrypted is false; required: true',
            'aws:rds/instance:Instance "app-db": publiclyAccessible is true; required: false',
            'aws:rds/instance:Instance "app-db": backupRetentionPeriod is 3; required: at least 7 days',
        ]);
    });

    it("fails missing encryption and retention, naming AWS's defaults", async () => {
        const found = messages(await check(rdsInstanceHardening, instance({ storageEncrypted: undefined, backupRetentionPeriod: undefined })));
        assert.match(found[0], /storageEncrypted is not set \(false\)/);
        assert.match(found[1], /backupRetentionPeriod is not set \(AWS keeps 1 day\)/);
    });

    it("requires deletion protection, Multi-AZ and a final snapshot only in production stacks", async () => {
        const relaxed = { deletionProtection: false, multiAz: false, skipFinalSnapshot: true };
        assert.deepEqual(await check(rdsInstanceHardening, instance(relaxed, "staging")), []);
        const found = messages(await check(rdsInstanceHardening, instance(relaxed, "prod")));
        assert.equal(found.length, 3);
        assert.match(found[0], /deletionProtection is false in production stack prod; required: true/);
        assert.match(found[1], /multiAz is false in production stack prod/);
        assert.match(found[2], /skipFinalSnapshot is true in production stack prod/);
    });

    it("uses configured production stacks and retention", async () => {
        assert.equal((await check(rdsInstanceHardening, instance({ multiAz: false }, "staging"), { productionStacks: ["prod", "staging"] })).length, 1);
        assert.equal((await check(rdsInstanceHardening, instance(), { minBackupRetentionDays: 30 })).length, 1);
    });
});
