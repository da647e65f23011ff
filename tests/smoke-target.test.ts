import assert from "node:assert/strict";
import { runStack } from "../harness/run-stack";
import { targetFromOutputs } from "../scripts/smoke";

describe("npm run smoke's target for a Docker stack (from the dev stack's outputs under mocks)", function () {
    this.timeout(60000);

    it("calls the public entry with the first client's key and the stores on their loopback ports, with the stack's models", async () => {
        const run = await runStack("dev");
        const o = run.outputs;
        const t = targetFromOutputs("dev", o);
        assert.equal(t.proxyUrl, "https://localhost:8443");
        assert.equal(t.caCertPem, o.caCertificatePem);
        assert.equal(t.apiKey, o.apiKeys.default);
        assert.equal(t.minCertificateDays, 30);
        assert.deepEqual([t.embeddingModel, t.embeddingDimensions], ["nomic-embed-text", 768]);
        assert.equal(t.chatModel, run.config.ollama.chatModel);
        assert.deepEqual(t.sqlserver, { server: "127.0.0.1,1433", user: "sa", password: o.credentials.sqlserverSaPassword, database: "llm", model: "ollama_embeddings" });
        // The stores speak TLS only: psql and redis-cli verify them with the stack's CA, saved to a file.
        const caFile = t.timescale.caFile!;
        assert.equal(require("fs").readFileSync(caFile, "utf8"), o.caCertificatePem);
        assert.deepEqual(t.timescale, { host: "127.0.0.1", port: 5432, user: "postgres", password: o.credentials.timescalePassword, database: "llm_observatory", caFile });
        assert.deepEqual(t.redis, { host: "127.0.0.1", port: 6379, password: o.credentials.redisPassword, tls: true, caFile });
        // Qdrant's HTTPS on the loopback port, verified as localhost (a name on its certificate).
        assert.deepEqual(t.qdrant, { url: "https://127.0.0.1:6333", tlsServerName: "localhost", apiKey: o.credentials.qdrantApiKey, collection: "documents" });
    });

    it("names the key to set when a store publishes no host port", async () => {
        const run = await runStack("dev");
        assert.throws(() => targetFromOutputs("dev", { ...run.outputs, hostEndpoints: { ...run.outputs.hostEndpoints, redis: undefined } }), /no host port for redis \(hostEndpoints\.redis\): set redis\.hostPort/);
    });
});
