import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { archivingPlugins, BARMAN_CLOUD_PLUGIN, barmanCloudPlugin, objectStoreName, objectStoreSpec, operatorPods, pluginPods, pluginScheduledBackupSpec, pluginValues } from "../components/platform/kubernetes/barman-cloud-plugin";
import type { BackupDestination } from "../components/platform/kubernetes/backups";
import { scheduledBackupSchedule } from "../components/platform/kubernetes/cloudnative-pg";
import { Certificates } from "../components/tls/certificates";
import { secondUpSpec } from "../harness/lifecycle/cloudnative-pg-model";
import { runStack, StackRun } from "../harness/run-stack";
import { chartValues, objectStoreValidator } from "./helpers/barman-cloud-crd";
import { cnpgModel } from "./helpers/cloudnative-pg-models";
import { Registered, settle, useMocks } from "./helpers/mocks";
import { requireTool } from "./helpers/tools";

const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<Record<string, any>>;
const NAMESPACE = "cnpg-system";

/** The plugin as the program declares it, with the platform's real Certificates component (under mocks). */
async function declarePlugin(operatorInstalled: boolean): Promise<Registered[]> {
    const registered = await useMocks();
    const certificates = new Certificates("tls", { organization: "llm-platform test", dnsNames: ["proxy"], ipAddresses: [], validityDays: 90, renewBeforeDays: 30, caValidityDays: 3650 });
    const release = barmanCloudPlugin({ namespace: NAMESPACE, issue: certificates.issue.bind(certificates), operatorInstalled, after: [] }, {});
    await settle(release.urn);
    await new Promise((r) => setTimeout(r, 0));
    return registered;
}

const named = (registered: Registered[], type: string, name: string) => {
    const found = registered.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`no ${type} ${name}; have ${registered.map((r) => `${r.type} ${r.name}`).join(", ")}`);
    return found;
};

describe("The Barman Cloud plugin (CNPG-I): chart, certificates from the platform's CA, flows", function () {
    let registered: Registered[];
    before(async () => {
        registered = await declarePlugin(true);
    });

    it("installs the pinned chart with its cert-manager Certificates off, its images pinned and limits on its container", () => {
        const release = named(registered, "kubernetes:helm.sh/v3:Release", "plugin-barman-cloud");
        assert.equal(release.inputs.chart, "plugin-barman-cloud");
        assert.equal(release.inputs.version, "0.7.0");
        assert.equal(release.inputs.repositoryOpts.repo, "https://cloudnative-pg.github.io/charts");
        assert.equal(release.inputs.namespace, NAMESPACE, "the operator registers plugins of its own namespace only");
        const values = release.inputs.values;
        assert.deepEqual(values.certificate, { createClientCertificate: false, createServerCertificate: false, createIssuer: false });
        assert.equal(values.image.tag, "v0.13.0");
        assert.equal(values.sidecarImage.tag, "v0.13.0");
        assert.deepEqual(values.resources, { limits: { cpu: "200m", memory: "256Mi" }, requests: { cpu: "50m", memory: "64Mi" } });
    });

    it("gives the chart values its schema accepts, each one a key of its values.yaml (but the next release's createIssuer)", function () {
        const chart = chartValues(this);
        const values = JSON.parse(JSON.stringify(pluginValues()));
        assert.deepEqual(chart.validate(values), []);
        assert.notDeepEqual(chart.validate({ ...values, certificate: { createClientCertificate: "no" } }), [], "the schema check can fail");
        // A misspelt key would be ignored by Helm, and the chart's cert-manager Certificates come back.
        const leaves = (o: Record<string, any>, prefix = ""): string[] =>
            Object.entries(o).flatMap(([k, v]) => (v && typeof v === "object" && !Array.isArray(v) && !["resources"].includes(k) ? leaves(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
        const has = (key: string) => key.split(".").reduce<any>((o, k) => (o != null && k in o ? o[k] : undefined), chart.defaults) !== undefined;
        assert.deepEqual(leaves(values).filter((k) => !has(k)), ["certificate.createIssuer"]);
        assert.equal(chart.defaults.service.name, BARMAN_CLOUD_PLUGIN.service);
        assert.equal(chart.defaults.service.port, BARMAN_CLOUD_PLUGIN.port);
    });

    it("gives the chart the TLS Secrets its Deployment mounts and its Service names", () => {
        for (const name of [BARMAN_CLOUD_PLUGIN.serverSecret, BARMAN_CLOUD_PLUGIN.clientSecret]) {
            const secret = named(registered, "kubernetes:core/v1:Secret", name);
            assert.equal(secret.inputs.type, "kubernetes.io/tls");
            assert.equal(secret.inputs.metadata.namespace, NAMESPACE);
            // The key is a secret output (the mock records its wrapper).
            const data = secret.inputs.stringData.value ?? secret.inputs.stringData;
            assert.deepEqual(Object.keys(data).sort(), ["tls.crt", "tls.key"]);
        }
    });

    it("names the Service in the server certificate (the operator's TLS server name first) and gives the operator's certificate client_auth", () => {
        const serverRequest = named(registered, "tls:index/certRequest:CertRequest", "barman-cloud-server-csr").inputs;
        assert.deepEqual(serverRequest.dnsNames, ["barman-cloud", "barman-cloud.cnpg-system", "barman-cloud.cnpg-system.svc", "barman-cloud.cnpg-system.svc.cluster.local"]);
        assert.ok(named(registered, "tls:index/locallySignedCert:LocallySignedCert", "barman-cloud-client-cert").inputs.allowedUses.includes("client_auth"));
        assert.ok(named(registered, "tls:index/locallySignedCert:LocallySignedCert", "barman-cloud-server-cert").inputs.allowedUses.includes("server_auth"));
    });

    it("admits the operator's pods only, on the plugin's port, and validates as a NetworkPolicy", async () => {
        const policy = named(registered, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "barman-cloud-plugin-flows");
        const { NetworkPolicy } = await importEsm("kubernetes-models/networking.k8s.io/v1");
        new NetworkPolicy(policy.inputs).validate();
        assert.deepEqual(policy.inputs.spec.podSelector.matchLabels, pluginPods);
        assert.deepEqual(policy.inputs.spec.ingress, [{ from: [{ podSelector: { matchLabels: operatorPods } }], ports: [{ protocol: "TCP", port: 9090 }] }]);
        // Out: the API server (HTTPS) and the cluster's DNS, nothing else.
        assert.deepEqual(policy.inputs.spec.egress.map((r: any) => r.ports.map((p: any) => `${p.protocol}/${p.port}`).join(",")), ["TCP/443", "UDP/53,TCP/53"]);
        assert.deepEqual(policy.inputs.spec.egress[1].to[0].podSelector, { matchLabels: { "k8s-app": "kube-dns" } });
        const unknownOperator = named(await declarePlugin(false), "kubernetes:networking.k8s.io/v1:NetworkPolicy", "barman-cloud-plugin-flows");
        assert.deepEqual(unknownOperator.inputs.spec.ingress[0].from, [{ podSelector: {} }], "an operator already running: its namespace's pods");
    });

    describe("the operator-to-plugin handshake, with real certificates of the names and uses requested (openssl, Node's TLS)", function () {
        let dir: string;
        const read = (f: string) => fs.readFileSync(path.join(dir, f));
        before(function () {
            requireTool(this, "openssl", "openssl");
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-barman-plugin-tls-"));
            const ssl = (...args: string[]) => {
                const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
                assert.equal(r.status, 0, r.stderr);
            };
            const eku = (uses: string[]) => uses.filter((u) => u.endsWith("_auth")).map((u) => ({ server_auth: "serverAuth", client_auth: "clientAuth" })[u]).join(",");
            ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=test CA", "-days", "2");
            const leaf = (file: string, base: string, uses?: string[]) => {
                const request = named(registered, "tls:index/certRequest:CertRequest", `${base}-csr`).inputs;
                const allowed = uses ?? named(registered, "tls:index/locallySignedCert:LocallySignedCert", `${base}-cert`).inputs.allowedUses;
                fs.writeFileSync(path.join(dir, `${file}.ext`), `subjectAltName=${request.dnsNames.map((n: string) => `DNS:${n}`).join(",")}\nextendedKeyUsage=${eku(allowed)}\n`);
                ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${file}.key`, "-out", `${file}.csr`, "-subj", `/CN=${request.subject.commonName}`);
                ssl("x509", "-req", "-in", `${file}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${file}.leaf`, "-days", "2", "-extfile", `${file}.ext`);
                // tls.crt as Certificates.issue writes it: the leaf, then the CA.
                fs.writeFileSync(path.join(dir, `${file}.crt`), Buffer.concat([read(`${file}.leaf`), read("ca.pem")]));
            };
            leaf("server", "barman-cloud-server");
            leaf("client", "barman-cloud-client");
            leaf("server-only", "barman-cloud-client", ["digital_signature", "key_encipherment", "server_auth"]);
        });

        /** The plugin's side: its server certificate, clients verified against the client Secret's tls.crt; the operator's: the server Secret's tls.crt as roots, TLS 1.3, the Service's name. */
        async function handshake(client: string, serverName: string): Promise<string | undefined> {
            const server = tls.createServer({ key: read("server.key"), cert: read("server.crt"), ca: read("client.crt"), requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.3" }, (s) => s.end("ok"));
            await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
            const port = (server.address() as { port: number }).port;
            try {
                return await new Promise<string | undefined>((resolve) => {
                    const socket = tls.connect({ host: "127.0.0.1", port, servername: serverName, ca: read("server.crt"), key: read(`${client}.key`), cert: read(`${client}.crt`), minVersion: "TLSv1.3" });
                    let data = "";
                    socket.on("data", (d) => (data += d));
                    socket.on("end", () => resolve(data === "ok" ? undefined : `closed without an answer (${data})`));
                    socket.on("error", (e) => resolve(e.message));
                });
            } finally {
                server.close();
            }
        }

        it("connects as the operator does: server name barman-cloud, the CA in each Secret's bundle verifying the other's leaf", async () => {
            assert.equal(await handshake("client", BARMAN_CLOUD_PLUGIN.service), undefined);
        });

        it("fails on a name the certificate lacks, and refuses a client certificate without client_auth", async () => {
            assert.match((await handshake("client", "barman-cloud.other")) ?? "connected", /Hostname\/IP does not match|altnames/);
            assert.notEqual(await handshake("server-only", BARMAN_CLOUD_PLUGIN.service), undefined);
            // What the refusal is: OpenSSL's purpose check of a client certificate (Go's server checks the same extended key usage).
            const purpose = (cert: string) => spawnSync("openssl", ["verify", "-CAfile", "ca.pem", "-purpose", "sslclient", cert], { cwd: dir, encoding: "utf8" });
            assert.equal(purpose("client.leaf").status, 0, purpose("client.leaf").stderr);
            assert.match(purpose("server-only.leaf").stdout + purpose("server-only.leaf").stderr, /unsuitable certificate purpose/);
        });
    });
});

/**
 * The migration the plugin's docs give (plugin-barman-cloud web/docs/migration.md, v0.13.0), on the
 * Cluster the prod stack declares today: the ObjectStore takes `barmanObjectStore` and the retention,
 * the Cluster names the plugin as its WAL archiver, the ScheduledBackup goes through the plugin.
 * These specs are not in the stack yet (the plugin's chart cannot be installed without cert-manager's
 * CRDs: components/platform/kubernetes/barman-cloud-plugin.ts says why).
 */
describe("Backups through the Barman Cloud plugin: ObjectStore, Cluster and ScheduledBackup (specs, not yet in the stack)", function () {
    this.timeout(120000);
    let run: StackRun;
    let inTree: any;
    let viaPlugin: any;
    before(async () => {
        run = await runStack("prod", { exampleUserValues: true });
        inTree = JSON.parse(JSON.stringify(run.named("kubernetes:postgresql.cnpg.io/v1:Cluster", "timescale").inputs.spec));
        viaPlugin = structuredClone(inTree);
        delete viaPlugin.backup;
        viaPlugin.plugins = archivingPlugins("timescale");
    });

    it("keeps the archive where it is: the ObjectStore's configuration is the in-tree barmanObjectStore, with its retention", async () => {
        const store = inTree.backup.barmanObjectStore;
        const bucket = /^s3:\/\/([^/]+)\/backups\/cloudnative-pg\/$/.exec(store.destinationPath)![1];
        const destination = { bucket, prefix: "backups/" } as BackupDestination;
        const spec = JSON.parse(JSON.stringify(await settle(objectStoreSpec(destination, run.config.backup.retentionDays) as any)));
        assert.deepEqual(spec.configuration, store);
        assert.equal(spec.configuration.serverName, undefined, "the ObjectStore CRD forbids serverName; it defaults to the cluster's name, as in-tree");
        assert.equal(spec.retentionPolicy, inTree.backup.retentionPolicy);
        assert.deepEqual(spec.instanceSidecarConfiguration.resources, { limits: { cpu: "1", memory: "512Mi" }, requests: { cpu: "100m", memory: "128Mi" } });
    });

    it("validates the ObjectStore against the plugin's CRD (chart 0.7.0), which refuses a wrong retention or a missing destination", async function () {
        const validate = objectStoreValidator(this);
        const destination = { bucket: "llm-platform-prod-123456789012-eu-west-1-backups", prefix: "backups/" } as BackupDestination;
        const spec = JSON.parse(JSON.stringify(await settle(objectStoreSpec(destination, run.config.backup.retentionDays) as any)));
        const object = (s: object) => ({ apiVersion: "barmancloud.cnpg.io/v1", kind: "ObjectStore", metadata: { name: objectStoreName("timescale") }, spec: s });
        assert.deepEqual(validate(object(spec)), []);
        assert.ok(validate(object({ ...spec, retentionPolicy: "30 days" })).some((e) => e.includes("/spec/retentionPolicy")));
        const { destinationPath: _, ...noPath } = spec.configuration;
        assert.ok(validate(object({ ...spec, configuration: noPath })).some((e) => e.includes("destinationPath")));
        assert.ok(validate(object({ ...spec, configuration: { ...spec.configuration, wal: { compression: "zip" } } })).some((e) => e.includes("/spec/configuration/wal/compression")));
    });

    it("names the plugin as the Cluster's WAL archiver, and the Cluster still validates against the pinned release's CRD", async function () {
        assert.deepEqual(viaPlugin.plugins, [{ name: "barman-cloud.cloudnative-pg.io", enabled: true, isWALArchiver: true, parameters: { barmanObjectName: objectStoreName("timescale") } }]);
        const Cluster = await cnpgModel(this, "Cluster");
        assert.doesNotThrow(() => new Cluster({ apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster", metadata: { name: "timescale" }, spec: viaPlugin }).validate());
    });

    it("sends the plugins as the API server stores them: a second up diffs nothing", () => {
        assert.deepEqual(secondUpSpec(viaPlugin), viaPlugin);
        // A plugin sent by name only: the CRD defaults land beside it, and the diff sees the fields sent only.
        const bare = { ...viaPlugin, plugins: [{ name: BARMAN_CLOUD_PLUGIN.pluginName }] };
        assert.deepEqual(secondUpSpec(bare).plugins, bare.plugins, "pruned to the fields sent, as the provider diffs");
    });

    it("takes the daily base backup through the plugin, from a standby, and validates as a ScheduledBackup", async function () {
        const spec = pluginScheduledBackupSpec("timescale", run.config.backup.fullDailyAtUtc);
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
