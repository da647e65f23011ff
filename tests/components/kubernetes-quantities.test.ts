import assert from "node:assert/strict";
import { containerResources, cpuQuantity, memoryQuantity, probes, storageQuantity } from "../../components/platform/kubernetes/quantities";

describe("Kubernetes quantities and probes", () => {
    it("writes quantities in the canonical form the API server reads back (no diff on the next up)", () => {
        assert.deepEqual([0.1, 0.5, 1, 1.25, 2, 16].map(cpuQuantity), ["100m", "500m", "1", "1250m", "2", "16"]);
        assert.deepEqual([256, 1536, 1024, 8192, 16384, 1024 * 1024].map(memoryQuantity), ["256Mi", "1536Mi", "1Gi", "8Gi", "16Gi", "1Ti"]);
        assert.deepEqual([20, 200, 1024, 1536].map(storageQuantity), ["20Gi", "200Gi", "1Ti", "1536Gi"]);
    });

    it("puts a GPU in limits only, and reservations in requests", () => {
        const r = containerResources({ cpu: 8, memoryMb: 16384, cpuReservation: 4, memoryReservationMb: 8192 }, true);
        assert.deepEqual(r, { limits: { cpu: "8", memory: "16Gi", "nvidia.com/gpu": "1" }, requests: { cpu: "4", memory: "8Gi" } });
    });

    it("allows a slow starter its start period through the startup probe, then probes as the health check says", () => {
        const p = probes({ command: ["pg_isready"], intervalSeconds: 10, timeoutSeconds: 5, retries: 6, startPeriodSeconds: 95 });
        assert.deepEqual(p.startupProbe, { exec: { command: ["pg_isready"] }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 16 });
        assert.equal((p.livenessProbe as any).failureThreshold, 6);
        const http = probes({ command: ["x"], httpGet: { path: "/readyz", port: 6333 }, intervalSeconds: 10, timeoutSeconds: 5, retries: 5, startPeriodSeconds: 10 });
        const readiness = http.readinessProbe as any;
        assert.deepEqual(readiness.httpGet, { path: "/readyz", port: 6333 });
        assert.equal(readiness.exec, undefined);
    });
});
