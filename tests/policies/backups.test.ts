import { strict as assert } from "assert";
import { dockerStatefulBackups, kubernetesStatefulBackups } from "../../policies/rules/backups";
import { container, initContainer } from "./helpers/docker-fixtures";
import { CRON_JOB, DEPLOYMENT, k8sContainer, podSpec, STATEFUL_SET, workload } from "./helpers/kubernetes-fixtures";
import { check, messages } from "./helpers/run";

/** A StatefulSet that keeps data, as the Kubernetes platform registers it. */
function store(service: string, annotations?: Record<string, string>) {
    const r = workload(STATEFUL_SET, service, podSpec([k8sContainer(service)]));
    r.props.spec.volumeClaimTemplates = [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "20Gi" } } } }];
    if (annotations) r.props.metadata.annotations = annotations;
    return r;
}

/** A CronJob of the service, labelled as the platform labels its backup (or restore) jobs. */
function cronJob(service: string, role = "backup", extra: Record<string, any> = {}, namespace?: string) {
    const r = workload(CRON_JOB, service, podSpec([k8sContainer("upload")]), `${service}-${role}`, "prod", namespace);
    r.props.metadata.labels = { ...r.props.metadata.labels, "llm-platform.role": role };
    Object.assign(r.props.spec, extra);
    return r;
}

describe("policy kubernetes-stateful-backups", () => {
    it("passes stores with a backup CronJob of their service, stateless workloads, and declared reasons", async () => {
        const stateless = workload(DEPLOYMENT, "proxy", podSpec([k8sContainer("proxy")]));
        const models = store("ollama", { "llm-platform.backup-not-needed": "models download again" });
        assert.deepEqual(await check(kubernetesStatefulBackups, [store("redis"), cronJob("redis"), stateless, models]), []);
    });

    it("fails a store whose only jobs are a restore template, a suspended backup, another service's, or in another namespace", async () => {
        const cases: [any[], string][] = [
            [[store("redis")], "none"],
            [[store("redis"), cronJob("redis", "restore")], "restore only"],
            [[store("redis"), cronJob("redis", "backup", { suspend: true })], "suspended"],
            [[store("redis"), cronJob("qdrant")], "another service's"],
            [[store("redis"), cronJob("redis", "backup", {}, "elsewhere")], "another namespace"],
            [[store("redis", { "llm-platform.backup-not-needed": " " })], "a blank reason"],
        ];
        for (const [resources, what] of cases) {
            const found = messages(await check(kubernetesStatefulBackups, resources));
            assert.equal(found.length, 1, `${what}: ${found.join("\n")}`);
            assert.match(found[0], /StatefulSet "redis" keeps data in PersistentVolumeClaims, but no backup CronJob in namespace [\w-]+ backs up service redis; required: a CronJob labelled app\.kubernetes\.io\/name=redis and llm-platform\.role=backup/, what);
        }
    });

    it("counts a claim volume of a Deployment as data too", async () => {
        const deployment = workload(DEPLOYMENT, "uploads", podSpec([k8sContainer("uploads")], [], { volumes: [{ name: "files", persistentVolumeClaim: { claimName: "uploads" } }] }));
        assert.equal((await check(kubernetesStatefulBackups, deployment)).length, 1);
        assert.deepEqual(await check(kubernetesStatefulBackups, [deployment, cronJob("uploads")]), []);
    });

    it("does not take a job's own scratch claim (a generic ephemeral volume) for data to back up", async () => {
        const scratch = { name: "backups", ephemeral: { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "500Gi" } } } } } };
        const job = workload(CRON_JOB, "timescale", podSpec([k8sContainer("upload")], [], { volumes: [scratch] }), "timescale-backup-full");
        assert.deepEqual(await check(kubernetesStatefulBackups, job), []);
    });

    it("reads the backup label from its config", async () => {
        const job = cronJob("redis");
        job.props.metadata.labels = { ...job.props.metadata.labels, team: "db-backup" };
        assert.deepEqual(await check(kubernetesStatefulBackups, [store("redis"), job], { backupLabel: "team=db-backup" }), []);
    });
});

describe("policy docker-stateful-backups (advisory)", () => {
    const scheduler = (service: string) =>
        container(service, {
            labels: [
                { label: "llm-platform.service", value: service },
                { label: "llm-platform.role", value: "backup" },
            ],
        }, `${service}-backup-full`);
    const withVolume = (service: string, extra: Record<string, any> = {}) => container(service, { volumes: [{ volumeName: `llm-platform-dev-${service}-data`, containerPath: "/data" }], ...extra });

    it("passes a store with its scheduler, containers without data volumes or with read-only ones, and declared reasons", async () => {
        const readOnly = container("node-exporter", { volumes: [{ volumeName: "llm-platform-dev-backups", containerPath: "/backups", readOnly: true }] });
        const declared = withVolume("ollama", {
            labels: [
                { label: "llm-platform.service", value: "ollama" },
                { label: "llm-platform.role", value: "service" },
                { label: "llm-platform.backup-not-needed", value: "models download again" },
            ],
        });
        assert.deepEqual(await check(dockerStatefulBackups, [withVolume("redis"), scheduler("redis"), container("proxy"), readOnly, declared, initContainer("redis", "seed")]), []);
    });

    it("reports a store without a scheduler, naming the volume paths", async () => {
        const found = await check(dockerStatefulBackups, [withVolume("redis"), scheduler("qdrant")]);
        assert.equal(found.length, 1);
        assert.equal(found[0].enforcementLevel, "advisory");
        assert.match(found[0].message, /Container "redis" keeps data in named volumes \(\/data\), but no backup scheduler container of service redis exists/);
    });
});
