import assert from "node:assert/strict";
import { CLOUDNATIVE_PG, CNPG_CLUSTER_LABEL, scheduledBackupSchedule } from "../components/platform/kubernetes/cloudnative-pg";
import { kubernetesTotals } from "../harness/kubernetes-totals";
import { OPERATOR_OWNED_PARAMETERS, operatorDefaults, secondUpSpec } from "../harness/lifecycle/cloudnative-pg-model";
import { RegisteredResource, runStack, StackRun } from "../harness/run-stack";
import { PDB, STATEFUL_SET, NETWORK_POLICY } from "./helpers/kubernetes-types";
import { cnpgModel } from "./helpers/cloudnative-pg-models";

const CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster";
const SCHEDULED_BACKUP = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup";
const RELEASE = "kubernetes:helm.sh/v3:Release";

for (const stack of ["prod", "staging"]) {
    describe(`TimescaleDB on CloudNativePG (${stack} stack under mocks)`, function () {
        this.timeout(120000);
        let run: StackRun;
        let cluster: RegisteredResource;
        before(async () => {
            run = await runStack(stack, { exampleUserValues: true });
            cluster = run.named(CLUSTER, "timescale");
        });

        it("declares a Cluster of 3 instances with quorum synchronous replication, spread over zones and nodes", () => {
            const spec = cluster.inputs.spec;
            assert.equal(spec.instances, 3);
            assert.deepEqual(spec.postgresql.synchronous, { method: "any", number: 1, dataDurability: "required" });
            assert.deepEqual(spec.affinity, { enablePodAntiAffinity: true, topologyKey: "kubernetes.io/hostname", podAntiAffinityType: "required" });
            assert.deepEqual(spec.topologySpreadConstraints, [
                { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { [CNPG_CLUSTER_LABEL]: "timescale" } } },
            ]);
            assert.equal(cluster.inputs.metadata.annotations["pulumi.com/waitFor"], "condition=Ready");
            assert.deepEqual(cluster.options.customTimeouts, { create: "30m", update: "30m" });
            assert.equal(cluster.options.retainOnDelete, true);
        });

        it("runs the pinned TimescaleDB operand with its libraries, limits, storage and the superuser the steps use", () => {
            const spec = cluster.inputs.spec;
            assert.equal(spec.imageName, run.config.timescale.clusterImage);
            assert.match(spec.imageName, /^timescale\/timescaledb-ha:pg17\.\d+-ts2\.\d+\.\d+$/);
            assert.deepEqual(spec.postgresql.shared_preload_libraries, ["timescaledb", "pg_stat_statements"]);
            assert.equal(spec.resources.limits.memory, `${run.config.timescale.memoryMb / 1024}Gi`);
            assert.ok(spec.resources.requests.cpu);
            assert.equal(spec.storage.size, `${run.config.timescale.storageGb}Gi`);
            assert.equal(spec.storage.storageClass, run.config.kubernetes.storageClassName);
            assert.equal(spec.enableSuperuserAccess, true);
            const secret = run.ofType("kubernetes:core/v1:Secret").find((s) => s.inputs.metadata.name === spec.superuserSecret.name)!;
            assert.equal(secret.inputs.type, "kubernetes.io/basic-auth");
            assert.equal(secret.inputs.stringData.username, "postgres");
            // Clients keep the name `timescale`: a read-write Service of the operator's, in its certificate too.
            assert.deepEqual(
                spec.managed.services.additional.map((s: any) => [s.selectorType, s.serviceTemplate.metadata.name]),
                [["rw", "timescale"]],
            );
        });

        it("serves the platform's certificate and refuses TCP without TLS; its clients verify it with the same CA", () => {
            const spec = cluster.inputs.spec;
            assert.deepEqual(spec.postgresql.pg_hba, ["hostnossl all all all reject"]);
            assert.deepEqual(spec.certificates, { serverTLSSecret: "timescale-server-tls", serverCASecret: "timescale-server-ca" });
            const secret = (name: string) => run.ofType("kubernetes:core/v1:Secret").find((s) => s.inputs.metadata.name === name)!.inputs;
            const tls = secret("timescale-server-tls");
            assert.equal(tls.type, "Opaque");
            assert.match(tls.stringData["tls.crt"], /BEGIN CERTIFICATE/);
            assert.ok(tls.stringData["tls.key"]);
            const ca = secret("timescale-server-ca").stringData["ca.crt"];
            assert.equal(ca, run.outputs.caCertificatePem);
            // The certificate names the read-write Service clients use, in the cluster's DNS.
            const request = run.ofType("tls:index/certRequest:CertRequest").find((r) => r.name === "timescale-tls-csr")!;
            assert.ok(request.inputs.dnsNames.includes(`timescale.${run.config.kubernetes.namespace}.svc.cluster.local`), request.inputs.dnsNames);
            for (const job of ["timescale-migrate", "timescale-monitor-role"]) {
                const env = run.named("kubernetes:batch/v1:Job", job).inputs.spec.template.spec.containers.flatMap((c: any) => c.env ?? []);
                assert.ok(env.some((e: any) => e.name === "PGSSLMODE" && e.value === "verify-full"), job);
                assert.ok(env.some((e: any) => e.name === "PGSSLROOTCERT" && e.value === "/etc/llm-platform/tls/store-ca.crt"), job);
            }
        });

        it("archives WAL continuously to the backup bucket with the backup role, and takes a base backup every day (through the Barman Cloud plugin)", () => {
            // tests/barman-cloud-plugin.test.ts checks the ObjectStore, the plugins entry and the ScheduledBackup in full.
            assert.deepEqual(cluster.inputs.spec.plugins.map((p: any) => [p.name, p.isWALArchiver, p.parameters.barmanObjectName]), [["barman-cloud.cloudnative-pg.io", true, "timescale-archive"]]);
            const store = run.named("kubernetes:barmancloud.cnpg.io/v1:ObjectStore", "timescale-archive").inputs.spec;
            assert.match(store.configuration.destinationPath, /^s3:\/\/llm-platform-[a-z]+-\d{12}-eu-west-1-backups\/backups\/cloudnative-pg\/$/);
            assert.deepEqual(store.configuration.s3Credentials, { inheritFromIAMRole: true });
            assert.equal(store.retentionPolicy, `${run.config.backup.retentionDays}d`);
            const daily = run.named(SCHEDULED_BACKUP, "timescale-daily-backup").inputs.spec;
            assert.equal(daily.schedule, scheduledBackupSchedule(run.config.backup.fullDailyAtUtc));
            assert.deepEqual([daily.method, daily.pluginConfiguration], ["plugin", { name: "barman-cloud.cloudnative-pg.io" }]);
            // Pod Identity: the cluster's own ServiceAccount (named after it) is associated with the backup role, which trusts it.
            const associations = run.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation").map((a) => a.inputs.serviceAccount);
            assert.ok(associations.includes("timescale") && associations.includes("timescale-pitr"), `associations: ${associations}`);
            const role = run.ofType("aws:iam/role:Role").find((r) => /backup/.test(r.inputs.name) && r.inputs.assumeRolePolicy.includes("kubernetes-service-account"))!;
            const trusted = JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Condition.StringEquals["aws:RequestTag/kubernetes-service-account"];
            assert.deepEqual(trusted, ["backup", "timescale", "timescale-pitr"]);
        });

        it("leaves the instances, their PodDisruptionBudgets and Services to the operator, and opens only its flows", () => {
            assert.ok(!run.ofType(STATEFUL_SET).some((s) => s.name === "timescale"));
            assert.ok(!run.ofType(PDB).some((p) => p.inputs.metadata.name === "timescale"), "two PDBs on one pod make every eviction fail");
            const flows = run.ofType(NETWORK_POLICY).find((p) => p.inputs.metadata.name === "timescale-cluster")!.inputs.spec;
            assert.deepEqual(flows.podSelector, { matchLabels: { [CNPG_CLUSTER_LABEL]: "timescale" } });
            assert.deepEqual(flows.ingress[1].from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": run.config.kubernetes.cloudnativePg.namespace } } }]);
            // The platform's policy for the service and its callers' egress pick the instances by the operator's label
            // (inherited name labels would have the operator rewrite its claims' labels forever).
            assert.equal(cluster.inputs.spec.inheritedMetadata, undefined);
            const policy = (name: string) => run.ofType(NETWORK_POLICY).find((p) => p.inputs.metadata.name === name)!.inputs.spec;
            assert.deepEqual(policy("timescale").podSelector, { matchLabels: { [CNPG_CLUSTER_LABEL]: "timescale" } });
            for (const caller of ["timescale-exporter", "timescale-migrate", "timescale-backup-pods", "timescale-analyze"]) {
                const to = policy(caller).egress.flatMap((r: any) => r.to ?? []).map((t: any) => t.podSelector?.matchLabels).filter(Boolean);
                assert.ok(to.some((l: any) => l[CNPG_CLUSTER_LABEL] === "timescale"), `${caller} reaches the instances: ${JSON.stringify(to)}`);
                assert.ok(!to.some((l: any) => l["app.kubernetes.io/name"] === "timescale"), `${caller}`);
            }
        });

        it("runs the migrations and the monitor role against the cluster's read-write Service once it is Ready", () => {
            const JOB = "kubernetes:batch/v1:Job";
            assert.deepEqual(run.named(JOB, "timescale-migrate").options.dependsOn, [`${CLUSTER}::timescale`, `${JOB}::timescale-backup-before-migrate`]);
            assert.deepEqual(run.named(JOB, "timescale-monitor-role").options.dependsOn, [`${CLUSTER}::timescale`]);
            // `timescale` is the operator's read-write Service (managed.services above): the steps' host is unchanged.
            const psql = run.named(JOB, "timescale-monitor-role").inputs.spec.template.spec.containers[0];
            assert.equal(psql.args[psql.args.indexOf("-h") + 1], "timescale");
        });

        it("validates the Cluster and ScheduledBackup against the pinned release's CRDs", async function () {
            const Cluster = await cnpgModel(this, "Cluster");
            const ScheduledBackup = await cnpgModel(this, "ScheduledBackup");
            for (const r of [...run.ofType(CLUSTER), ...run.ofType(SCHEDULED_BACKUP)]) {
                const Model = r.type === CLUSTER ? Cluster : ScheduledBackup;
                assert.doesNotThrow(() => new Model(resolved(r.inputs)).validate(), `${r.type} ${r.name}`);
            }
            // The validator is not a rubber stamp: a method the CRD does not know is refused.
            const wrong = resolved(cluster.inputs);
            wrong.spec.postgresql.synchronous.method = "all";
            assert.throws(() => new Cluster(wrong).validate(), /synchronous\/method/);
        });

        it("counts the instances in what the stack asks of the cluster (npm run bench)", () => {
            const { cluster: total } = kubernetesTotals(run);
            const workloads = run.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment" || r.type === STATEFUL_SET);
            const pods = workloads.reduce((n, w) => n + (w.inputs.spec.replicas ?? 1), 0);
            assert.equal(total.pods, pods + 3);
        });

        it("sends nothing the operator's defaulting changes: a second up diffs nothing", () => {
            const sent = resolved(cluster.inputs.spec);
            assert.deepEqual(secondUpSpec(sent), sent);
            for (const key of Object.keys(sent.postgresql.parameters)) {
                assert.ok(!(OPERATOR_OWNED_PARAMETERS as readonly string[]).includes(key), `${key} belongs to the operator`);
            }
        });
    });
}

describe("the CloudNativePG second-up model can see a diff", () => {
    it("flags a list the webhook prepends to, and a parameter it overrides", () => {
        const monitoring = { instances: 3, monitoring: { customQueriesConfigMap: [{ name: "mine", key: "q" }] } };
        assert.notDeepEqual(secondUpSpec(monitoring), monitoring);
        const archive = { instances: 3, postgresql: { parameters: { archive_mode: "off" } } };
        assert.notDeepEqual(secondUpSpec(archive), archive);
        assert.equal(operatorDefaults({}).affinity.podAntiAffinityType, "preferred");
    });
});

describe("the pinned CloudNativePG operator", function () {
    this.timeout(120000);
    it("installs the chart whose appVersion is the pinned operator, on prod; staging uses the one already there", async () => {
        const prod = await runStack("prod", { exampleUserValues: true });
        const [release] = prod.ofType(RELEASE);
        assert.equal(release.inputs.chart, "cloudnative-pg");
        assert.equal(release.inputs.version, CLOUDNATIVE_PG.chartVersion);
        assert.equal(release.inputs.repositoryOpts.repo, "https://cloudnative-pg.github.io/charts");
        assert.equal(release.inputs.values.image.tag, CLOUDNATIVE_PG.operatorVersion);
        assert.ok(release.inputs.values.resources.limits.memory);
        const cluster = prod.named(CLUSTER, "timescale");
        assert.ok(cluster.options.dependsOn.includes(`${RELEASE}::cloudnative-pg`), "the Cluster waits for the operator's webhooks");
        const staging = await runStack("staging", { exampleUserValues: true });
        assert.equal(staging.ofType(RELEASE).length, 0);
    });
});

/** The inputs as plain JSON (the mocks keep Outputs resolved; secrets and unknowns as strings). */
function resolved(value: any): any {
    return JSON.parse(JSON.stringify(value));
}
