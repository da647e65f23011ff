import { strict as assert } from "assert";
import { cloudnativePgClusters } from "../../policies/rules/cloudnative-pg";
import { check, messages, resource } from "./helpers/run";

const CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster";

const cluster = (spec: Record<string, any> = {}, stack = "prod") =>
    resource(
        CLUSTER,
        "timescale",
        {
            metadata: { name: "timescale", namespace: "llm-platform" },
            spec: {
                instances: 3,
                imageName: "timescale/timescaledb-ha:pg17.11-ts2.30.1",
                resources: { limits: { cpu: "4", memory: "8Gi" }, requests: { cpu: "2", memory: "8Gi" } },
                backup: { barmanObjectStore: { destinationPath: "s3://bucket/backups/cloudnative-pg/" } },
                ...spec,
            },
        },
        stack,
    );
const pluginMethod = { method: "plugin", pluginConfiguration: { name: "barman-cloud.cloudnative-pg.io" } };
const daily = (clusterName = "timescale", stack = "prod", method: Record<string, any> = {}) =>
    resource("kubernetes:postgresql.cnpg.io/v1:ScheduledBackup", "timescale-daily", { metadata: { name: "timescale-daily", namespace: "llm-platform" }, spec: { cluster: { name: clusterName }, schedule: "0 0 2 * * *", ...method } }, stack);
const objectStore = (namespace = "llm-platform") =>
    resource("kubernetes:barmancloud.cnpg.io/v1:ObjectStore", "timescale-archive", { metadata: { name: "timescale-archive", namespace }, spec: { configuration: { destinationPath: "s3://bucket/backups/cloudnative-pg/" } } }, "prod");

describe("policy cloudnative-pg-clusters", () => {
    it("passes 3 instances with limits, a pinned image, WAL archiving and a ScheduledBackup in prod", async () => {
        assert.deepEqual(await check(cloudnativePgClusters, [cluster(), daily()]), []);
    });

    it("fails a production cluster of one instance, without archiving or a ScheduledBackup of its own", async () => {
        const found = messages(await check(cloudnativePgClusters, [cluster({ instances: 1, backup: undefined }), daily("other")]));
        assert.deepEqual(found, [
            `${CLUSTER} "timescale": has 1 instance(s) in production stack prod; required: at least 3 (spread over zones)`,
            `${CLUSTER} "timescale": archives no WAL in production stack prod; required: backup.barmanObjectStore, or the Barman Cloud plugin (isWALArchiver) with its ObjectStore`,
            `${CLUSTER} "timescale": has no ScheduledBackup in production stack prod; required: base backups on a schedule`,
        ]);
    });

    it("accepts the Barman Cloud plugin as the WAL archiver, with its ObjectStore and a plugin ScheduledBackup", async () => {
        const plugin = cluster({ backup: undefined, plugins: [{ name: "barman-cloud.cloudnative-pg.io", isWALArchiver: true, parameters: { barmanObjectName: "timescale-archive" } }] });
        assert.deepEqual(await check(cloudnativePgClusters, [plugin, objectStore(), daily("timescale", "prod", pluginMethod)]), []);
    });

    it("fails a plugin cluster without its ObjectStore (or with one in another namespace), or whose ScheduledBackup is in-tree", async () => {
        const plugin = cluster({ backup: undefined, plugins: [{ name: "barman-cloud.cloudnative-pg.io", isWALArchiver: true, parameters: { barmanObjectName: "timescale-archive" } }] });
        const missing = `${CLUSTER} "timescale": archives WAL through the Barman Cloud plugin to ObjectStore timescale-archive, which the stack does not declare in namespace llm-platform with a destinationPath in production stack prod; required: backup.barmanObjectStore, or the Barman Cloud plugin (isWALArchiver) with its ObjectStore`;
        assert.deepEqual(messages(await check(cloudnativePgClusters, [plugin, daily("timescale", "prod", pluginMethod)])), [missing]);
        assert.deepEqual(messages(await check(cloudnativePgClusters, [plugin, objectStore("elsewhere"), daily("timescale", "prod", pluginMethod)])), [missing]);
        assert.deepEqual(messages(await check(cloudnativePgClusters, [plugin, objectStore(), daily()])), [
            `${CLUSTER} "timescale": has no ScheduledBackup whose method fits its archive in production stack prod; required: method plugin with pluginConfiguration.name barman-cloud.cloudnative-pg.io`,
        ]);
        // And an in-tree cluster whose ScheduledBackup goes through a plugin.
        assert.equal(messages(await check(cloudnativePgClusters, [cluster(), daily("timescale", "prod", pluginMethod)])).length, 1);
    });

    it("requires limits, requests and a pinned image in every stack, the rest only in production", async () => {
        const found = messages(await check(cloudnativePgClusters, cluster({ instances: 1, backup: undefined, resources: { limits: { cpu: "1" } }, imageName: "timescale/timescaledb-ha:latest" }, "dev")));
        assert.equal(found.length, 2, found.join("\n"));
        assert.match(found[0], /resources\.limits\.memory, resources\.requests\.cpu, resources\.requests\.memory not set/);
        assert.match(found[1], /imageName .*; required: an exact version tag or digest/);
    });
});
