import assert from "node:assert/strict";
import { parseConfig } from "../../components/config/load";
import { Metrics } from "../../components/observability/metrics";
import { ServiceCatalog } from "../../components/platform/catalog";
import { ServiceSpec } from "../../components/platform/types";
import { useMocks } from "../helpers/mocks";
import { RecordingPlatform } from "../helpers/recording-platform";

const spec = (name: string, observe: ServiceSpec["observe"]): ServiceSpec => ({
    name,
    image: "example/image:1.0.0",
    ports: [],
    resources: { cpu: 1, memoryMb: 256, cpuReservation: 0.5, memoryReservationMb: 128 },
    healthCheck: { command: ["true"], intervalSeconds: 10, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 5 },
    observe,
});

describe("Metrics component (on any platform)", () => {
    it("monitors a new service from its declaration alone, and declares every flow that needs", async () => {
        await useMocks();
        const recording = new RecordingPlatform();
        const catalog = new ServiceCatalog(recording);
        const parent = new (class extends (await import("@pulumi/pulumi")).ComponentResource {
            constructor() {
                super("test:index:Parent", "parent");
            }
        })();
        catalog.deploy(spec("vectors", { metrics: { port: 7000, path: "/stats" }, probes: [{ name: "ready", module: "http", target: "http://vectors:7000/ready" }] }), parent);
        catalog.deploy(spec("cache", { exporter: { kind: "redis", target: "redis://cache:6379", password: "p" } }), parent);
        const metrics = new Metrics("metrics", { config: parseConfig({}), catalog, stack: "test", caCertPem: "CA", publicUrl: "https://localhost", grafanaAdminPassword: (await import("@pulumi/pulumi")).output("pw") }, { parent });

        const byName = new Map(recording.specs.map((s) => [s.name, s]));
        assert.ok(byName.has("cache-exporter"), "the declared exporter runs");
        assert.match(metrics.prometheusConf, /job_name: vectors\n\s+metrics_path: \/stats/);
        assert.match(metrics.prometheusConf, /- cache-exporter:9121/);
        assert.match(metrics.prometheusConf, /- http:\/\/vectors:7000\/ready/);
        const prometheus = byName.get("prometheus")!;
        for (const target of ["vectors", "cache-exporter", "node-exporter", "cadvisor", "blackbox-exporter", "alertmanager", "grafana"]) {
            assert.ok(prometheus.talksTo?.includes(target), `prometheus may reach ${target}`);
        }
        assert.deepEqual(byName.get("blackbox-exporter")!.talksTo, ["vectors"]);
        assert.deepEqual(byName.get("cache-exporter")!.dependsOn, ["cache"]);
    });
});
