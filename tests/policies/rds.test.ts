import { strict as assert } from "assert";
import { rdsInstanceHardening, rdsMonitoring } from "../../policies/rules/rds";
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
        iamDatabaseAuthenticationEnabled: true,
        performanceInsightsEnabled: true,
        ...overrides,
    }, stack);

describe("policy rds-instance-hardening", () => {
    it("passes an encrypted, private, Multi-AZ, protected instance with 14 days of backups in prod", async () => {
        assert.deepEqual(await check(rdsInstanceHardening, instance()), []);
    });

    it("fails an unencrypted, public instance with short backups, in any stack", async () => {
        const found = messages(await check(rdsInstanceHardening, instance({ storageEncrypted: false, publiclyAccessible: true, backupRetentionPeriod: 3 }, "review")));
        assert.deepEqual(found, [
            'aws:rds/instance:Instance "app-db": publiclyAccessible is true; required: false',
            'aws:rds/instance:Instance "app-db": storageEncrypted is false; required: true',
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
        assert.deepEqual(await check(rdsInstanceHardening, instance(relaxed, "review")), []);
        const found = messages(await check(rdsInstanceHardening, instance(relaxed, "prod")));
        assert.equal(found.length, 3);
        assert.match(found[0], /deletionProtection is false in production stack prod; required: true/);
        assert.match(found[1], /skipFinalSnapshot is true in production stack prod; required: skipFinalSnapshot false and a finalSnapshotIdentifier/);
        assert.match(found[2], /multiAz is false in production stack prod/);
    });

    it("uses configured production stacks and retention", async () => {
        assert.equal((await check(rdsInstanceHardening, instance({ multiAz: false }, "staging"), { productionStacks: ["prod", "staging"] })).length, 1);
        assert.equal((await check(rdsInstanceHardening, instance({ multiAz: false }, "prod-eu"))).length, 1, "prod-* is production by default");
        assert.equal((await check(rdsInstanceHardening, instance({ multiAz: false }, "staging"))).length, 1, "staging is production by default");
        assert.deepEqual(await check(rdsInstanceHardening, instance({ multiAz: false }, "review-42")), [], "other stacks are not");
        assert.deepEqual(await check(rdsInstanceHardening, instance({ multiAz: false }, "prod-eu"), { productionStacks: ["prod"] }), []);
        assert.equal((await check(rdsInstanceHardening, instance(), { minBackupRetentionDays: 30 })).length, 1);
    });

    it("holds read replicas only to what they do not inherit: not public, deletion protection in production", async () => {
        const replica = instance({ replicateSourceDb: "app-db", storageEncrypted: undefined, backupRetentionPeriod: 0, skipFinalSnapshot: true, finalSnapshotIdentifier: undefined, multiAz: false });
        assert.deepEqual(await check(rdsInstanceHardening, replica), []);
        assert.deepEqual(messages(await check(rdsInstanceHardening, { ...replica, props: { ...replica.props, publiclyAccessible: true, deletionProtection: false } })), [
            'aws:rds/instance:Instance "app-db": publiclyAccessible is true; required: false',
            'aws:rds/instance:Instance "app-db": deletionProtection is false in production stack prod; required: true',
        ]);
    });
});

describe("policy rds-instance-hardening on Aurora", () => {
    const cluster = (overrides: Record<string, any> = {}) =>
        resource("aws:rds/cluster:Cluster", "app-aurora", {
            clusterIdentifier: "llm-app", engine: "aurora-postgresql", engineVersion: "17.4", storageEncrypted: true, backupRetentionPeriod: 14,
            deletionProtection: true, skipFinalSnapshot: false, finalSnapshotIdentifier: "llm-app-final", iamDatabaseAuthenticationEnabled: true, ...overrides,
        }, "prod");
    const member = (n: number, overrides: Record<string, any> = {}) =>
        resource("aws:rds/clusterInstance:ClusterInstance", `app-aurora-${n}`, { clusterIdentifier: "llm-app", instanceClass: "db.r7g.large", engine: "aurora-postgresql", publiclyAccessible: false, performanceInsightsEnabled: true, ...overrides }, "prod");

    it("passes an encrypted, protected cluster with two private instances", async () => {
        assert.deepEqual(await check(rdsInstanceHardening, [cluster(), member(1), member(2)]), []);
        assert.deepEqual(await check(rdsMonitoring, [cluster(), member(1), member(2)]), []);
    });

    it("fails an unencrypted cluster without retention, a single instance in production, and a public instance", async () => {
        const found = messages(await check(rdsInstanceHardening, [cluster({ storageEncrypted: false, backupRetentionPeriod: undefined }), member(1, { publiclyAccessible: true })]));
        assert.deepEqual(found, [
            'aws:rds/cluster:Cluster "app-aurora": storageEncrypted is false; required: true',
            'aws:rds/cluster:Cluster "app-aurora": backupRetentionPeriod is not set (AWS keeps 1 day); required: at least 7 days',
            'aws:rds/cluster:Cluster "app-aurora": has 1 ClusterInstance(s) in production stack prod, so no failover; required: at least 2 (in different availability zones)',
            'aws:rds/clusterInstance:ClusterInstance "app-aurora-1": publiclyAccessible is true; required: false',
        ]);
    });
});

describe("policy rds-instance-hardening: what AWS would refuse, and what it does by default (Checkov CKV_AWS_133, CKV_AWS_96)", () => {
    const serverless = (overrides: Record<string, any> = {}) =>
        resource("aws:rds/cluster:Cluster", "app-serverless", {
            clusterIdentifier: "llm-serverless", engine: "aurora-postgresql", engineMode: "serverless", backupRetentionPeriod: 7,
            deletionProtection: true, skipFinalSnapshot: false, finalSnapshotIdentifier: "llm-serverless-final", scalingConfiguration: { minCapacity: 2, maxCapacity: 8 }, ...overrides,
        }, "review");

    it("passes Aurora Serverless v1 without storageEncrypted (it is encrypted by default) and retention of 7 to 35 days", async () => {
        assert.deepEqual(await check(rdsInstanceHardening, serverless()), []);
        assert.deepEqual(await check(rdsInstanceHardening, serverless({ storageEncrypted: true, backupRetentionPeriod: 35 })), []);
        assert.deepEqual(await check(rdsInstanceHardening, instance({ backupRetentionPeriod: 35 })), []);
    });

    it("fails a retention above 35 days, which the deploy would fail on, and Serverless v1 asked to be unencrypted", async () => {
        assert.deepEqual(messages(await check(rdsInstanceHardening, instance({ backupRetentionPeriod: 90 }))), [
            'aws:rds/instance:Instance "app-db": backupRetentionPeriod is 90, which RDS refuses (at most 35 days: the deploy would fail); required: 7 to 35 days (longer keeping: AWS Backup or snapshots copied to S3)',
        ]);
        assert.equal((await check(rdsInstanceHardening, serverless({ backupRetentionPeriod: 36 }))).length, 1);
        assert.match(messages(await check(rdsInstanceHardening, serverless({ storageEncrypted: false })))[0], /storageEncrypted is false on Aurora Serverless v1/);
        // A provisioned cluster is not encrypted by default.
        assert.match(messages(await check(rdsInstanceHardening, serverless({ engineMode: "provisioned" })))[0], /storageEncrypted is not set \(false\); required: true/);
    });
});

describe("policy rds-monitoring (advisory)", () => {
    it("notes databases without IAM authentication or Performance Insights", async () => {
        const found = await check(rdsMonitoring, instance({ iamDatabaseAuthenticationEnabled: undefined, performanceInsightsEnabled: false }));
        assert.deepEqual(found.map((v) => [v.enforcementLevel, v.message]), [
            ["advisory", 'aws:rds/instance:Instance "app-db": iamDatabaseAuthenticationEnabled is not set (false); recommended: true'],
            ["advisory", 'aws:rds/instance:Instance "app-db": performanceInsightsEnabled is false; recommended: true'],
        ]);
        assert.deepEqual(await check(rdsMonitoring, instance()), []);
    });
});
