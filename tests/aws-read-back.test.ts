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

/**
 * ElastiCache for Valkey as terraform-provider-aws stores it after its Read (@01606926,
 * internal/service/elasticache): replication_group.go resourceReplicationGroupRead and
 * cluster.go setFromCacheCluster (the group's settings come from its first member cluster).
 * Each function below is that Read's rule for one field, applied to what AWS returns.
 */
const readBack = {
    // setEngineVersionValkey (engine_version.go): "%d.%d" of the running version, whatever patch runs.
    engineVersion: (running: string) => running.split(".").slice(0, 2).join("."),
    // maintenance_window's StateFunc: strings.ToLower ("ElastiCache always changes the maintenance to lowercase").
    maintenanceWindow: (configured: string) => configured.toLowerCase(),
    // d.Set(kms_key_id, rgp.KmsKeyId): the key's ARN as DescribeReplicationGroups returns it.
    kmsKeyId: (keyArn: string) => keyArn,
    // d.Set(num_cache_clusters, len(rgp.MemberClusters)).
    numCacheClusters: (memberClusters: string[]) => memberClusters.length,
    // replication_group_id's StateFunc: strings.ToLower.
    replicationGroupId: (configured: string) => configured.toLowerCase(),
    // auth_token is write-only at AWS: the Read only clears it when AuthTokenEnabled is false, else keeps the configured value.
    authToken: (configured: string, authTokenEnabled: boolean) => (authTokenEnabled ? configured : undefined),
};

describe("ElastiCache for Valkey read back by the provider (a second `pulumi up` changes nothing)", function () {
    this.timeout(60000);
    let resources: Awaited<ReturnType<typeof runProgram>>;
    before(async () => {
        resources = await runProgram("prod", withExampleUserValues(stackConfigValues("prod")).values);
    });

    it("sends every field of the replication group in the form its Read stores", () => {
        const group = resources.named("aws:elasticache/replicationGroup:ReplicationGroup", "aws-valkey");
        const g = group.inputs;
        // ElastiCache upgrades patches under a major.minor: 8.1.0, 8.1.4 all read back as the configured 8.1.
        for (const running of ["8.1.0", "8.1.4", `${g.engineVersion}.12`]) assert.equal(readBack.engineVersion(running), g.engineVersion);
        assert.equal(readBack.maintenanceWindow(g.maintenanceWindow), g.maintenanceWindow);
        assert.equal(readBack.replicationGroupId(g.replicationGroupId), g.replicationGroupId);
        // kms_key_id is ForceNew: an alias or a bare key id would replace the group on the next up.
        assert.match(g.kmsKeyId, /^arn:aws:kms:eu-west-1:\d{12}:key\/[0-9a-f-]{36}$/);
        assert.equal(readBack.kmsKeyId(g.kmsKeyId), g.kmsKeyId);
        assert.equal(readBack.numCacheClusters(group.state.memberClusters), g.numCacheClusters);
        assert.equal(readBack.authToken(g.authToken, true), g.authToken);
        // engine: d.Set(engine, c.Engine), ElastiCache's lower-case "valkey".
        assert.equal(g.engine, "valkey");
        // The provider's validValkeyVersionString: major.minor only (a patch is refused at plan time).
        assert.match(g.engineVersion, /^[7-9]\.\d+$/);
        // snapshot_window is stored as DescribeReplicationGroups returns it: hh:mm-hh:mm, as sent.
        assert.match(g.snapshotWindow, /^\d\d:\d\d-\d\d:\d\d$/);
        // port is ForceNew and read from the primary endpoint: sent explicitly as ElastiCache's 6379.
        assert.equal(g.port, 6379);
        // transit_encryption_mode is read from the member cluster: "required" once it is, as sent.
        assert.equal(g.transitEncryptionMode, "required");
    });

    it("sends ElastiCache's users and user group in the form their Reads store", () => {
        // user.go @01f43111 resourceUserRead: engine compared case-insensitively (SuppressEquivalentStringCaseInsensitive: "VALKEY" back is no diff),
        // passwords kept as configured (write-only at AWS), authentication_mode Optional+Computed (not sent: its read-back type is no diff),
        // access_string as DescribeUsers returns it: the engine's own form (tests/elasticache-users.test.ts, a real redis-server).
        for (const u of resources.ofType("aws:elasticache/user:User")) {
            assert.equal(u.inputs.engine.toLowerCase(), "valkey");
            assert.equal(u.inputs.authenticationMode, undefined, `${u.name}: passwords, not authentication_mode`);
            assert.equal(u.inputs.noPasswordRequired, undefined);
            assert.ok(u.inputs.passwords.length <= 2, "passwords: MaxItems 2");
            assert.match(u.inputs.accessString, /^(on|off) /, "on or off first: ElastiCache makes a user without either off");
            assert.doesNotMatch(u.inputs.accessString, /\b(allkeys|allchannels|allcommands|nopass|reset)\b|[<>#]/, "no alias the engine rewrites, no password in the access string, no reset (ElastiCache refuses it)");
        }
        // user_group.go: engine EqualFold, user_ids a set (the order is no diff).
        const group = resources.named("aws:elasticache/userGroup:UserGroup", "aws-valkey-users").inputs;
        assert.equal(group.engine, "valkey");
        assert.equal(resources.named("aws:elasticache/replicationGroup:ReplicationGroup", "aws-valkey").inputs.userGroupIds[0], group.userGroupId);
    });

    it("keeps the Valkey version's major.minor form in config: a patch would be refused, a major alone is not Valkey's form", async () => {
        const base = withExampleUserValues(stackConfigValues("prod")).values;
        for (const engineVersion of ["8.1.4", "8", "6.2"]) {
            const values = withOverrides(base, { "llm-platform:aws": { ...(base["llm-platform:aws"] as object), cache: { engineVersion } } });
            await assert.rejects(runProgram("prod", values), /aws\.cache\.engineVersion/, engineVersion);
        }
    });
});
