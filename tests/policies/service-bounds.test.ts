import { strict as assert } from "assert";
import { serviceResourceBounds } from "../../policies/rules/service-bounds";
import { container, initContainer, remoteImage, sqlServerContainer } from "./helpers/docker-fixtures";
import { DEPLOYMENT, JOB, k8sContainer, podSpec, resources, sqlServerStatefulSet, STATEFUL_SET, workload } from "./helpers/kubernetes-fixtures";
import { check, messages, resource } from "./helpers/run";

describe("policy service-resource-bounds", () => {
    it("passes SQL Server with 4096 MB and Elasticsearch with 2Gi by default", async () => {
        const es = workload(STATEFUL_SET, "elasticsearch", podSpec([k8sContainer("elasticsearch", { resources: resources("1", "2Gi", "2", "2Gi") })]));
        assert.deepEqual(await check(serviceResourceBounds, [sqlServerContainer(), sqlServerStatefulSet(), es]), []);
    });

    it("fails SQL Server below 2048 MB on Docker", async () => {
        const [v] = await check(serviceResourceBounds, sqlServerContainer({ memory: 1024, memorySwap: 1024, memoryReservation: 512 }));
        assert.equal(v.enforcementLevel, "mandatory");
        assert.match(v.message, /Container "sqlserver": memory limit is 1024 MB; service sqlserver requires at least 2048 MB \(config services.sqlserver.minMemoryMb\)/);
    });

    it("fails Elasticsearch below 1024 MB on Kubernetes (limit 768Mi)", async () => {
        const es = workload(STATEFUL_SET, "elasticsearch", podSpec([k8sContainer("elasticsearch", { resources: resources("500m", "512Mi", "1", "768Mi") })]));
        assert.match(messages(await check(serviceResourceBounds, es))[0], /StatefulSet "elasticsearch" container "elasticsearch": memory limit is 768 MB; service elasticsearch requires at least 1024 MB/);
    });

    it("holds the container named after the service to it, not a sidecar listed first", async () => {
        const exporter = k8sContainer("exporter", { image: "awaragi/prometheus-mssql-exporter:v1.3.1", resources: resources("50m", "64Mi", "100m", "128Mi") });
        const sts = workload(STATEFUL_SET, "sqlserver", podSpec([exporter, k8sContainer("sqlserver")]));
        assert.deepEqual(await check(serviceResourceBounds, sts), []);
        const small = workload(STATEFUL_SET, "sqlserver", podSpec([exporter, k8sContainer("sqlserver", { resources: resources("1", "1Gi", "2", "1Gi") })]));
        assert.match(messages(await check(serviceResourceBounds, small))[0], /container "sqlserver": memory limit is 1024 MB/);
    });

    it("does not hold one-shot steps and jobs to the service's floor", async () => {
        const job = workload(JOB, "sqlserver", podSpec([k8sContainer("schema", { resources: resources("100m", "128Mi", "500m", "256Mi") })]), "sqlserver-schema");
        assert.deepEqual(await check(serviceResourceBounds, [initContainer("sqlserver", "schema"), job]), []);
    });

    it("applies configured ceilings and cpu bounds", async () => {
        const config = { services: { ollama: { maxMemoryMb: 8192, minCpu: 2, maxCpu: 4 } } };
        assert.deepEqual(await check(serviceResourceBounds, container("ollama", { memory: 8192, cpus: "4" }), config), []);
        const found = messages(await check(serviceResourceBounds, container("ollama", { memory: 16384, cpus: "1" }), config));
        assert.deepEqual(found.length, 2);
        assert.match(found[0], /memory limit is 16384 MB; service ollama allows at most 8192 MB/);
        assert.match(found[1], /CPU limit is 1 cores; service ollama requires at least 2/);
    });

    it("keeps the other services' default bounds when one service is configured, and drops one set to {}", async () => {
        const small = sqlServerContainer({ memory: 1024, memorySwap: 1024, memoryReservation: 512 });
        assert.match(messages(await check(serviceResourceBounds, small, { services: { ollama: { maxMemoryMb: 8192 } } }))[0], /service sqlserver requires at least 2048 MB/);
        assert.deepEqual(await check(serviceResourceBounds, small, { services: { sqlserver: {} } }), []);
    });

    describe("a service is what its image is, not what its labels say", () => {
        const MSSQL = "mcr.microsoft.com/mssql/server:2025-CU9-ubuntu-22.04";

        it("holds a SQL Server container labelled anything to SQL Server's floor, on Kubernetes", async () => {
            for (const [label, name] of [["db", "mssql"], ["proxy", "sidecar"]]) {
                const small = workload(STATEFUL_SET, label, podSpec([k8sContainer(name, { image: MSSQL, resources: resources("500m", "1Gi", "1", "1Gi") })]));
                assert.match(messages(await check(serviceResourceBounds, small))[0] ?? "", new RegExp(`StatefulSet "${label}" container "${name}": memory limit is 1024 MB; service sqlserver requires at least 2048 MB`));
            }
            // A sidecar running SQL Server is SQL Server too; an exporter next to it is not.
            const exporter = k8sContainer("exporter", { image: "awaragi/prometheus-mssql-exporter:v1.3.1", resources: resources("50m", "64Mi", "100m", "128Mi") });
            const sidecar = workload(STATEFUL_SET, "app", podSpec([k8sContainer("app", { image: "ghcr.io/example/app:1.2.3" }), exporter, k8sContainer("db", { image: MSSQL, resources: resources("1", "1Gi", "1", "1Gi") })]));
            assert.deepEqual(messages(await check(serviceResourceBounds, sidecar)).length, 1);
            // Mirrors and Docker Hub's spellings count; serviceImages can add or drop an image.
            const mirrored = workload(DEPLOYMENT, "search", podSpec([k8sContainer("search", { image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/elasticsearch:8.19.7", resources: resources("500m", "512Mi", "1", "512Mi") })]));
            assert.match(messages(await check(serviceResourceBounds, mirrored))[0], /service elasticsearch requires at least 1024 MB/);
            assert.deepEqual(await check(serviceResourceBounds, mirrored, { serviceImages: { elasticsearch: [] } }), []);
        });

        it("resolves a Docker container's image ID through its RemoteImage (outputs), whatever the container's service label", async () => {
            const image = { ...remoteImage(MSSQL), outputs: { name: MSSQL, imageId: "sha256:ed52721697f412825efaf0dbccd9d6dd4f9be59778ca2215c2512264dc665bdb" } };
            const relabelled = container("db", { memory: 1024, memorySwap: 1024, memoryReservation: 512 });
            assert.match(messages(await check(serviceResourceBounds, [image, relabelled]))[0], /Container "db": memory limit is 1024 MB; service sqlserver requires at least 2048 MB/);
            assert.deepEqual(await check(serviceResourceBounds, [relabelled]), [], "without its RemoteImage the image is unknown, and the label names another service");
        });

        it("judges the limits a DeploymentPatch sets, and a Helm Release's resources next to its image", async () => {
            const patch = (limits: Record<string, string> | undefined) =>
                resource("kubernetes:apps/v1:DeploymentPatch", "db-resize", {
                    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "db", namespace: "llm-platform" },
                    spec: { template: { spec: { containers: [{ name: "db", image: MSSQL, ...(limits ? { resources: { limits } } : {}) }] } } },
                }, "prod");
            assert.match(messages(await check(serviceResourceBounds, patch({ memory: "1Gi" })))[0], /DeploymentPatch "db-resize" container "db": memory limit is 1024 MB; service sqlserver requires at least 2048 MB/);
            assert.deepEqual(await check(serviceResourceBounds, patch(undefined)), []);
            const release = (memory: string) => resource("kubernetes:helm.sh/v3:Release", "mssql", {
                chart: "mssql", version: "1.4.2", values: { primary: { image: { registry: "mcr.microsoft.com", repository: "mssql/server", tag: "2025-CU9-ubuntu-22.04" }, resources: { requests: { memory }, limits: { memory } } } },
            }, "prod");
            assert.match(messages(await check(serviceResourceBounds, release("1Gi")))[0], /Release "mssql" values.primary \(image mcr.microsoft.com\/mssql\/server:2025-CU9-ubuntu-22.04\): memory limit is 1024 MB; service sqlserver requires at least 2048 MB/);
            assert.deepEqual(await check(serviceResourceBounds, release("4Gi")), []);
        });
    });
});
