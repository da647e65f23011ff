import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { objectStoreName } from "../components/platform/kubernetes/barman-cloud-plugin";
import { restoredClusterName } from "../components/platform/kubernetes/cloudnative-pg";
import { PROJECT_DIR, runStack } from "../harness/run-stack";
import { cnpgModel } from "./helpers/cloudnative-pg-models";

/** What scripts/restore.sh may use from the system; kubectl is the stub. */
const SYSTEM_TOOLS = ["bash", "dirname", "mkdir", "grep", "cat", "sed", "head", "date", "node", "printf"];

interface Run {
    status: number | null;
    out: string;
    calls: string[];
    /** What `kubectl create -f -` read. */
    created: any[];
}

/**
 * `npm run restore -- <args>` (scripts/restore.sh) from a scratch copy of the scripts and stack files,
 * with a stub kubectl that answers `get clusters.postgresql.cnpg.io timescale` with `live` (the Cluster
 * the prod stack declares, as the API server would return it) and records what it is asked to create.
 */
function restore(args: string[], live: object | undefined, restoredExists = false): Run {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-restore-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.cpSync(path.join(PROJECT_DIR, "scripts"), path.join(dir, "scripts"), { recursive: true });
    for (const stack of ["dev", "prod", "staging"]) fs.copyFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), path.join(dir, `Pulumi.${stack}.yaml`));
    for (const tool of SYSTEM_TOOLS) fs.symlinkSync(spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim(), path.join(bin, tool));
    const log = path.join(dir, "calls.log");
    const created = path.join(dir, "created.jsonl");
    const liveFile = path.join(dir, "live.json");
    if (live) fs.writeFileSync(liveFile, JSON.stringify(live));
    fs.writeFileSync(
        path.join(bin, "kubectl"),
        `#!/bin/bash
echo "kubectl $*" >> ${log}
case "$*" in
    *"get clusters.postgresql.cnpg.io timescale -o json"*) [[ -f ${liveFile} ]] && cat ${liveFile} || exit 1 ;;
    *"get clusters.postgresql.cnpg.io timescale-pitr"*) ${restoredExists ? "exit 0" : "exit 1"} ;;
    *"create -f -"*) cat >> ${created}; echo >> ${created} ;;
esac
exit 0
`,
        { mode: 0o755 },
    );
    const r = spawnSync("bash", [path.join(dir, "scripts", "restore.sh"), ...args], { encoding: "utf8", env: { PATH: bin, HOME: dir } });
    const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8").trim().split("\n").filter(Boolean) : []);
    const result = { status: r.status, out: r.stdout + r.stderr, calls: read(log), created: read(created).map((l) => JSON.parse(l)) };
    fs.rmSync(dir, { recursive: true, force: true });
    return result;
}

describe("npm run restore -- <stack> timescale --to <time> (CloudNativePG, scripts/restore.sh)", function () {
    this.timeout(120000);
    let live: any;
    let archive: any;
    before(async () => {
        const run = await runStack("prod", { exampleUserValues: true });
        const declared = run.named("kubernetes:postgresql.cnpg.io/v1:Cluster", "timescale").inputs;
        live = JSON.parse(JSON.stringify(declared));
        archive = JSON.parse(JSON.stringify(run.named("kubernetes:barmancloud.cnpg.io/v1:ObjectStore", "timescale-archive").inputs.spec.configuration));
    });

    it("creates a recovered Cluster from the bucket's archive at that time through the Barman Cloud plugin: the origin's ObjectStore and server name, its own archive beside", async function () {
        const r = restore(["prod", "timescale", "--to", "2026-11-23T09:30:00Z"], live);
        assert.equal(r.status, 0, r.out);
        assert.equal(r.created.length, 1);
        const cluster = r.created[0];
        assert.equal(cluster.metadata.name, restoredClusterName("timescale"));
        assert.equal(cluster.metadata.namespace, "llm-platform");
        assert.deepEqual(cluster.spec.bootstrap, {
            recovery: { source: "origin", database: "llm_observatory", owner: "llm_observatory", recoveryTarget: { targetTime: "2026-11-23T09:30:00Z" } },
        });
        assert.deepEqual(cluster.spec.externalClusters, [
            { name: "origin", plugin: { name: "barman-cloud.cloudnative-pg.io", parameters: { barmanObjectName: objectStoreName("timescale"), serverName: "timescale" } } },
        ]);
        // Its own WAL goes beside the original's, never into it.
        assert.deepEqual(cluster.spec.plugins, [
            { name: "barman-cloud.cloudnative-pg.io", enabled: true, isWALArchiver: true, parameters: { barmanObjectName: objectStoreName("timescale"), serverName: "timescale-pitr" } },
        ]);
        assert.equal(cluster.spec.backup, undefined);
        // The clients stay with the running cluster until the switch.
        assert.equal(cluster.spec.managed, undefined);
        assert.equal(cluster.spec.instances, 3);
        assert.match(r.out, /timescale-pitr-rw\.llm-platform\.svc/);
        assert.ok(r.calls.some((c) => c === "kubectl --namespace llm-platform create -f -"), r.calls.join("\n"));
        // A cluster that archives nowhere has no point in time to go back to.
        const nowhere = structuredClone(live);
        nowhere.spec.plugins[0].isWALArchiver = false;
        const refused = restore(["prod", "timescale", "--to", "2026-11-23T09:30:00Z"], nowhere);
        assert.notEqual(refused.status, 0);
        assert.match(refused.out, /archives no WAL to an object store/);
    });

    it("validates against the pinned release's CRD (the recovered Cluster is a Cluster too)", async function () {
        const Cluster = await cnpgModel(this, "Cluster");
        const r = restore(["prod", "timescale", "--to", "2026-11-23T10:30:00.250+01:00"], live);
        assert.equal(r.status, 0, r.out);
        assert.doesNotThrow(() => new Cluster(r.created[0]).validate());
    });

    it("recovers a cluster that still archives in-tree (not yet moved to the plugin) from its backup.barmanObjectStore", async function () {
        // The in-tree store was what the ObjectStore's configuration now is (plugin-barman-cloud web/docs/migration.md).
        const store = archive;
        const inTree = structuredClone(live);
        delete inTree.spec.plugins;
        inTree.spec.backup = { barmanObjectStore: store, retentionPolicy: "30d", target: "prefer-standby" };
        const r = restore(["prod", "timescale", "--to", "2026-11-23T09:30:00Z"], inTree);
        assert.equal(r.status, 0, r.out);
        const cluster = r.created[0];
        const origin = cluster.spec.externalClusters[0];
        assert.equal(origin.name, "origin");
        assert.deepEqual(origin.barmanObjectStore, { ...store, serverName: "timescale" });
        assert.equal(cluster.spec.backup.barmanObjectStore.serverName, "timescale-pitr");
        const Cluster = await cnpgModel(this, "Cluster");
        assert.doesNotThrow(() => new Cluster(cluster).validate());
    });

    it("refuses a time that is not RFC 3339 with an offset, not a real time, or in the future, before calling kubectl", () => {
        for (const [time, fragment] of [
            ["2026-11-23 09:30", "not an RFC 3339 time"],
            ["2026-11-23T09:30:00", "not an RFC 3339 time"],
            ["yesterday", "not an RFC 3339 time"],
            ["2026-13-23T09:30:00Z", "not a real time"],
            ["2999-01-01T00:00:00Z", "in the future"],
        ]) {
            const r = restore(["prod", "timescale", "--to", time], live);
            assert.notEqual(r.status, 0, time);
            assert.ok(r.out.includes(fragment), `${time}: ${r.out}`);
            assert.deepEqual(r.calls, [], time);
        }
        const missing = restore(["prod", "timescale", "--to"], live);
        assert.notEqual(missing.status, 0);
        assert.match(missing.out, /--to takes one time/);
    });

    it("says what is wrong when the cluster is missing, or a recovered one exists already", () => {
        const none = restore(["prod", "timescale", "--to", "2026-11-23T09:30:00Z"], undefined);
        assert.notEqual(none.status, 0);
        assert.match(none.out, /has no CloudNativePG cluster 'timescale'/);
        const again = restore(["prod", "timescale", "--to", "2026-11-23T09:30:00Z"], live, true);
        assert.notEqual(again.status, 0);
        assert.match(again.out, /'timescale-pitr' exists already/);
        assert.equal(again.created.length, 0);
    });

    it("sends a Docker stack to its backup ids", () => {
        const r = restore(["dev", "timescale", "--to", "2026-11-23T09:30:00Z"], live);
        assert.notEqual(r.status, 0);
        assert.match(r.out, /runs on Docker/);
    });
});
