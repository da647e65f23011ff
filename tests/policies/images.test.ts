import { strict as assert } from "assert";
import { defaultImages, unpinnedReason as configUnpinnedReason } from "../../components/config/images";
import { imagesPinned } from "../../policies/rules/images";
import { unpinnedReason } from "../../policies/shared/image-reference";
import { container, remoteImage } from "./helpers/docker-fixtures";
import { CRON_JOB, JOB, k8sContainer, podSpec, sqlServerStatefulSet, workload } from "./helpers/kubernetes-fixtures";
import { check, messages } from "./helpers/run";

const DIGEST = "sha256:" + "a".repeat(64);

describe("what a pinned image is (policies/shared/image-reference.ts)", () => {
    it("accepts exact versions, SQL Server CUs, date stamps, commit builds and digests", () => {
        for (const ref of [
            "nginx:1.30.5-alpine",
            "qdrant/qdrant:v1.19.2",
            "timescale/timescaledb:2.30.2-pg17",
            "timescale/timescaledb-ha:pg17.11-ts2.30.1",
            "mcr.microsoft.com/mssql/server:2025-CU9-ubuntu-22.04",
            "ubuntu:jammy-20251015",
            "ghcr.io/acme/llm-gateway:main-4f2c1a9",
            "ghcr.io/acme/llm-gateway:4f2c1a9e3b",
            "registry.internal:5000/llm/proxy:2026.11.1",
            "localhost:5000/redis:7.2.16",
            `valkey/valkey@${DIGEST}`,
            `nginx:alpine@${DIGEST}`,
        ]) {
            assert.equal(unpinnedReason(ref), undefined, ref);
        }
    });

    it("refuses tags that move: latest, channels, variants, codenames, flavours, majors, two-part versions", () => {
        for (const [ref, tag] of [
            ["ollama/ollama:latest", "latest"],
            ["mcr.microsoft.com/mssql/server:2025-latest", "2025-latest"],
            ["nginx:alpine", "alpine"],
            ["debian:bookworm-slim", "bookworm-slim"],
            ["timescale/timescaledb-ha:pg17", "pg17"],
            ["timescale/timescaledb-ha:pg17-ts2.30", "pg17-ts2.30"],
            ["timescale/timescaledb-ha:pg17-ts2.30.1", "pg17-ts2.30.1"],
            ["redis:7", "7"],
            ["postgres:17-bookworm", "17-bookworm"],
            ["nginx:1.27", "1.27"],
            ["nginx:stable", "stable"],
            ["nginx:mainline-alpine", "mainline-alpine"],
            ["timescale/timescaledb:latest-pg17", "latest-pg17"],
            ["acme/app:1.2.3-latest", "1.2.3-latest"],
        ]) {
            assert.equal(unpinnedReason(ref), `uses the floating tag '${tag}'`, ref);
        }
        assert.equal(unpinnedReason("qdrant/qdrant"), "has no tag, so Docker pulls 'latest'");
    });

    it("refuses malformed digests and invalid names", () => {
        assert.match(unpinnedReason("nginx@sha256:abc")!, /malformed digest 'sha256:abc'/);
        assert.match(unpinnedReason(`nginx@sha256:${"A".repeat(64)}`)!, /malformed digest/);
        assert.match(unpinnedReason("Nginx:1.30.5")!, /not a valid image reference: it has an invalid name component "Nginx"/);
        assert.match(unpinnedReason("acme/my--app_:1.2.3")!, /invalid name component/);
        assert.match(unpinnedReason("nginx:1.30.5 ")!, /contains whitespace/);
        assert.match(unpinnedReason("nginx:-1.2.3")!, /invalid tag/);
        assert.match(unpinnedReason("bad_host:5000/x:1.2.3")!, /invalid registry "bad_host:5000"/);
    });

    it("is the definition config validation uses, and every default image passes it", () => {
        for (const ref of ["nginx:alpine", "nginx@sha256:abc", "nginx:1.30.5-alpine", "qdrant/qdrant"]) {
            assert.equal(configUnpinnedReason(ref), unpinnedReason(ref), ref);
        }
        for (const [service, ref] of Object.entries(defaultImages)) assert.equal(unpinnedReason(ref), undefined, `${service}: ${ref}`);
    });
});

describe("policy images-pinned", () => {
    it("passes fixed tags, digests, registry ports, and containers that refer to a pulled image ID", async () => {
        const resources = [
            remoteImage("nginx:1.30.5-alpine"),
            remoteImage("mcr.microsoft.com/mssql/server:2025-CU9-ubuntu-22.04"),
            remoteImage("qdrant/qdrant:v1.19.2"),
            remoteImage(`valkey/valkey@${DIGEST}`),
            remoteImage("registry.internal:5000/llm/proxy:2026.11.1"),
            remoteImage("ghcr.io/acme/llm-gateway:main-4f2c1a9"),
            container("sqlserver"),
            sqlServerStatefulSet(),
        ];
        assert.deepEqual(await check(imagesPinned, resources), []);
    });

    it("fails latest, a missing tag, SQL Server's 2025-latest, variants and flavours, in the config's words", async () => {
        const [latest] = await check(imagesPinned, remoteImage("ollama/ollama:latest"));
        assert.equal(latest.enforcementLevel, "mandatory");
        assert.match(latest.message, /RemoteImage "image-ollama-ollama-latest": image ollama\/ollama:latest uses the floating tag 'latest'; required: an exact version tag/);
        assert.match(messages(await check(imagesPinned, remoteImage("registry.internal:5000/llm/proxy")))[0], /has no tag, so Docker pulls 'latest'/);
        for (const ref of ["mcr.microsoft.com/mssql/server:2025-latest", "nginx:alpine", "debian:bookworm-slim", "timescale/timescaledb-ha:pg17", "redis:7"]) {
            assert.match(messages(await check(imagesPinned, remoteImage(ref)))[0] ?? "", /uses the floating tag/, ref);
        }
        assert.match(messages(await check(imagesPinned, remoteImage("nginx@sha256:abc")))[0], /malformed digest/);
    });

    it("fails a Kubernetes init container, Job or CronJob image without a fixed tag", async () => {
        const sts = sqlServerStatefulSet({}, [k8sContainer("sysctl", { image: "busybox" })]);
        assert.match(messages(await check(imagesPinned, sts))[0], /StatefulSet "sqlserver" init container "sysctl": image busybox has no tag/);
        const cron = workload(CRON_JOB, "sqlserver", podSpec([k8sContainer("backup", { image: "mcr.microsoft.com/mssql-tools:latest" })]), "sqlserver-backup");
        assert.equal((await check(imagesPinned, cron)).length, 1);
        const job = workload(JOB, "qdrant", podSpec([k8sContainer("collection", { image: "curlimages/curl:8" })]), "qdrant-collection");
        assert.match(messages(await check(imagesPinned, job))[0], /container "collection": image curlimages\/curl:8 uses the floating tag '8'/);
    });

    it("checks a Docker container that names an image instead of a pulled ID", async () => {
        assert.equal((await check(imagesPinned, container("redis", { image: "redis:latest" }))).length, 1);
    });

    it("requires digests when configured, and accepts tags the registry keeps immutable when configured", async () => {
        assert.match(messages(await check(imagesPinned, remoteImage("nginx:1.30.5-alpine"), { requireDigest: true }))[0], /has no @sha256 digest/);
        assert.deepEqual(await check(imagesPinned, remoteImage(`nginx:1.30.5-alpine@${DIGEST}`), { requireDigest: true }), []);
        assert.equal((await check(imagesPinned, remoteImage("acme/app:release-42"))).length, 1);
        assert.deepEqual(await check(imagesPinned, remoteImage("acme/app:release-42"), { immutableTagPattern: "^release-\\d+$" }), []);
        // The pattern frees tags only, never an invalid name.
        assert.equal((await check(imagesPinned, remoteImage("acme/App:release-42"), { immutableTagPattern: "^release-\\d+$" })).length, 1);
    });
});
