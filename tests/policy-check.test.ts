import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { policyReport } from "../harness/policy-report";
import { describeTotals, stackTotals } from "../harness/stack-totals";
import { PROJECT_DIR, runStack } from "../harness/run-stack";
import { tsNode } from "./helpers/ts-node";

function policyCheck(stack?: string) {
    return spawnSync(...tsNode("scripts/policy-check.ts", stack ? [stack] : []), { cwd: PROJECT_DIR, encoding: "utf8" });
}

describe("offline policy check (npm run policy:check)", function () {
    this.timeout(180000);

    it("passes the dev stack and prints what it declares", async () => {
        const r = policyCheck("dev");
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /stack dev \(platform docker\): \d+ resources/);
        assert.match(r.stdout, /sqlserver\s+2\.0\s+4096 \( 2048\)\s+mcr\.microsoft\.com\/mssql\/server:2025-CU9-ubuntu-22\.04/);
        // The totals of what the program registered (services, schedulers, steps, and all at once):
        // the figures docs/configuration.md states (tests/docs.test.ts holds them to the footprint).
        const totals = describeTotals(stackTotals(await runStack("dev")));
        assert.ok(r.stdout.includes(totals), `${r.stdout}\n--- should include ---\n${totals}`);
        assert.match(totals, /at once\s+36 containers, .* \(what must fit the Docker engine\)/);
        // Only the proxy beyond loopback; on loopback only the stores, which ask for a password or key.
        assert.match(r.stdout, /host ports: 0\.0\.0\.0:8080 -> proxy, 0\.0\.0\.0:8443 -> proxy, 127\.0\.0\.1:1433 -> sqlserver, 127\.0\.0\.1:5432 -> timescale, 127\.0\.0\.1:6333 -> qdrant, 127\.0\.0\.1:6379 -> redis$/m);
        assert.match(r.stdout, /GPU: none/);
        assert.match(r.stdout, /policy pack llm-platform: \d+ violation\(s\), 0 mandatory/);
        // Docker takes database passwords through env: listed, not blocking.
        assert.match(r.stdout, /\[advisory\] docker-secrets-in-env: docker:index\/container:Container sqlserver\n\s+.*env MSSQL_SA_PASSWORD carries a secret/);
    });

    it("passes the prod stack, saying which owner-only keys it filled with examples", () => {
        const r = policyCheck("prod");
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /offline example values for keys the stack leaves to its owner: kubernetes\.eksClusterName = example-cluster/);
        assert.match(r.stdout, /stack prod \(platform kubernetes\): \d+ resources/);
        assert.match(r.stdout, /\d+\s+kubernetes:apps\/v1:StatefulSet/);
        assert.match(r.stdout, /policy pack llm-platform: \d+ violation\(s\), 0 mandatory/);
    });

    it("prints the small preset's totals, and passes it", async () => {
        const run = await runStack("dev", { overrides: { "llm-platform:size": "small" } });
        const report = await policyReport(run);
        assert.ok(report.text.includes(describeTotals(stackTotals(run))));
        assert.equal(report.mandatory, 0, report.text);
    });

    it("exits 2 with the reason when a stack cannot be built", () => {
        const missing = policyCheck("review");
        assert.equal(missing.status, 2);
        assert.match(missing.stderr, /stack review cannot be built:[\s\S]*Pulumi\.review\.yaml does not exist/);
        assert.equal(policyCheck().status, 2);
    });

    it("reports a mandatory violation with the resource, the value and the requirement", async () => {
        const run = await runStack("dev");
        const redis = run.named("docker:index/container:Container", "redis");
        delete redis.inputs.memory;
        const report = await policyReport(run);
        assert.ok(report.mandatory >= 1, report.text);
        assert.match(report.text, /\[mandatory\] docker-container-limits: docker:index\/container:Container redis/);
    });

    it("holds a GPU stack to requesting its GPU", async () => {
        const run = await runStack("dev", { overrides: { "llm-platform:ollama": { gpu: true } } });
        delete run.named("docker:index/container:Container", "ollama").inputs.gpus;
        const report = await policyReport(run);
        assert.match(report.text, /\[mandatory\] gpu-requested: docker:index\/container:Container ollama/);
    });
});
