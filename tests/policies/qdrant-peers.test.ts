import { strict as assert } from "assert";
import { qdrantPeers } from "../../policies/rules/qdrant-peers";
import { check, messages, resource } from "./helpers/run";

const STATEFUL_SET = "kubernetes:apps/v1:StatefulSet";

const qdrant = (replicas: number | undefined, env: Record<string, string>, stack = "prod", image = "qdrant/qdrant:v1.19.2-unprivileged") =>
    resource(
        STATEFUL_SET,
        "qdrant",
        {
            metadata: { name: "qdrant", namespace: "llm-platform" },
            spec: { replicas, template: { spec: { containers: [{ name: "qdrant", image, env: Object.entries(env).map(([name, value]) => ({ name, value })) }] } } },
        },
        stack,
    );

describe("policy qdrant-peers", () => {
    it("passes three peers in distributed mode in prod", async () => {
        assert.deepEqual(await check(qdrantPeers, qdrant(3, { QDRANT__CLUSTER__ENABLED: "true" })), []);
    });

    it("fails one Qdrant pod without distributed mode in a production stack", async () => {
        assert.deepEqual(messages(await check(qdrantPeers, qdrant(1, {}, "staging"))), [
            `${STATEFUL_SET} "qdrant": runs 1 Qdrant peer(s) in production stack staging; required: at least 3 (qdrant.peers), spread over zones`,
            `${STATEFUL_SET} "qdrant": runs Qdrant without distributed mode in production stack staging; required: QDRANT__CLUSTER__ENABLED=true`,
        ]);
        // replicas unset is one pod.
        assert.equal((await check(qdrantPeers, qdrant(undefined, { QDRANT__CLUSTER__ENABLED: "true" }))).length, 1);
    });

    it("leaves dev stacks and other images alone, and takes its minimum from config", async () => {
        assert.deepEqual(await check(qdrantPeers, qdrant(1, {}, "dev")), []);
        assert.deepEqual(await check(qdrantPeers, qdrant(1, {}, "prod", "valkey/valkey:8.1")), []);
        assert.deepEqual(await check(qdrantPeers, qdrant(3, { QDRANT__CLUSTER__ENABLED: "true" }), { minPeersInProduction: 5 }).then(messages), [
            `${STATEFUL_SET} "qdrant": runs 3 Qdrant peer(s) in production stack prod; required: at least 5 (qdrant.peers), spread over zones`,
        ]);
    });
});
