import assert from "node:assert/strict";
import { autoMinorUpgrades } from "../components/aws/database";
import { withExampleUserValues } from "../harness/example-user-values";
import { runProgram, stackConfigValues, withOverrides } from "../harness/run-stack";

/**
 * What terraform-provider-aws stores as `engine_version` after a read
 * (internal/service/rds/engine_version.go, compareActualEngineVersion): the configured value
 * when the running version only adds a minor/patch to it, else the running version.
 */
function storedEngineVersion(configured: string, running: string): string {
    const prefix = running.slice(0, configured.length + 1);
    return configured !== running && `${configured}.` === prefix ? configured : running;
}

const instanceWith = async (engineVersion: string) => {
    const values = withOverrides(withExampleUserValues(stackConfigValues("prod")).values, { "llm-platform:aws": { owner: "ops", database: { engineVersion } } });
    return (await runProgram("prod", values)).named("aws:rds/instance:Instance", "aws-postgres").inputs;
};

describe("RDS engine version read back by the provider (a second `pulumi up` changes nothing)", function () {
    this.timeout(30000);

    it("reads the rule right: a major is kept while a minor runs, a pinned minor is replaced by what runs", () => {
        assert.equal(storedEngineVersion("17", "17.6"), "17");
        assert.equal(storedEngineVersion("17", "17.7"), "17");
        assert.equal(storedEngineVersion("17.6", "17.6"), "17.6");
        assert.equal(storedEngineVersion("17.6", "17.7"), "17.7");
        assert.equal(storedEngineVersion("1", "17.6"), "17.6");
    });

    it("with a major version, lets RDS upgrade minors: the stored version still equals the configured one", async () => {
        const instance = await instanceWith("17");
        assert.equal(instance.autoMinorVersionUpgrade, true);
        for (const running of ["17.6", "17.7", "17.10"]) assert.equal(storedEngineVersion(instance.engineVersion, running), instance.engineVersion);
    });

    it("with a pinned minor version, turns automatic minor upgrades off, which would otherwise read back as a downgrade", async () => {
        const instance = await instanceWith("17.6");
        assert.equal(instance.autoMinorVersionUpgrade, false);
        assert.equal(storedEngineVersion(instance.engineVersion, "17.6"), "17.6");
        assert.equal(autoMinorUpgrades("17.6"), false);
    });
});

/**
 * The day-two fields in the form terraform-provider-aws stores after its Read, so a second
 * `pulumi up` has nothing to change (each with the line of the Read that sets it).
 */
describe("day-two AWS fields read back by the provider (a second `pulumi up` changes nothing)", function () {
    this.timeout(60000);
    let resources: Awaited<ReturnType<typeof runProgram>>;
    before(async () => {
        const values = withOverrides(withExampleUserValues(stackConfigValues("prod")).values, {
            "llm-platform:aws": { owner: "ops", backupBucket: { replicaRegion: "eu-central-1" }, loadBalancer: { route53ZoneId: "Z0EXAMPLE1234567890AB" } },
        });
        resources = await runProgram("prod", values);
    });

    it("sends Object Lock as GetObjectLockConfiguration returns it: the enum strings and whole days", () => {
        // bucket_object_lock_configuration.go Read: object_lock_enabled = ObjectLockEnabled ("Enabled"),
        // rule.default_retention = {days, mode} as returned (mode GOVERNANCE|COMPLIANCE; years unset when days is).
        for (const lock of resources.ofType("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")) {
            assert.equal(lock.inputs.objectLockEnabled, "Enabled");
            assert.deepEqual(Object.keys(lock.inputs.rule.defaultRetention).sort(), ["days", "mode"]);
            assert.ok(["GOVERNANCE", "COMPLIANCE"].includes(lock.inputs.rule.defaultRetention.mode));
            assert.ok(Number.isInteger(lock.inputs.rule.defaultRetention.days));
        }
        // The bucket's own object_lock_enabled is Optional+Computed: unset, the `true` its Read finds after the lock is no diff.
        for (const bucket of resources.ofType("aws:s3/bucket:Bucket")) assert.equal(bucket.inputs.objectLockEnabled, undefined);
    });

    it("sends delete-marker replication and DNS record names in the provider's stored form", () => {
        const [rule] = resources.named("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "aws-backups-replica-config").inputs.rules;
        assert.equal(rule.deleteMarkerReplication.status, "Disabled", "the API's DeleteMarkerReplicationStatus enum, not a boolean");
        // record.go's StateFunc stores names without the trailing dot, in lower case (:270-276), and applies to the
        // configured name the same way: an alias record's hostname must already be in that form to be no diff.
        for (const record of resources.ofType("aws:route53/record:Record").filter((r) => r.inputs.type === "A")) {
            assert.equal(record.inputs.name, record.inputs.name.toLowerCase().replace(/\.$/, ""));
        }
    });

    it("reads a pending major upgrade back as the running version until the maintenance window: the next up repeats the modification, then settles", () => {
        // instance.go compareActualEngineVersion (storedEngineVersion above): 18 configured, 17.6 still running.
        assert.equal(storedEngineVersion("18", "17.6"), "17.6", "before the window: a diff, and the same pending ModifyDBInstance again");
        assert.equal(storedEngineVersion("18", "18.1"), "18", "after the window: no diff");
        assert.equal(resources.named("aws:rds/instance:Instance", "aws-postgres").inputs.allowMajorVersionUpgrade, true, "not read back: kept as configured");
    });
});
