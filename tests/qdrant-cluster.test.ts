/**
 * Qdrant as a cluster. The collection step (real sh and curl) against a stub that answers as a
 * cluster. The backup script: three stub peers (node http, one per loopback address, the
 * same port) with the endpoints the script uses, shards spread with replication factor 2. Every
 * shard of every peer must be captured and checked; the restore goes into a FRESH cluster (other
 * peer ids, another placement, no collection) and must recover every replica of every shard.
 * The endpoints and their answers follow Qdrant's OpenAPI (docs/redoc/master/openapi.json:
 * ClusterStatus, CollectionClusterInfo, SnapshotDescription).
 */
import assert from "node:assert/strict";
import { createHash } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { QDRANT_BACKUP_SCRIPT } from "../components/qdrant/backup-script";
import { spawn } from "child_process";
import * as os from "os";
import { spawnSync } from "child_process";
import * as https from "https";
import { parse as parseYaml } from "yaml";
import { QDRANT_CA_SETUP } from "../components/qdrant/ca";
import { collectionBody, renderCollectionScript } from "../components/qdrant/collection-script";
import { kubernetesModel } from "../harness/lifecycle/kubernetes-model";
import { Lifecycle } from "../harness/lifecycle/model";
import { runStack, StackRun } from "../harness/run-stack";
import { scratch } from "./helpers/backup-scratch";
import { problems, rejects } from "./helpers/config-problems";
import { CRON_JOB, NETWORK_POLICY, PDB, podSpec, SERVICE, STATEFUL_SET } from "./helpers/kubernetes-types";
import { freePort } from "./helpers/ports";
import { requireTool } from "./helpers/tools";

const HOSTS = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
/** What a replica of a shard holds: the same on every peer. */
const shardContent = (shard: number) => Buffer.from(`points of shard ${shard} `.repeat(500));

/** One cluster's state: which peer (by index) holds which shards, under which ids. */
interface Layout {
    readonly peerIds: readonly number[];
    /** shard id -> peer indexes holding a replica */
    readonly placement: Readonly<Record<number, readonly number[]>>;
}

class StubCluster {
    readonly calls: string[] = [];
    /** `<peer id>/<shard>` -> uploaded multipart body */
    readonly uploads = new Map<string, string>();
    created?: string;
    collectionExists = true;
    corruptReportedChecksum = false;
    private servers: http.Server[] = [];

    constructor(
        readonly port: number,
        public layout: Layout,
    ) {}

    async start() {
        this.servers = await Promise.all(
            HOSTS.map(
                (host, i) =>
                    new Promise<http.Server>((resolve) => {
                        const server = http.createServer((req, res) => this.handle(i, req, res));
                        server.listen(this.port, host, () => resolve(server));
                    }),
            ),
        );
    }

    stop() {
        for (const s of this.servers) s.close();
    }

    private localShards(peer: number): number[] {
        return Object.entries(this.layout.placement)
            .filter(([, peers]) => peers.includes(peer))
            .map(([shard]) => Number(shard));
    }

    private handle(peer: number, req: http.IncomingMessage, res: http.ServerResponse) {
        const peerId = this.layout.peerIds[peer];
        const url = req.url ?? "";
        this.calls.push(`${peerId} ${req.method} ${url}`);
        const json = (body: unknown) => res.setHeader("Content-Type", "application/json").end(JSON.stringify({ result: body, status: "ok", time: 0.001 }));
        if (req.headers["api-key"] !== "qk") return res.writeHead(401).end();
        let body = "";
        req.on("data", (d) => (body += d.toString("latin1")));
        req.on("end", () => {
            if (req.method === "GET" && url === "/cluster") {
                const peers = Object.fromEntries(this.layout.peerIds.map((id, i) => [String(id), { uri: `http://${HOSTS[i]}:6335/` }]));
                return json({ status: "enabled", peer_id: peerId, peers, raft_info: { term: 3, commit: 40, pending_operations: 0, leader: this.layout.peerIds[0], role: "Follower", is_voter: true } });
            }
            const collection = /^\/collections\/((?:documents|courses)(?:-drill)?)(\/.*)?$/.exec(url.split("?")[0]);
            if (!collection) return res.writeHead(404).end();
            const [, name, rest = ""] = collection;
            if (rest === "" && req.method === "GET") return this.collectionExists ? json({ status: "green", config: { params: { replication_factor: 2 } } }) : res.writeHead(404).end();
            if (rest === "" && req.method === "PUT") {
                this.created = body;
                this.collectionExists = true;
                return json(true);
            }
            if (rest === "" && req.method === "DELETE") return json(true);
            if (rest === "/points/count" && req.method === "POST") return json({ count: 1500 });
            if (rest === "/cluster" && req.method === "GET") {
                const local = this.localShards(peer);
                return json({
                    peer_id: peerId,
                    shard_count: Object.keys(this.layout.placement).length,
                    local_shards: local.map((shard_id) => ({ shard_id, points_count: 500, state: "Active" })),
                    remote_shards: Object.entries(this.layout.placement).flatMap(([shard, peers]) =>
                        peers.filter((p) => p !== peer).map((p) => ({ shard_id: Number(shard), peer_id: this.layout.peerIds[p], state: "Active" })),
                    ),
                    shard_transfers: [],
                });
            }
            const shard = /^\/shards\/(\d+)\/snapshots(?:\/(upload|[^/]+))?$/.exec(rest);
            if (!shard || !this.localShards(peer).includes(Number(shard[1]))) return res.writeHead(404).end();
            const id = Number(shard[1]);
            const snapshotName = `${name}-shard-${id}-2026-12-05.snapshot`;
            if (req.method === "POST" && shard[2] === undefined && url.endsWith("?wait=true")) {
                const checksum = this.corruptReportedChecksum ? "0".repeat(64) : sha256(shardContent(id));
                return json({ name: snapshotName, creation_time: "2026-12-05T01:00:00", size: shardContent(id).length, checksum });
            }
            if (req.method === "GET" && shard[2] === snapshotName) return res.end(shardContent(id));
            if (req.method === "DELETE" && shard[2] === snapshotName) return json(true);
            if (req.method === "POST" && shard[2] === "upload" && url.includes("priority=snapshot") && url.includes(`checksum=${sha256(shardContent(id))}`)) {
                this.uploads.set(`${peerId}/${id}`, body);
                return json(true);
            }
            return res.writeHead(404).end();
        });
        return undefined;
    }
}

describe("Qdrant cluster: snapshots of every shard on every peer, restored into a fresh cluster (stub peers)", function () {
    this.timeout(60000);
    // Three shards, each on two of three peers.
    const backedUp: Layout = { peerIds: [101, 202, 303], placement: { 0: [0, 1], 1: [1, 2], 2: [2, 0] } };
    // A fresh cluster: new peer ids, another placement.
    const fresh: Layout = { peerIds: [7001, 7002, 7003], placement: { 0: [2, 1], 1: [0, 2], 2: [1, 0] } };
    const body = JSON.stringify(collectionBody({ collection: "documents", dimensions: 768, hnswM: 16, hnswEfConstruct: 128, peers: 3 }));
    let cluster: StubCluster;
    let env: Record<string, string>;

    before(async function () {
        requireTool(this, "curl", "curl");
        const port = await freePort();
        cluster = new StubCluster(port, backedUp);
        await cluster.start();
        env = { STORE: "qdrant", QDRANT_URL: `http://127.0.0.1:${port}`, QDRANT_API_KEY: "qk", COLLECTION: "documents", QDRANT_PEER_PORT: String(port), COLLECTION_BODY: body };
    });
    after(() => cluster?.stop());

    const manifestOf = (root: string, id: string) => fs.readFileSync(path.join(root, "backups", "qdrant", id, "manifest"), "utf8");

    it("captures every shard of every peer with its checksum, and restores each replica of a fresh cluster from it", async () => {
        cluster.layout = backedUp;
        cluster.collectionExists = true;
        cluster.corruptReportedChecksum = false;
        const s = scratch();
        const backup = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["backup"], env);
        assert.equal(backup.status, 0, backup.err);
        const id = backup.out.trim();
        const manifest = manifestOf(s.root, id);
        const shardLines = manifest.split("\n").filter((l) => l.startsWith("shard "));
        // 3 shards x replication factor 2: six snapshots, each taken on the peer that holds it.
        const expected = Object.entries(backedUp.placement).flatMap(([shard, peers]) => peers.map((p) => `${backedUp.peerIds[p]}/${shard}`));
        assert.deepEqual(shardLines.map((l) => `${l.split(" ")[3]}/${l.split(" ")[2]}`).sort(), expected.sort());
        for (const line of shardLines) {
            const [, collection, shard, peer, file, sum] = line.split(" ");
            assert.equal(collection, "documents");
            assert.equal(file, `documents-shard-${shard}-peer-${peer}.snapshot`);
            assert.equal(sum, sha256(shardContent(Number(shard))));
            assert.deepEqual(fs.readFileSync(path.join(s.root, "backups", "qdrant", id, file)), shardContent(Number(shard)));
            assert.ok(manifest.includes(`file ${file} ${shardContent(Number(shard)).length} ${sum}\n`), "the manifest's file line checks it too");
            assert.ok(cluster.calls.includes(`${peer} POST /collections/documents/shards/${shard}/snapshots?wait=true`), `snapshot made on peer ${peer} itself`);
            assert.ok(cluster.calls.includes(`${peer} DELETE /collections/documents/shards/${shard}/snapshots/documents-shard-${shard}-2026-12-05.snapshot`), "freed on the peer");
        }
        assert.match(manifest, /^count points 1500 1500$/m);
        assert.equal(fs.readFileSync(path.join(s.root, "backups", "qdrant", id, "collection.json"), "utf8"), body);

        cluster.layout = fresh;
        cluster.collectionExists = false;
        cluster.uploads.clear();
        const restore = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["restore", id], env);
        assert.equal(restore.status, 0, restore.err);
        assert.equal(cluster.created, body, "the collection is created with the backed-up configuration");
        const replicas = Object.entries(fresh.placement).flatMap(([shard, peers]) => peers.map((p) => `${fresh.peerIds[p]}/${shard}`));
        assert.deepEqual([...cluster.uploads.keys()].sort(), replicas.sort(), "every replica of every shard recovered on its peer");
        for (const [key, upload] of cluster.uploads) {
            const shard = Number(key.split("/")[1]);
            assert.match(upload, /name="snapshot"; filename="documents-shard-\d+-peer-\d+\.snapshot"/);
            assert.ok(upload.includes(shardContent(shard).toString()), `shard ${shard}'s own snapshot went to ${key}`);
        }
    });

    it("backs up an app's collection beside the platform's, shard by shard, and restores it alone by name into a fresh cluster", async () => {
        cluster.layout = backedUp;
        cluster.collectionExists = true;
        cluster.corruptReportedChecksum = false;
        const s = scratch();
        const appEnv = { ...env, APP_COLLECTIONS: "courses" };
        const backup = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["backup"], appEnv);
        assert.equal(backup.status, 0, backup.err);
        const id = backup.out.trim();
        const manifest = manifestOf(s.root, id);
        const shardsOf = (c: string) => manifest.split("\n").filter((l) => l.startsWith(`shard ${c} `));
        assert.equal(shardsOf("documents").length, 6);
        assert.equal(shardsOf("courses").length, 6, "every replica of every shard of the app's collection");
        for (const line of shardsOf("courses")) {
            const [, , shard, peer, file] = line.split(" ");
            assert.equal(file, `courses-shard-${shard}-peer-${peer}.snapshot`);
            assert.ok(manifest.includes(`\nfile ${file} `));
        }
        assert.match(manifest, /^count points:courses 1500 1500$/m);

        cluster.layout = fresh;
        cluster.collectionExists = false;
        cluster.uploads.clear();
        const callsBefore = cluster.calls.length;
        const restore = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["restore", id, "courses"], appEnv);
        assert.equal(restore.status, 0, restore.err);
        assert.equal(cluster.created, body, "the app's collection is created with the backed-up configuration");
        const uploads = cluster.calls.slice(callsBefore).filter((c) => c.includes("/snapshots/upload"));
        assert.equal(uploads.length, 6, "every replica of the fresh cluster");
        assert.ok(uploads.every((c) => c.includes(" POST /collections/courses/shards/")), uploads.join("\n"));
        for (const upload of cluster.uploads.values()) assert.match(upload, /filename="courses-shard-\d+-peer-\d+\.snapshot"/);
    });

    it("drills the newest backup into a scratch collection on the cluster and checks its points", async () => {
        cluster.layout = backedUp;
        cluster.collectionExists = true;
        cluster.corruptReportedChecksum = false;
        const s = scratch();
        assert.equal((await s.runAsync(QDRANT_BACKUP_SCRIPT, ["backup"], env)).status, 0);
        cluster.uploads.clear();
        const drill = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["drill", "latest"], { ...env, DRILL_KIND: "snapshot" });
        assert.equal(drill.status, 0, drill.err);
        assert.match(drill.err, /drill of .* passed/);
        assert.ok(cluster.calls.some((c) => c.includes("POST /collections/documents-drill/shards/0/snapshots/upload?priority=snapshot&checksum=")));
    });

    it("refuses a snapshot whose download does not match Qdrant's checksum, and records no success", async () => {
        cluster.layout = backedUp;
        cluster.corruptReportedChecksum = true;
        const s = scratch();
        const r = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["backup"], env);
        cluster.corruptReportedChecksum = false;
        assert.notEqual(r.status, 0);
        assert.match(r.err, /snapshot documents-shard-\d-2026-12-05\.snapshot: sha256 [0-9a-f]{64}, Qdrant reported '0{64}'/);
        assert.ok(!fs.existsSync(path.join(s.root, "backups", "metrics", "qdrant-snapshot.prom")));
    });

    it("refuses to restore a shard snapshot corrupted after the backup, before uploading anything", async () => {
        cluster.layout = backedUp;
        cluster.collectionExists = true;
        const s = scratch();
        const id = (await s.runAsync(QDRANT_BACKUP_SCRIPT, ["backup"], env)).out.trim();
        const file = path.join(s.root, "backups", "qdrant", id, "documents-shard-1-peer-303.snapshot");
        fs.writeFileSync(file, Buffer.concat([fs.readFileSync(file), Buffer.from("x")]));
        cluster.layout = fresh;
        cluster.uploads.clear();
        const r = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["restore", id], env);
        assert.notEqual(r.status, 0);
        assert.match(r.err, /documents-shard-1-peer-303\.snapshot does not match its manifest/);
        assert.equal(cluster.uploads.size, 0, "nothing uploaded");
    });
});

describe("Qdrant collection step on a cluster (real sh and curl against a stub)", function () {
    this.timeout(60000);
    let server: http.Server;
    let url: string;
    let script: string;
    let peersKnown: number[];
    let existingFactor: number | undefined;
    let created: any;

    before(async function () {
        requireTool(this, "curl", "curl");
        script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "llm-qdrant-cluster-")), "create.sh");
        fs.writeFileSync(script, renderCollectionScript({ collection: "documents", dimensions: 768, hnswM: 16, hnswEfConstruct: 128, peers: 3 }));
        server = http.createServer((req, res) => {
            let body = "";
            req.on("data", (d) => (body += d));
            req.on("end", () => {
                if (req.headers["api-key"] !== "qk") return res.writeHead(401).end();
                if (req.method === "GET" && req.url === "/cluster") {
                    const n = peersKnown.length > 1 ? peersKnown.shift()! : peersKnown[0];
                    const peers = Object.fromEntries(Array.from({ length: n }, (_, i) => [String(100 + i), { uri: `http://qdrant-${i}.qdrant-peers.llm-platform.svc.cluster.local:6335/` }]));
                    return res.end(JSON.stringify({ result: { status: "enabled", peer_id: 100, peers, raft_info: { term: 1, commit: 1, pending_operations: 0, leader: 100, role: "Leader", is_voter: true } } }));
                }
                if (req.method === "GET" && req.url === "/collections/documents") {
                    if (existingFactor === undefined) return res.writeHead(404).end("{}");
                    return res.end(JSON.stringify({ result: { status: "green", config: { params: { vectors: { size: 768, distance: "Cosine" }, shard_number: 3, replication_factor: existingFactor, write_consistency_factor: 1 } } } }));
                }
                if (req.method === "PUT" && req.url === "/collections/documents") {
                    created = JSON.parse(body);
                    return res.end('{"result":true,"status":"ok"}');
                }
                return res.writeHead(400).end("{}");
            });
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        url = `http://127.0.0.1:${(server.address() as any).port}`;
    });
    after(() => server?.close());
    beforeEach(() => {
        created = undefined;
        existingFactor = undefined;
        peersKnown = [3];
    });

    const step = () =>
        new Promise<{ code: number | null; err: string }>((resolve) => {
            const child = spawn("sh", [script], { env: { PATH: process.env.PATH!, QDRANT_URL: url, QDRANT_API_KEY: "qk" } });
            let err = "";
            child.stderr.on("data", (d) => (err += d));
            child.on("close", (code) => resolve({ code, err }));
        });

    it("waits for every peer, then creates the collection with a shard per peer, replication factor 2 and write consistency 1", async () => {
        peersKnown = [1, 3];
        const r = await step();
        assert.equal(r.code, 0, r.err);
        assert.match(r.err, /1 of 3 Qdrant peers in the cluster yet/);
        assert.deepEqual(created, {
            vectors: { size: 768, distance: "Cosine" },
            hnsw_config: { m: 16, ef_construct: 128 },
            shard_number: 3,
            replication_factor: 2,
            write_consistency_factor: 1,
        });
    });

    it("a second run changes nothing", async () => {
        existingFactor = 2;
        const r = await step();
        assert.equal(r.code, 0, r.err);
        assert.equal(created, undefined);
        assert.equal(r.err, "");
    });

    it("leaves a collection of one replica (made on one node) as it is, and says how to raise it", async () => {
        existingFactor = 1;
        const r = await step();
        assert.equal(r.code, 0, r.err);
        assert.equal(created, undefined);
        assert.match(r.err, /replication factor 1, below 2: .*docs\/services\.md/);
    });
});

describe("Qdrant's peers in config and on the prod stack (mocks)", function () {
    this.timeout(300000);
    let run: StackRun;
    before(async () => {
        run = await runStack("prod", { exampleUserValues: true });
    });

    it("takes 1 peer anywhere, 3 and more on Kubernetes only, never 2", () => {
        rejects({ qdrant: { peers: 3 } }, "qdrant.peers", "is 3", "kubernetes", "use 1");
        const k8s = { platform: "kubernetes", kubernetes: { context: "prod" }, proxy: { httpsPort: 443, httpPort: 80 }, tls: { hostnames: ["llm.example.com"] }, ollama: { gpu: false }, backup: { enabled: false } };
        rejects({ ...k8s, qdrant: { peers: 2 } }, "qdrant.peers", "Raft majority", "3 and more");
        rejects({ ...k8s, qdrant: { peers: 0 } }, "qdrant.peers");
        assert.deepEqual(problems({ ...k8s, qdrant: { peers: 3 } }), []);
        assert.deepEqual(problems({ qdrant: { peers: 1 } }), []);
    });

    it("runs three peers as one StatefulSet behind a headless Service, each started to found or join the cluster", () => {
        const sts = run.named(STATEFUL_SET, "qdrant").inputs;
        assert.equal(sts.spec.replicas, 3);
        assert.equal(sts.spec.serviceName, "qdrant-peers");
        assert.equal(sts.spec.podManagementPolicy, "Parallel");
        const headless = run.named(SERVICE, "qdrant-peers-service").inputs;
        assert.equal(headless.spec.clusterIP, "None");
        assert.equal(headless.spec.publishNotReadyAddresses, true);
        assert.deepEqual(headless.spec.ports.map((p: any) => p.port), [6335, 6333]);
        const container = podSpec(run.named(STATEFUL_SET, "qdrant")).containers[0];
        assert.deepEqual(container.ports.map((p: any) => p.containerPort), [6333, 6335]);
        const env = new Map<string, any>(container.env.map((e: any) => [e.name, e]));
        assert.equal(env.get("QDRANT__CLUSTER__ENABLED").value, "true");
        assert.equal(env.get("POD_NAME").valueFrom.fieldRef.fieldPath, "metadata.name");
        assert.equal(env.get("PEER_HOST").value, "$(POD_NAME).qdrant-peers.llm-platform.svc.cluster.local");
        assert.equal(env.get("FIRST_PEER_HOST").value, "qdrant-0.qdrant-peers.llm-platform.svc.cluster.local");
        assert.ok(container.env.findIndex((e: any) => e.name === "POD_NAME") < container.env.findIndex((e: any) => e.name === "PEER_HOST"), "defined before its use");
        assert.deepEqual(container.command, ["bash", "-c"]);
        assert.match(container.args[0], /if \[ "\$PEER_HOST" = "\$FIRST_PEER_HOST" \]; then exec \.\/entrypoint\.sh --uri "https:\/\/\$PEER_HOST:6335"; fi/);
        assert.match(container.args[0], /exec \.\/entrypoint\.sh --bootstrap "https:\/\/\$FIRST_PEER_HOST:6335" --uri "https:\/\/\$PEER_HOST:6335"/);
    });

    it("the start script picks --uri on the first peer and --bootstrap on the others (real bash)", function () {
        const container = podSpec(run.named(STATEFUL_SET, "qdrant")).containers[0];
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-qdrant-start-"));
        fs.writeFileSync(path.join(dir, "entrypoint.sh"), '#!/bin/sh\necho "$@"\n', { mode: 0o755 });
        const start = (pod: string) =>
            require("child_process").spawnSync("bash", ["-c", container.args[0]], {
                cwd: dir,
                encoding: "utf8",
                env: { PATH: process.env.PATH, PEER_HOST: `${pod}.qdrant-peers.ns.svc.cluster.local`, FIRST_PEER_HOST: "qdrant-0.qdrant-peers.ns.svc.cluster.local" },
            }).stdout.trim();
        assert.equal(start("qdrant-0"), "--uri https://qdrant-0.qdrant-peers.ns.svc.cluster.local:6335");
        assert.equal(start("qdrant-2"), "--bootstrap https://qdrant-0.qdrant-peers.ns.svc.cluster.local:6335 --uri https://qdrant-2.qdrant-peers.ns.svc.cluster.local:6335");
    });

    it("puts one peer per zone and node (required), lets one be down at a time, and claims each peer's volumes", () => {
        const spec = podSpec(run.named(STATEFUL_SET, "qdrant"));
        assert.deepEqual(
            spec.topologySpreadConstraints.map((t: any) => [t.topologyKey, t.maxSkew, t.whenUnsatisfiable]),
            [["topology.kubernetes.io/zone", 1, "DoNotSchedule"], ["kubernetes.io/hostname", 1, "DoNotSchedule"]],
        );
        assert.deepEqual(run.named(PDB, "qdrant-pdb").inputs.spec.maxUnavailable, 1);
        const claims = run.ofType("kubernetes:core/v1:PersistentVolumeClaim").map((c) => c.inputs.metadata.name).filter((n: string) => n.includes("qdrant"));
        assert.deepEqual(claims.sort(), ["snapshots-qdrant-0", "snapshots-qdrant-1", "snapshots-qdrant-2", "storage-qdrant-0", "storage-qdrant-1", "storage-qdrant-2"]);
        assert.ok(spec.containers[0].readinessProbe.httpGet.path === "/readyz");
    });

    it("opens p2p between the peers only: callers reach the API, peers each other's API and p2p port", () => {
        const flows = run.ofType(NETWORK_POLICY).find((p) => p.inputs.metadata.name === "qdrant")!.inputs.spec;
        const selector = run.named(STATEFUL_SET, "qdrant").inputs.spec.selector.matchLabels;
        const p2p = flows.ingress.filter((r: any) => r.ports.some((p: any) => p.port === 6335));
        assert.deepEqual(p2p, [{ from: [{ podSelector: { matchLabels: selector } }], ports: [{ protocol: "TCP", port: 6335 }, { protocol: "TCP", port: 6333 }] }]);
        assert.ok(flows.egress.some((r: any) => JSON.stringify(r.to) === JSON.stringify([{ podSelector: { matchLabels: selector } }]) && r.ports.some((p: any) => p.port === 6335)));
        const callers = flows.ingress.filter((r: any) => r.from.some((f: any) => f.namespaceSelector));
        assert.ok(callers.length > 0 && callers.every((r: any) => r.ports.every((p: any) => p.port !== 6335)), "callers never reach p2p");
    });

    it("creates the collection with a shard per peer and replication factor 2, and gives the backup job its body", () => {
        const script = run.ofType("kubernetes:core/v1:ConfigMap").map((c) => Object.values(c.inputs.data ?? {}).join("\n")).find((d) => d.includes("collection documents created"))!;
        assert.ok(script.includes('"shard_number":3,"replication_factor":2,"write_consistency_factor":1'), script);
        // The backup, and the restore `npm run restore -- prod qdrant <id>` runs, which creates the collection in a fresh cluster.
        for (const name of ["qdrant-backup-snapshot", "qdrant-restore"]) {
            const pod = run.named(CRON_JOB, name).inputs.spec.jobTemplate.spec.template.spec;
            const env = [...(pod.initContainers ?? []), ...pod.containers].flatMap((c: any) => c.env ?? []);
            const body = JSON.parse(env.find((e: any) => e.name === "COLLECTION_BODY").value);
            assert.deepEqual([body.shard_number, body.replication_factor, body.write_consistency_factor], [3, 2, 1], name);
        }
    });
});

describe("Qdrant's TLS: the certificate the prod stack asks for, made with real OpenSSL, under curl and mutual TLS", function () {
    this.timeout(300000);
    let run: StackRun;
    let dir: string;
    let server: https.Server;
    let port: number;
    const peer1 = "qdrant-1.qdrant-peers.llm-platform.svc.cluster.local";

    before(async function () {
        requireTool(this, "openssl", "openssl");
        requireTool(this, "curl", "curl");
        run = await runStack("prod", { exampleUserValues: true });
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-qdrant-tls-"));
        const ssl = (...args: string[]) => {
            const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
        };
        const request = run.named("tls:index/certRequest:CertRequest", "qdrant-tls-csr").inputs;
        const cert = run.named("tls:index/locallySignedCert:LocallySignedCert", "qdrant-tls-cert").inputs;
        // The provider's names for the uses (allowedUses) as OpenSSL's extendedKeyUsage.
        const eku = (uses: string[]) => uses.filter((u) => u.endsWith("_auth")).map((u) => ({ server_auth: "serverAuth", client_auth: "clientAuth" })[u]).join(",");
        ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=test CA", "-days", "2");
        const leaf = (name: string, uses: string[]) => {
            fs.writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${request.dnsNames.map((n: string) => `DNS:${n}`).join(",")}\nextendedKeyUsage=${eku(uses)}\n`);
            ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${request.subject.commonName}`);
            ssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`);
        };
        leaf("qdrant", cert.allowedUses);
        leaf("server-only", ["digital_signature", "key_encipherment", "server_auth"]);
        const read = (f: string) => fs.readFileSync(path.join(dir, f));
        // As Qdrant's p2p server: its certificate, and the client's checked against the CA (src/common/helpers.rs load_tls_internal_server_config).
        server = https.createServer({ key: read("qdrant.key"), cert: read("qdrant.pem"), ca: read("ca.pem"), requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.2" }, (_, res) => res.end("ok"));
        port = await freePort();
        await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    });
    after(() => server?.close());

    // Asynchronous: the server answers from this process.
    const curl = (host: string, extra: string[]) =>
        new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
            const child = spawn("sh", ["-c", `${QDRANT_CA_SETUP}\ncurl -sS --max-time 20 --resolve ${host}:${port}:127.0.0.1 "$@" https://${host}:${port}/`, "curl", ...extra], {
                cwd: dir,
                env: { PATH: process.env.PATH!, QDRANT_CA_PEM: fs.readFileSync(path.join(dir, "ca.pem"), "utf8") },
            });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d) => (stdout += d));
            child.stderr.on("data", (d) => (stderr += d));
            child.on("close", (status) => resolve({ status, stdout, stderr }));
        });

    it("names the Service, its cluster DNS name, Docker's container, localhost and every peer, for servers and clients", () => {
        const names: string[] = run.named("tls:index/certRequest:CertRequest", "qdrant-tls-csr").inputs.dnsNames;
        for (const n of ["qdrant", "qdrant.llm-platform.svc.cluster.local", "llm-platform-prod-qdrant", "localhost", ...[0, 1, 2].map((i) => `qdrant-${i}.qdrant-peers.llm-platform.svc.cluster.local`)]) {
            assert.ok(names.includes(n), `${n} in ${names.join(", ")}`);
        }
        assert.deepEqual(run.named("tls:index/locallySignedCert:LocallySignedCert", "qdrant-tls-cert").inputs.allowedUses, ["digital_signature", "key_encipherment", "server_auth", "client_auth"]);
    });

    it("a peer's certificate is verified by curl with the CA the scripts get, and accepted as a client by another peer", async () => {
        const ok = await curl(peer1, ["--cert", "qdrant.pem", "--key", "qdrant.key"]);
        assert.equal(ok.status, 0, ok.stderr);
        assert.equal(ok.stdout, "ok");
    });

    it("refuses a client without a certificate, or with a server-only one, and curl refuses a name the certificate lacks", async () => {
        assert.notEqual((await curl(peer1, [])).status, 0, "p2p needs the client's certificate");
        const serverOnly = await curl(peer1, ["--cert", "server-only.pem", "--key", "server-only.key"]);
        assert.notEqual(serverOnly.status, 0, "a certificate without client_auth is refused");
        assert.notEqual(serverOnly.stdout, "ok");
        // What the refusal is: OpenSSL's purpose check of a client certificate.
        const purpose = (cert: string) => spawnSync("openssl", ["verify", "-CAfile", "ca.pem", "-purpose", "sslclient", cert], { cwd: dir, encoding: "utf8" });
        assert.equal(purpose("qdrant.pem").status, 0, purpose("qdrant.pem").stderr);
        assert.match(purpose("server-only.pem").stdout + purpose("server-only.pem").stderr, /unsuitable certificate purpose/);
        const unnamed = await curl("qdrant-9.qdrant-peers.llm-platform.svc.cluster.local", ["--cert", "qdrant.pem", "--key", "qdrant.key"]);
        assert.notEqual(unnamed.status, 0);
        assert.match(unnamed.stderr, /no alternative certificate subject name matches|SSL: certificate subject name/);
    });

    it("serves Qdrant over HTTPS only: probes, scrapes, scripts and outputs use https with the CA", () => {
        const sts = run.named(STATEFUL_SET, "qdrant");
        const container = podSpec(sts).containers[0];
        const env = new Map<string, any>(container.env.map((e: any) => [e.name, e.value]));
        assert.equal(env.get("QDRANT__SERVICE__ENABLE_TLS"), "true");
        assert.equal(env.get("QDRANT__CLUSTER__P2P__ENABLE_TLS"), "true");
        assert.deepEqual([env.get("QDRANT__TLS__CERT"), env.get("QDRANT__TLS__KEY"), env.get("QDRANT__TLS__CA_CERT")], ["/qdrant/tls/cert.pem", "/qdrant/tls/key.pem", "/qdrant/tls/ca.pem"]);
        assert.equal(container.readinessProbe.httpGet.scheme, "HTTPS");
        const prometheus = run.ofType("kubernetes:core/v1:ConfigMap").flatMap((c) => Object.values(c.inputs.data ?? {}) as string[]).find((d) => d.includes("job_name: qdrant"))!;
        assert.match(prometheus, /job_name: qdrant\n(.*\n)*?\s+scheme: https\n\s+tls_config:\n\s+ca_file: \/etc\/prometheus\/tls\/qdrant-ca\.pem/);
        // Each peer scraped on its own name (a name on the certificate), not a random one through the Service.
        const job = (parseYaml(prometheus).scrape_configs as any[]).find((j) => j.job_name === "qdrant");
        assert.deepEqual(job.static_configs[0].targets, [0, 1, 2].map((i) => `qdrant-${i}.qdrant-peers.llm-platform.svc.cluster.local:6333`));
        assert.match(run.outputs.endpoints.qdrant, /^https:\/\/qdrant\.llm-platform\.svc\.cluster\.local:6333$/);
        const backup = run.named(CRON_JOB, "qdrant-backup-snapshot").inputs.spec.jobTemplate.spec.template.spec;
        const backupEnv = [...(backup.initContainers ?? []), ...backup.containers].flatMap((c: any) => c.env ?? []);
        assert.match(backupEnv.find((e: any) => e.name === "QDRANT_URL").value, /^https:/);
        assert.ok(backupEnv.find((e: any) => e.name === "QDRANT_CA_PEM").value.includes("CERTIFICATE"));
    });
});

describe("Qdrant from one node to three peers on a running prod stack (mocks + the Kubernetes model)", function () {
    this.timeout(300000);

    it("replaces the StatefulSet (its serviceName changes), keeps peer 0's claims as they are and adds the others'", async () => {
        const life = new Lifecycle([kubernetesModel]);
        const run = (peers: number) =>
            runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:qdrant": { peers } }, liveClaims: kubernetesModel.liveClaims(life.world, "llm-platform") });
        life.up(await run(1));
        const plan = life.up(await run(3));
        assert.deepEqual(plan.names("refused"), [], plan.summary.join("\n"));
        const sts = plan.of("qdrant", STATEFUL_SET)!;
        assert.equal(sts.action, "replace", sts.why);
        assert.match(sts.why!, /serviceName/);
        for (const claim of ["storage-qdrant-0", "snapshots-qdrant-0"]) assert.equal(plan.of(claim, "kubernetes:core/v1:PersistentVolumeClaim")!.action, "same", claim);
        assert.deepEqual(plan.names("create", "kubernetes:core/v1:PersistentVolumeClaim").sort(), ["snapshots-qdrant-1", "snapshots-qdrant-2", "storage-qdrant-1", "storage-qdrant-2"]);
        assert.deepEqual(plan.names("create", SERVICE), ["qdrant-peers-service"]);
        assert.deepEqual((await life.up(await run(3))).summary, [], "and a second up changes nothing");
    });
});
