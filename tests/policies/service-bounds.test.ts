import { strict as assert } from "assert";
import { serviceResourceBounds } from "../../policies/rules/service-bounds";
import { container, initContainer, sqlServerContainer } from "./helpers/docker-fixtures";
import { JOB, k8sContainer, podSpec, resources, sqlServerStatefulSet, STATEFUL_SET, workload } from "./helpers/kubernetes-fixtures";
import { check, messages } from "./helpers/run";

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
});
