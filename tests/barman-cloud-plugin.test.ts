import assert from "node:assert/strict";
import { BARMAN_CLOUD_PLUGIN, objectStoreName, operatorPods, pluginPods } from "../components/platform/kubernetes/barman-cloud-plugin";
import { CERT_MANAGER } from "../components/platform/kubernetes/cert-manager";
import { scheduledBackupSchedule } from "../components/platform/kubernetes/cloudnative-pg";
import { kubernetesTotals } from "../harness/kubernetes-totals";
import { objectStoreDefaults, objectStoreSecondUp, pruneMap, secondUpSpec } from "../harness/lifecycle/cloudnative-pg-model";
import { runStack, StackRun } from "../harness/run-stack";
import { cnpgModel } from "./helpers/cloudnative-pg-models";
import { objectStoreProblems } from "./helpers/object-store";

const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<Record<string, any>>;
const RELEASE = "kubernetes:helm.sh/v3:Release";
const CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster";
const OBJECT_STORE = "kubernetes:barmancloud.cnpg.io/v1:ObjectStore";
const SCHEDULED_BACKUP = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const OPERATOR_NAMESPACE = "cnpg-system";

describe("The Barman Cloud plugin and cert-manager, installed with the operator (prod under mocks)", function () {
    this.timeout(120000);
    let run: StackRun;
    before(async () => {
        run = await runStack("prod", { exampleUserValues: true });
    });

    it("installs pinned cert-manager with its CRDs, limits on its four containers, atomically, in its own namespace", () => {
        const release = run.named(RELEASE, "cert-manager").inputs;
        assert.equal(release.chart, "cert-manager");
        assert.equal(release.version, CERT_MANAGER.chartVersion);
        assert.match(release.version, /^v\d+\.\d+\.\d+$/, "an exact chart version");
        assert.equal(release.repositoryOpts.repo, "https://charts.jetstack.io");
        assert.equal(release.namespace, run.config.kubernetes.certManager.namespace);
        assert.equal(release.namespace, "cert-manager");
        assert.equal(release.createNamespace, true);
        assert.equal(release.atomic, true);
        assert.deepEqual(release.values.crds, { enabled: true });
        for (const images of [release.values, release.values.webhook, release.values.cainjector, release.values.startupapicheck]) {
            assert.deepEqual(images.image, { tag: CERT_MANAGER.version }, "each component's image pinned, not left to the chart's appVersion");
        }
        for (const resources of [release.values.resources, release.values.webhook.resources, release.values.cainjector.resources, release.values.startupapicheck.resources]) {
            assert.deepEqual(Object.keys(resources.limits).sort(), ["cpu", "memory"]);
            assert.deepEqual(Object.keys(resources.requests).sort(), ["cpu", "memory"]);
        }
    });

    it("installs the pinned plugin in the operator's namespace, after the operator and cert-manager, with its chart's default certificates", () => {
        const release = run.named(RELEASE, "plugin-barman-cloud");
        assert.equal(release.inputs.chart, "plugin-barman-cloud");
        assert.equal(release.inputs.version, "0.7.0");
        assert.equal(release.inputs.repositoryOpts.repo, "https://cloudnative-pg.github.io/charts");
        assert.equal(release.inputs.namespace, OPERATOR_NAMESPACE, "the operator registers plugins of its own namespace only");
        assert.equal(release.inputs.atomic, true);
        assert.deepEqual(release.options.dependsOn, [`${RELEASE}::cloudnative-pg`, `${RELEASE}::cert-manager`]);
        const values = release.inputs.values;
        // No `certificate` values: the chart's Issuer and Certificates, which cert-manager issues and renews.
        assert.deepEqual(Object.keys(values).sort(), ["crds", "image", "resources", "sidecarImage"]);
        assert.equal(values.image.tag, "v0.13.0");
        assert.equal(values.sidecarImage.tag, "v0.13.0");
        assert.deepEqual(values.resources, { limits: { cpu: "200m", memory: "256Mi" }, requests: { cpu: "50m", memory: "64Mi" } });
    });

    it("admits the operator's pods only, on the plugin's port, and validates as a NetworkPolicy", async () => {
        const policy = run.ofType(NETWORK_POLICY).find((p) => p.inputs.metadata.name === "barman-cloud-plugin")!;
        assert.equal(policy.inputs.metadata.namespace, OPERATOR_NAMESPACE);
        const { NetworkPolicy } = await importEsm("kubernetes-models/networking.k8s.io/v1");
        new NetworkPolicy(policy.inputs).validate();
        assert.deepEqual(policy.inputs.spec.podSelector.matchLabels, pluginPods);
        assert.deepEqual(policy.inputs.spec.ingress, [{ from: [{ podSelector: { matchLabels: operatorPods } }], ports: [{ protocol: "TCP", port: BARMAN_CLOUD_PLUGIN.port }] }]);
        // Out: the API server (HTTPS) and the cluster's DNS, nothing else.
        assert.deepEqual(policy.inputs.spec.egress.map((r: any) => r.ports.map((p: any) => `${p.protocol}/${p.port}`).join(",")), ["TCP/443", "UDP/53,TCP/53"]);
        // cert-manager's namespace gets none: the platform puts no policy in the namespaces of what it installs from charts but the plugin's.
        assert.ok(!run.ofType(NETWORK_POLICY).some((p) => p.inputs.metadata.namespace === "cert-manager"));
    });

    it("with cert-manager already present (certManager.install false), the plugin waits for the operator only", async () => {
        const present = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:kubernetes": { certManager: { install: false } } } });
        assert.ok(!present.ofType(RELEASE).some((r) => r.name === "cert-manager"));
        assert.deepEqual(present.named(RELEASE, "plugin-barman-cloud").options.dependsOn, [`${RELEASE}::cloudnative-pg`]);
    });

    it("staging, on prod's operator (cloudnativePg.install false), installs neither the plugin nor cert-manager, and archives through prod's plugin", async () => {
        const staging = await runStack("staging", { exampleUserValues: true });
        assert.deepEqual(staging.ofType(RELEASE).map((r) => r.name).filter((n) => ["cloudnative-pg", "plugin-barman-cloud", "cert-manager"].includes(n)), []);
        assert.equal(staging.named(CLUSTER, "timescale").inputs.spec.plugins[0].name, BARMAN_CLOUD_PLUGIN.pluginName);
        assert.ok(staging.named(OBJECT_STORE, "timescale-archive"));
    });
});

/**
 * The Cluster archives through the plugin (plugin-barman-cloud web/docs/usage.md and migration.md at
 * v0.13.0): an ObjectStore with the archive's settings, the Cluster's `plugins` naming it as WAL
 * archiver, the ScheduledBackup's `method: plugin`.
 */
describe("Backups through the Barman Cloud plugin: ObjectStore, Cluster and ScheduledBackup (prod under mocks)", function () {
    this.timeout(120000);
    let run: StackRun;
    let store: any;
    let cluster: any;
    before(async () => {
        run = await runStack("prod", { exampleUserValues: true });
        store = JSON.parse(JSON.stringify(run.named(OBJECT_STORE, "timescale-archive").inputs));
        cluster = run.named(CLUSTER, "timescale");
    });

    it("declares the cluster's ObjectStore: the backup bucket with the backup role, compression, the retention, limits on the sidecar", () => {
        assert.equal(store.metadata.name, objectStoreName("timescale"));
        assert.equal(store.metadata.namespace, run.config.kubernetes.namespace);
        const c = store.spec.configuration;
        assert.match(c.destinationPath, /^s3:\/\/llm-platform-prod-\d{12}-eu-west-1-backups\/backups\/cloudnative-pg\/$/);
        assert.deepEqual(c.s3Credentials, { inheritFromIAMRole: true });
        assert.deepEqual([c.wal, c.data], [{ compression: "gzip", maxParallel: 4 }, { compression: "gzip", jobs: 2 }]);
        assert.equal(c.serverName, undefined, "the ObjectStore CRD forbids serverName; it defaults to the cluster's name, as in-tree");
        assert.equal(store.spec.retentionPolicy, `${run.config.backup.retentionDays}d`);
        assert.deepEqual(store.spec.instanceSidecarConfiguration.resources, { limits: { cpu: "1", memory: "512Mi" }, requests: { cpu: "100m", memory: "128Mi" } });
        // Kept by destroy as the Cluster is (a retained cluster without it archives nothing); the Cluster waits for it.
        const registered = run.named(OBJECT_STORE, "timescale-archive");
        assert.equal(registered.options.retainOnDelete, true);
        assert.ok(registered.options.dependsOn.includes(`${RELEASE}::plugin-barman-cloud`), String(registered.options.dependsOn));
        assert.ok(cluster.options.dependsOn.includes(`${OBJECT_STORE}::timescale-archive`), String(cluster.options.dependsOn));
    });

    it("counts the sidecar in each instance in what the stack asks of the cluster (npm run bench)", () => {
        const withSidecars = kubernetesTotals(run).cluster;
        const without = kubernetesTotals({ ...run, ofType: (type: string) => (type === OBJECT_STORE ? [] : run.ofType(type)) } as StackRun).cluster;
        const instances = cluster.inputs.spec.instances;
        assert.equal(withSidecars.pods, without.pods, "a sidecar is no pod of its own");
        assert.equal(Math.round((withSidecars.cpuRequest - without.cpuRequest) * 1000), instances * 100, "100m requested per instance");
        assert.equal(withSidecars.memoryMb - without.memoryMb, instances * 512);
    });

    it("validates the ObjectStore offline: configuration with the operator's BarmanObjectStoreConfiguration schema, the rest with the fields of objectstore_types.go v0.13.0", async function () {
        assert.deepEqual(await objectStoreProblems(this, store), []);
        // The checks can fail, each one.
        const broken = (patch: (s: any) => void) => {
            const copy = structuredClone(store);
            patch(copy.spec);
            return objectStoreProblems(this, copy);
        };
        assert.match((await broken((s) => (s.retentionPolicy = "30 days"))).join(), /retentionPolicy/);
        assert.match((await broken((s) => delete s.configuration.destinationPath)).join(), /destinationPath/);
        assert.match((await broken((s) => (s.configuration.wal.compression = "zip"))).join(), /wal\/compression/);
        assert.match((await broken((s) => (s.configuration.serverName = "timescale"))).join(), /serverName is forbidden/);
        assert.match((await broken((s) => (s.instanceSidecarConfiguration.resource = {}))).join(), /resource is not a field/);
        assert.match((await broken((s) => (s.instanceSidecarConfiguration.resources.limits.cpu = ["1"]))).join(), /resources/);
        assert.match((await broken((s) => (s.retention = "30d"))).join(), /spec.retention is not a field/);
    });

    it("names the plugin as the Cluster's WAL archiver, with no in-tree backup section, and the Cluster validates against the pinned release's CRD", async function () {
        const spec = JSON.parse(JSON.stringify(cluster.inputs.spec));
        assert.deepEqual(spec.plugins, [{ name: "barman-cloud.cloudnative-pg.io", enabled: true, isWALArchiver: true, parameters: { barmanObjectName: "timescale-archive" } }]);
        assert.equal(spec.backup, undefined);
        const Cluster = await cnpgModel(this, "Cluster");
        assert.doesNotThrow(() => new Cluster({ apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster", metadata: { name: "timescale" }, spec }).validate());
    });

    it("sends the ObjectStore as the API server stores it (the CRD's defaults land beside the fields sent): a second up diffs nothing", () => {
        assert.deepEqual(objectStoreSecondUp(store.spec), store.spec);
        assert.equal(objectStoreDefaults(store.spec).instanceSidecarConfiguration.retentionPolicyIntervalSeconds, 1800);
        // The model can see a diff: a sent value the defaults would not keep.
        const empty = { ...store.spec, instanceSidecarConfiguration: {} };
        assert.deepEqual(objectStoreSecondUp(empty), empty, "an empty object sent is pruned to empty");
        assert.notDeepEqual(pruneMap(objectStoreDefaults(store.spec), { ...store.spec, instanceSidecarConfiguration: { logLevel: "debug" } }), { ...store.spec, instanceSidecarConfiguration: { logLevel: "debug" } });
    });

    it("sends the plugins as the API server stores them: a second up diffs nothing", () => {
        const spec = JSON.parse(JSON.stringify(cluster.inputs.spec));
        assert.deepEqual(secondUpSpec(spec).plugins, spec.plugins);
        // A plugin sent by name only: the CRD defaults land beside it, and the diff sees the fields sent only.
        const bare = { ...spec, plugins: [{ name: BARMAN_CLOUD_PLUGIN.pluginName }] };
        assert.deepEqual(secondUpSpec(bare).plugins, bare.plugins, "pruned to the fields sent, as the provider diffs");
    });

    it("takes the daily base backup through the plugin, from a standby, and validates as a ScheduledBackup", async function () {
        const spec = run.named(SCHEDULED_BACKUP, "timescale-daily-backup").inputs.spec;
        assert.deepEqual(spec, {
            schedule: scheduledBackupSchedule(run.config.backup.fullDailyAtUtc),
            cluster: { name: "timescale" },
            method: "plugin",
            pluginConfiguration: { name: "barman-cloud.cloudnative-pg.io" },
            target: "prefer-standby",
            immediate: true,
            backupOwnerReference: "self",
        });
        const ScheduledBackup = await cnpgModel(this, "ScheduledBackup");
        assert.doesNotThrow(() => new ScheduledBackup({ apiVersion: "postgresql.cnpg.io/v1", kind: "ScheduledBackup", metadata: { name: "timescale-daily" }, spec }).validate());
        assert.throws(() => new ScheduledBackup({ apiVersion: "postgresql.cnpg.io/v1", kind: "ScheduledBackup", metadata: { name: "x" }, spec: { ...spec, method: "pluggin" } }).validate());
    });
});
