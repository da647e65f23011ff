import { strict as assert } from "assert";
import { elasticacheHardening } from "../../policies/rules/elasticache";
import { check, messages, resource } from "./helpers/run";

const group = (overrides: Record<string, any> = {}, stack = "prod") =>
    resource("aws:elasticache/replicationGroup:ReplicationGroup", "cache", {
        replicationGroupId: "llm-platform-prod-valkey",
        description: "Valkey",
        engine: "valkey",
        engineVersion: "8.1",
        nodeType: "cache.m7g.large",
        numCacheClusters: 2,
        multiAzEnabled: true,
        automaticFailoverEnabled: true,
        atRestEncryptionEnabled: true,
        kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-4000-8000-000000000000",
        transitEncryptionEnabled: true,
        transitEncryptionMode: "required",
        authToken: "a-generated-token-of-32-characters",
        snapshotRetentionLimit: 7,
        ...overrides,
    }, stack);

const where = 'aws:elasticache/replicationGroup:ReplicationGroup "cache"';

describe("policy elasticache-hardening", () => {
    it("passes an encrypted, authenticated, Multi-AZ group with a replica and snapshots in prod", async () => {
        assert.deepEqual(await check(elasticacheHardening, group()), []);
        assert.deepEqual(await check(elasticacheHardening, group({ authToken: undefined, userGroupIds: ["app-users"] })), [], "RBAC instead of a token");
    });

    it("fails missing encryption and authentication in any stack", async () => {
        const found = messages(await check(elasticacheHardening, group({ atRestEncryptionEnabled: undefined, transitEncryptionEnabled: false, authToken: undefined }, "review")));
        assert.deepEqual(found, [
            `${where}: atRestEncryptionEnabled is not set (false); required: true`,
            `${where}: transitEncryptionEnabled is false; required: true`,
            `${where}: has neither an authToken nor userGroupIds, so any client in its network may connect; required: an AUTH token or an RBAC user group`,
        ]);
        assert.deepEqual(messages(await check(elasticacheHardening, group({ transitEncryptionMode: "preferred" }, "dev"))), [
            `${where}: transitEncryptionMode is preferred, which still accepts plain connections; required: "required"`,
        ]);
    });

    it("fails a single node, no failover and no snapshots in production stacks only", async () => {
        const single = { numCacheClusters: 1, multiAzEnabled: false, automaticFailoverEnabled: undefined, snapshotRetentionLimit: undefined };
        assert.deepEqual(messages(await check(elasticacheHardening, group(single, "staging"))), [
            `${where}: multiAzEnabled is false in production stack staging; required: true`,
            `${where}: automaticFailoverEnabled is not set (false) in production stack staging; required: true`,
            `${where}: has no replica in production stack staging (numCacheClusters 1), so nothing to fail over to; required: numCacheClusters at least 2`,
            `${where}: snapshotRetentionLimit is not set (0: no snapshots) in production stack staging; required: at least 1 days`,
        ]);
        assert.deepEqual(await check(elasticacheHardening, group(single, "dev")), []);
        assert.equal((await check(elasticacheHardening, group({ snapshotRetentionLimit: 3 }), { minSnapshotRetentionDays: 7 })).length, 1);
    });

    it("counts replicas of a cluster-mode group by replicasPerNodeGroup", async () => {
        assert.deepEqual(await check(elasticacheHardening, group({ numCacheClusters: undefined, numNodeGroups: 2, replicasPerNodeGroup: 1 })), []);
    });
});
