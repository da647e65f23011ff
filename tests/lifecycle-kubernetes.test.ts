/**
 * The prod stack's Kubernetes objects through their life (issue #16, "What must hold"): create, a
 * second `up`, a change of every key users change, a lowered size, time and a refresh, destroy,
 * `up` again. Each step runs the program under mocks and asks the Kubernetes model
 * (harness/lifecycle/kubernetes-model.ts, written from pulumi-kubernetes' and Kubernetes' source)
 * what the provider and the cluster do. The AWS resources are left to their own model.
 */
import assert from "node:assert/strict";
import { Lifecycle, Plan } from "../harness/lifecycle/model";
import { kubernetesModel } from "../harness/lifecycle/kubernetes-model";
import { RegisteredResource, runStack, StackRun } from "../harness/run-stack";

const NAMESPACE = "llm-platform";
const T = {
    namespace: "kubernetes:core/v1:Namespace",
    pvc: "kubernetes:core/v1:PersistentVolumeClaim",
    job: "kubernetes:batch/v1:Job",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    deployment: "kubernetes:apps/v1:Deployment",
    provider: "pulumi:providers:kubernetes",
};

/** What users change on a running prod stack, all at once. */
const USER_CHANGES = {
    // A new CU of SQL Server (a pinned tag).
    "llm-platform:sqlserver": { image: "mcr.microsoft.com/mssql/server:2025-CU10-ubuntu-22.04", storageGb: 300 },
    "llm-platform:qdrant": { memoryMb: 6144 },
    "llm-platform:kubernetes": { jobDeadlineMinutes: 45 },
    "llm-platform:proxy": { replicas: 3 },
    "llm-platform:ollama": { chatModel: "llama3.1:8b-instruct-q8_0", rolloutTimeoutMinutes: 60 },
};

describe("prod stack lifecycle on Kubernetes (mocks + the provider's and the API's behaviour)", function () {
    this.timeout(240000);
    const life = new Lifecycle([kubernetesModel]);
    let first: StackRun;
    const run = (overrides: object = {}) =>
        runStack("prod", { exampleUserValues: true, overrides: overrides as Record<string, unknown>, liveClaims: kubernetesModel.liveClaims(life.world, NAMESPACE) });
    const up = async (overrides: object = {}): Promise<Plan> => life.up(await run(overrides));
    const kubernetesObjects = (r: StackRun) => r.resources.filter((x) => x.custom && kubernetesModel.covers(x.type));

    it("creates every object on the first up", async () => {
        first = await run();
        const plan = life.up(first);
        assert.equal(plan.count("create"), kubernetesObjects(first).length);
        assert.deepEqual(plan.summary.filter((s) => !s.startsWith("create")), []);
    });

    it("changes nothing on a second up", async () => {
        assert.deepEqual((await up()).summary, []);
    });

    it("updates in place what users change, replacing only the Jobs whose pod changed (they run again: steps are idempotent)", async () => {
        const plan = await up(USER_CHANGES);
        assert.deepEqual(plan.names("refused"), [], plan.summary.join("\n"));
        // A Job's pod template cannot change (diff.go forceNew .spec.template): a new image or model is a new Job.
        // The backup before a migration runs the store's image, so a new SQL Server takes a fresh backup first;
        // the migration itself (Liquibase's image, the same plan) is not replaced: it does not run again.
        assert.deepEqual(plan.names("replace"), ["ollama-pull-chat-model", "sqlserver-backup-before-migrate", "sqlserver-monitor-login", "sqlserver-settings"]);
        for (const name of plan.names("replace")) assert.equal(plan.of(name)!.type, T.job);
        // The data stays where it is: no StatefulSet, claim or namespace is replaced.
        assert.deepEqual(plan.names("update", T.statefulSet), ["qdrant", "sqlserver"]);
        assert.deepEqual(plan.names("update", T.pvc), ["data-sqlserver-0", "sqlserver-backups"]);
        assert.equal(plan.of("sqlserver", T.statefulSet)!.why!.includes("volumeClaimTemplates"), false, "the templates keep their first size");
        assert.deepEqual(plan.names("update", T.deployment), ["proxy"]);
        // The deadline is updated in place on every Job that kept its pod.
        for (const job of ["timescale-migrate", "sqlserver-migrate", "qdrant-collection", "elasticsearch-setup"]) {
            assert.equal(plan.of(job, T.job)!.action, "update", job);
            assert.match(plan.of(job, T.job)!.why!, /spec\.activeDeadlineSeconds/);
        }
        // A rollout timeout is an option of the engine, not a field of the object.
        assert.equal(plan.of("ollama", T.statefulSet)!.action, "same");
        assert.equal(plan.count("create") + plan.count("delete"), 0);
    });

    it("refuses a smaller claim before declaring anything, naming the key", async () => {
        const before = new Map(life.state);
        await assert.rejects(run({ ...USER_CHANGES, "llm-platform:sqlserver": { ...USER_CHANGES["llm-platform:sqlserver"], storageGb: 250 } }), (e: Error) => {
            assert.match(e.message, /llm-platform:sqlserver\.storageGb = 250: must be at least 300: the claim llm-platform\/data-sqlserver-0 already holds 300Gi/);
            return true;
        });
        assert.deepEqual([...life.state.keys()], [...before.keys()]);
    });

    it("keeps every finished step through a week and a refresh: nothing runs again", async () => {
        assert.deepEqual(life.elapse(24 * 8), [], "no object of the program expires");
        const refresh = life.refresh();
        assert.deepEqual(refresh.names("drop"), []);
        assert.deepEqual((await up(USER_CHANGES)).summary, []);
    });

    it("keeps the namespaces and the claims on destroy", () => {
        const plan = life.destroy();
        const kept = plan.changes.filter((c) => c.action === "keep");
        // TimescaleDB's CloudNativePG Cluster is kept with them (the operator keeps its instances' claims), and its
        // ObjectStore: the kept cluster's sidecar goes on archiving through it.
        assert.deepEqual([...new Set(kept.map((c) => c.type))].sort(), ["kubernetes:barmancloud.cnpg.io/v1:ObjectStore", T.namespace, T.pvc, "kubernetes:postgresql.cnpg.io/v1:Cluster"]);
        // Fourteen: Valkey is ElastiCache on prod (its data is not in a claim), TimescaleDB's claims are the operator's,
        // Qdrant's three peers have two each.
        assert.equal(kept.filter((c) => c.type === T.pvc).length, 14);
        assert.equal(life.state.size, 0);
        assert.equal(life.world.size, kept.length, "only what destroy kept is left in the cluster");
    });

    it("adopts what destroy kept on the next up, with the data's sizes, and creates the rest", async () => {
        const plan = await up(USER_CHANGES);
        assert.deepEqual(plan.names("refused"), [], plan.summary.join("\n"));
        assert.deepEqual(plan.names("adopt", T.namespace), ["namespace-llm-platform", "namespace-llm-platform-node-agents"]);
        assert.equal(plan.names("adopt", T.pvc).length, 14);
        assert.deepEqual(plan.names("adopt", "kubernetes:postgresql.cnpg.io/v1:Cluster"), ["timescale"]);
        assert.deepEqual(plan.names("adopt", "kubernetes:barmancloud.cnpg.io/v1:ObjectStore"), ["timescale-archive"]);
        assert.match(plan.of("data-sqlserver-0", T.pvc)!.why!, /server-side apply over the existing object, forcing conflicts/);
        assert.equal(plan.count("adopt") + plan.count("create"), plan.changes.length);
        const claim = [...life.world.values()].find((o) => o.inputs.metadata?.name === "data-sqlserver-0")!;
        assert.equal(claim.inputs.spec.resources.requests.storage, "300Gi");
        assert.deepEqual((await up(USER_CHANGES)).summary, [], "and a second up changes nothing");
    });

    it("updates the provider in place when upsertExistingObjects comes in, replacing no object (DiffConfig)", () => {
        const older = new Lifecycle([kubernetesModel]);
        older.up(withProviderInputs(first, { upsertExistingObjects: undefined }));
        const plan = older.up(first);
        assert.deepEqual(plan.summary, [`update ${T.provider} kubernetes-provider (upsertExistingObjects (DiffConfig: an update))`]);
    });

    describe("the model's teeth", () => {
        it("refuses the re-up after a destroy with AlreadyExists when the provider does not upsert", async () => {
            const older = new Lifecycle([kubernetesModel]);
            const noUpsert = withProviderInputs(first, { upsertExistingObjects: undefined });
            older.up(noUpsert);
            older.destroy();
            const plan = older.up(noUpsert);
            assert.ok(plan.names("refused", T.namespace).length === 2, plan.summary.join("\n"));
            assert.match(plan.of("namespace-llm-platform", T.namespace)!.why!, /AlreadyExists: core\/v1\/Namespace\/\/llm-platform/);
        });

        it("drops a Job the cluster deleted after its TTL on refresh, so the next up runs it again; an update of it fails", async () => {
            const older = new Lifecycle([kubernetesModel]);
            const withTtl = withJobInputs(first, { ttlSecondsAfterFinished: 168 * 3600 });
            older.up(withTtl);
            assert.equal(older.elapse(169).length, kubernetesObjects(first).filter((r) => r.type === T.job).length);
            const changed = withJobInputs(withTtl, { activeDeadlineSeconds: 99 });
            assert.match(older.up(changed).of("sqlserver-settings", T.job)!.why!, /unable to get cluster state/);
            assert.ok(older.refresh().names("drop").includes("ollama-pull-chat-model"));
            assert.equal(older.up(withTtl).of("ollama-pull-chat-model", T.job)!.action, "create", "the model is pulled again");
        });

        it("replaces a StatefulSet whose claim templates change, unless they are ignored", () => {
            const older = new Lifecycle([kubernetesModel]);
            older.up(first);
            const grown = mapResources(first, (r) =>
                r.type === T.statefulSet && r.name === "qdrant"
                    ? { ...r, options: { ...r.options, ignoreChanges: [] }, inputs: { ...r.inputs, spec: { ...r.inputs.spec, volumeClaimTemplates: [] } } }
                    : r,
            );
            assert.match(older.up(grown).of("qdrant", T.statefulSet)!.why!, /spec\.volumeClaimTemplates \(diff\.go forceNew\)/);
        });
    });
});

function mapResources(run: StackRun, f: (r: RegisteredResource) => RegisteredResource): StackRun {
    return { ...run, resources: run.resources.map(f) };
}

function withProviderInputs(run: StackRun, inputs: Record<string, unknown>): StackRun {
    return mapResources(run, (r) => (r.type === T.provider ? { ...r, inputs: stripUndefined({ ...r.inputs, ...inputs }) } : r));
}

function withJobInputs(run: StackRun, spec: Record<string, unknown>): StackRun {
    return mapResources(run, (r) => (r.type === T.job ? { ...r, inputs: { ...r.inputs, spec: { ...r.inputs.spec, ...spec } } } : r));
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/**
 * An existing prod deployed before the Barman Cloud plugin (its Cluster archiving in-tree, its
 * ScheduledBackup `method: barmanObjectStore`, no plugin, cert-manager or ObjectStore) meets this
 * program: one `up` moves it in the order plugin-barman-cloud web/docs/migration.md gives.
 */
describe("an in-tree prod moved to the Barman Cloud plugin by the next up", function () {
    this.timeout(240000);
    const CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster";
    const SCHEDULED_BACKUP = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup";
    const OBJECT_STORE = "kubernetes:barmancloud.cnpg.io/v1:ObjectStore";
    const RELEASE = "kubernetes:helm.sh/v3:Release";

    /** The same stack as the program declared it with in-tree archiving. */
    function inTree(run: StackRun): StackRun {
        const added = (r: RegisteredResource) =>
            r.type === OBJECT_STORE || (r.type === RELEASE && ["plugin-barman-cloud", "cert-manager"].includes(r.name)) || r.name === "barman-cloud-plugin-flows";
        const resources = run.resources.filter((r) => !added(r)).map((r): RegisteredResource => {
            if (r.type === CLUSTER) {
                const store = run.named(OBJECT_STORE, `${r.name}-archive`).inputs.spec;
                const { plugins: _, ...spec } = r.inputs.spec;
                const backup = { barmanObjectStore: store.configuration, retentionPolicy: store.retentionPolicy, target: "prefer-standby" };
                const dependsOn = r.options.dependsOn.filter((d: string) => !d.startsWith(OBJECT_STORE) && !d.endsWith("::plugin-barman-cloud"));
                return { ...r, inputs: { ...r.inputs, spec: { ...spec, backup } }, options: { ...r.options, dependsOn } };
            }
            if (r.type === SCHEDULED_BACKUP) {
                const { pluginConfiguration: _, target: __, ...spec } = r.inputs.spec;
                return { ...r, inputs: { ...r.inputs, spec: { ...spec, method: "barmanObjectStore" } } };
            }
            return r;
        });
        return { ...run, resources };
    }

    it("creates cert-manager, the plugin and the ObjectStore first, then updates the Cluster and its ScheduledBackup in place, replacing nothing", async () => {
        const life = new Lifecycle([kubernetesModel]);
        const now = await runStack("prod", { exampleUserValues: true });
        const before = inTree(now);
        assert.equal(life.up(before).count("create"), before.resources.filter((x) => x.custom && kubernetesModel.covers(x.type)).length);
        const plan = life.up(now);
        assert.deepEqual(plan.names("replace"), [], plan.summary.join("\n"));
        assert.deepEqual(plan.names("refused"), []);
        assert.deepEqual(plan.names("delete"), []);
        assert.deepEqual(plan.names("create"), ["barman-cloud-plugin-flows", "cert-manager", "plugin-barman-cloud", "timescale-archive"].sort());
        assert.deepEqual(plan.names("update").sort(), ["timescale", "timescale-daily-backup"]);
        const order = plan.changes.map((c) => c.name);
        for (const first of ["cert-manager", "plugin-barman-cloud", "timescale-archive"]) assert.ok(order.indexOf(first) < order.indexOf("timescale"), `${first} before the Cluster: ${order.join(", ")}`);
        assert.ok(order.indexOf("timescale") < order.indexOf("timescale-daily-backup"), "the ScheduledBackup after the Cluster");
        // The archive stays where it was: the ObjectStore's path is the in-tree store's, the server name the cluster's own in both.
        const cluster = plan.of("timescale", CLUSTER)!;
        assert.match(cluster.why!, /spec\.backup/);
        const inTreeCluster = before.resources.find((r) => r.type === CLUSTER && r.name === "timescale")!;
        assert.deepEqual(now.named(OBJECT_STORE, "timescale-archive").inputs.spec.configuration, inTreeCluster.inputs.spec.backup.barmanObjectStore);
    });
});
