/**
 * A second `pulumi up` of a stack with apps changes nothing (the provider read-back models of
 * harness/lifecycle); adding apps creates their workloads and re-creates only the containers whose
 * config files carry them.
 */
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { EngineFacts } from "../components/machine";
import { dockerModel } from "../harness/lifecycle/docker-model";
import { kubernetesModel } from "../harness/lifecycle/kubernetes-model";
import { Lifecycle } from "../harness/lifecycle/model";
import { runStack } from "../harness/run-stack";
import { PROJECT_DIR } from "../harness/stack-config";

const EXAMPLE = parse(fs.readFileSync(path.join(PROJECT_DIR, "examples", "Pulumi.apps.yaml"), "utf8")).config as Record<string, unknown>;
const ENGINE: EngineFacts = { cpus: 16, memoryMb: 64000, swapLimit: true, nvidiaRuntime: true, serverVersion: "29.1.2" };

describe("apps through a second up (provider read-back models)", function () {
    this.timeout(240000);

    it("on Docker: the example's apps are created, then a second up changes nothing", async () => {
        const life = new Lifecycle([dockerModel(ENGINE)]);
        life.up(await runStack("dev", { dockerEngine: ENGINE }));
        const adding = life.up(await runStack("dev", { dockerEngine: ENGINE, overrides: EXAMPLE }));
        const created = adding.summary.filter((s) => s.startsWith("create")).join("\n");
        assert.match(created, /app-courses-api/);
        assert.match(created, /app-frontend/);
        // What else changes: the containers whose config files carry the apps (new uploads: replaced, volumes kept),
        // TimescaleDB's backup scheduler, which now dumps the app's database too (its env), and Qdrant's: the
        // server turns JWT RBAC on (its env; its volumes kept), the collection step creates the app's collection,
        // the snapshot scheduler backs it up.
        const replaced = adding.summary.filter((s) => s.startsWith("replace")).map((s) => s.split(" ")[2]).sort();
        assert.deepEqual(replaced, ["grafana", "prometheus", "proxy", "qdrant", "qdrant-backup-snapshot", "qdrant-collection", "redis", "timescale-backup-full"]);
        assert.deepEqual(adding.summary.filter((s) => !s.startsWith("create") && !s.startsWith("replace")), []);
        assert.deepEqual(life.up(await runStack("dev", { dockerEngine: ENGINE, overrides: EXAMPLE })).summary, []);
    });

    it("on Kubernetes: a second up of the example changes nothing", async () => {
        const life = new Lifecycle([kubernetesModel]);
        const run = () => runStack("prod", { exampleUserValues: true, overrides: EXAMPLE, liveClaims: kubernetesModel.liveClaims(life.world, "llm-platform") });
        life.up(await run());
        assert.deepEqual(life.up(await run()).summary, []);
    });

    it("on Kubernetes: apps on RDS and SQL Server, one only routed to, change nothing on a second up", async () => {
        const apps = [
            { ...(EXAMPLE["llm-platform:apps"] as any[])[0], databases: { postgres: { store: "rds" }, sqlserver: {} } },
            { name: "labs", upstream: { service: "lab-manager.labs:8006" }, routes: [{ pathPrefix: "/labs" }], databases: { postgres: { store: "rds" }, sqlserver: {} } },
        ];
        const life = new Lifecycle([kubernetesModel]);
        const run = () => runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:apps": apps }, liveClaims: kubernetesModel.liveClaims(life.world, "llm-platform") });
        life.up(await run());
        assert.deepEqual(life.up(await run()).summary, []);
    });

    it("on Kubernetes: an app only routed to gets its stores' admissions and CA, keeps them through a second up, and loses them when removed", async () => {
        const labs = { name: "labs", upstream: { service: "lab-manager.labs:8006" }, routes: [{ pathPrefix: "/labs" }], databases: { postgres: { store: "timescale" }, redis: { keyPrefix: "labs:" } } };
        const inCluster = { "llm-platform:redis": { engine: "statefulset" } };
        const life = new Lifecycle([kubernetesModel]);
        const run = (apps: object[]) =>
            runStack("prod", { exampleUserValues: true, overrides: { ...inCluster, "llm-platform:apps": apps }, liveClaims: kubernetesModel.liveClaims(life.world, "llm-platform") });
        life.up(await run([]));
        const handedOver = ["app-labs-env", "app-labs-files", "redis-from-app-labs", "timescale-from-app-labs"];
        const named = (summary: readonly string[], op: string) => handedOver.filter((n) => summary.some((s) => s.startsWith(op) && s.includes(n)));
        assert.deepEqual(named(life.up(await run([labs])).summary, "create"), handedOver);
        assert.deepEqual(life.up(await run([labs])).summary, []);
        assert.deepEqual(named(life.up(await run([])).summary, "delete"), handedOver);
    });
});
