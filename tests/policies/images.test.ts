import { strict as assert } from "assert";
import { imagesPinned } from "../../policies/rules/images";
import { container, remoteImage } from "./helpers/docker-fixtures";
import { CRON_JOB, k8sContainer, podSpec, sqlServerStatefulSet, workload } from "./helpers/kubernetes-fixtures";
import { check, messages } from "./helpers/run";

const DIGEST = "sha256:" + "a".repeat(64);

describe("policy images-pinned", () => {
    it("passes fixed tags, digests, registry ports, and containers that refer to a pulled image ID", async () => {
        const resources = [
            remoteImage("nginx:1.30.5-alpine"),
            remoteImage("mcr.microsoft.com/mssql/server:2025-CU9-ubuntu-22.04"),
            remoteImage("qdrant/qdrant:v1.19.2"),
            remoteImage(`valkey/valkey@${DIGEST}`),
            remoteImage("registry.internal:5000/llm/proxy:2026.11.1"),
            container("sqlserver"),
            sqlServerStatefulSet(),
        ];
        assert.deepEqual(await check(imagesPinned, resources), []);
    });

    it("fails latest, a missing tag and SQL Server's 2025-latest", async () => {
        const [latest] = await check(imagesPinned, remoteImage("ollama/ollama:latest"));
        assert.equal(latest.enforcementLevel, "mandatory");
        assert.match(latest.message, /RemoteImage "image-ollama-ollama-latest": image ollama\/ollama:latest uses the floating tag "latest"/);
        assert.match(messages(await check(imagesPinned, remoteImage("registry.internal:5000/llm/proxy")))[0], /has no tag, so Docker pulls :latest/);
        assert.match(messages(await check(imagesPinned, remoteImage("mcr.microsoft.com/mssql/server:2025-latest")))[0], /floating tag "2025-latest"/);
    });

    it("fails major-only tags and channel names, with or without a variant", async () => {
        for (const ref of ["redis:7", "postgres:17-bookworm", "nginx:stable", "nginx:mainline-alpine", "timescale/timescaledb:latest-pg17"]) {
            assert.match(messages(await check(imagesPinned, remoteImage(ref)))[0] ?? "", /uses the floating tag/, ref);
        }
    });

    it("fails a Kubernetes init container or CronJob image without a fixed tag", async () => {
        const sts = sqlServerStatefulSet({}, [k8sContainer("sysctl", { image: "busybox" })]);
        assert.match(messages(await check(imagesPinned, sts))[0], /StatefulSet "sqlserver" init container "sysctl": image busybox has no tag/);
        const cron = workload(CRON_JOB, "sqlserver", podSpec([k8sContainer("backup", { image: "mcr.microsoft.com/mssql-tools:latest" })]), "sqlserver-backup");
        assert.equal((await check(imagesPinned, cron)).length, 1);
    });

    it("checks a Docker container that names an image instead of a pulled ID", async () => {
        assert.equal((await check(imagesPinned, container("redis", { image: "redis:latest" }))).length, 1);
    });

    it("requires digests when configured", async () => {
        assert.match(messages(await check(imagesPinned, remoteImage("nginx:1.30.5-alpine"), { requireDigest: true }))[0], /has no @sha256 digest/);
        assert.deepEqual(await check(imagesPinned, remoteImage(`nginx:1.30.5-alpine@${DIGEST}`), { requireDigest: true }), []);
    });
});
