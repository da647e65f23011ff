/**
 * An app's Qdrant collection (`apps[].databases.qdrant`): the config's rules; the collection step
 * (real sh and curl) against a stub Qdrant creating the apps' collections once; the token the app
 * gets, verified with node:crypto against the API key (HS256, claims exact), re-signed by a
 * rotation; what the app is handed on both platforms; and the snapshot backups (real sh and curl,
 * a stub single-node Qdrant) holding each collection, restorable and drilled by name.
 * The stub answers as Qdrant's OpenAPI says (docs/redoc/master/openapi.json of v1.19:
 * SnapshotDescription, CountResult); the JWT rules are Qdrant's (components/qdrant/app-token.ts).
 */
import assert from "node:assert/strict";
import { createHash, createHmac, timingSafeEqual } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import { parse } from "yaml";
import { appQdrantCollection } from "../components/config/apps";
import { parseConfig } from "../components/config/load";
import { QDRANT_BACKUP_SCRIPT } from "../components/qdrant/backup-script";
import { collectionBody, renderCollectionScript } from "../components/qdrant/collection-script";
import { RegisteredResource, runStack, StackRun } from "../harness/run-stack";
import { PROJECT_DIR } from "../harness/stack-config";
import { scratch } from "./helpers/backup-scratch";
import { rejects } from "./helpers/config-problems";
import { requireTool } from "./helpers/tools";

const EXAMPLE = parse(fs.readFileSync(path.join(PROJECT_DIR, "examples", "Pulumi.apps.yaml"), "utf8")).config as Record<string, unknown>;
const CONTAINER = "docker:index/container:Container";
const envOf = (r: RegisteredResource) => Object.fromEntries((r.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
const upload = (r: RegisteredResource, file: string) => r.inputs.uploads?.find((x: any) => x.file === file)?.content as string;

/** The token's parts, its signature checked with the key as Qdrant checks it (HS256 over `header.claims`). */
function verifiedClaims(token: string, apiKey: string): { header: unknown; claims: unknown } {
    const [header, claims, signature] = token.split(".");
    assert.ok(header && claims && signature, `a JWT has three parts: ${token}`);
    const expected = createHmac("sha256", apiKey).update(`${header}.${claims}`).digest();
    const given = Buffer.from(signature, "base64url");
    assert.ok(given.length === expected.length && timingSafeEqual(given, expected), "signed HS256 with the API key");
    const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return { header: decode(header), claims: decode(claims) };
}

describe("apps' Qdrant collections: config", () => {
    const api = { name: "courses-api", upstream: { address: "a:1" }, routes: [{ pathPrefix: "/courses" }] };

    it("names the collection after the app unless the config names one", () => {
        const c = parseConfig({ apps: [{ ...api, databases: { qdrant: {} } }, { ...api, name: "lab", routes: [{ pathPrefix: "/lab" }], databases: { qdrant: { collection: "labs_v2" } } }] });
        assert.deepEqual(c.apps.map((a) => appQdrantCollection(a)), ["courses-api", "labs_v2"]);
    });

    it("refuses a name Qdrant would not take, the platform's collection, a drill's scratch name and another app's", () => {
        rejects({ apps: [{ ...api, databases: { qdrant: { collection: "a/b" } } }] }, "apps.0.databases.qdrant.collection", "Qdrant collection name");
        rejects({ apps: [{ ...api, databases: { qdrant: { collection: "" } } }] }, "apps.0.databases.qdrant.collection", "Qdrant collection name");
        rejects({ apps: [{ ...api, databases: { qdrant: { collection: "documents" } } }] }, "apps.0.databases.qdrant.collection", "the platform's own collection");
        rejects({ qdrant: { collection: "kb" }, apps: [{ ...api, databases: { qdrant: { collection: "kb" } } }] }, "apps.0.databases.qdrant.collection", "qdrant.collection");
        rejects({ apps: [{ ...api, databases: { qdrant: { collection: "courses-drill" } } }] }, "apps.0.databases.qdrant.collection", "-drill");
        rejects(
            { apps: [{ ...api, databases: { qdrant: { collection: "shared" } } }, { ...api, name: "lab", routes: [{ pathPrefix: "/lab" }], databases: { qdrant: { collection: "shared" } } }] },
            "apps.1.databases.qdrant.collection",
            "already the collection of app courses-api",
        );
        rejects({ apps: [{ ...api, databases: { qdrant: { size: 3 } } }] }, "apps.0.databases.qdrant", "size");
    });
});

/** A one-node Qdrant: collections with their points, snapshots made, downloaded, freed and uploaded. */
class StubQdrant {
    readonly calls: string[] = [];
    readonly collections = new Map<string, { body: string; points: number }>();
    private readonly snapshots = new Map<string, Buffer>();
    private server?: http.Server;
    url = "";

    async start() {
        this.server = http.createServer((req, res) => this.handle(req, res));
        await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
        this.url = `http://127.0.0.1:${(this.server.address() as any).port}`;
    }

    stop() {
        this.server?.close();
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse) {
        const chunks: Buffer[] = [];
        req.on("data", (d) => chunks.push(d));
        req.on("end", () => {
            const url = req.url ?? "";
            this.calls.push(`${req.method} ${url}`);
            const json = (result: unknown) => res.setHeader("Content-Type", "application/json").end(JSON.stringify({ result, status: "ok", time: 0.001 }));
            if (req.headers["api-key"] !== "qk") return res.writeHead(401).end();
            if (req.method === "GET" && url === "/cluster") return json({ status: "disabled" });
            const m = /^\/collections\/([A-Za-z0-9_-]+)(\/.*)?$/.exec(url.split("?")[0]);
            if (!m) return res.writeHead(404).end("{}");
            const [, name, rest = ""] = m;
            const c = this.collections.get(name);
            const body = Buffer.concat(chunks);
            if (rest === "" && req.method === "GET") {
                return c ? json({ status: "green", config: { params: { vectors: { size: 768, distance: "Cosine" } } } }) : res.writeHead(404).end("{}");
            }
            if (rest === "" && req.method === "PUT") {
                this.collections.set(name, { body: body.toString(), points: 0 });
                return json(true);
            }
            if (rest === "" && req.method === "DELETE") {
                this.collections.delete(name);
                return json(true);
            }
            if (rest === "/points/count" && req.method === "POST" && c) return json({ count: c.points });
            if (rest === "/snapshots" && req.method === "POST" && c) {
                const snapshot = `${name}-2026.snapshot`;
                const content = Buffer.from(`snapshot of ${name}: ${c.points} points\n`);
                this.snapshots.set(`${name}/${snapshot}`, content);
                return json({ name: snapshot, creation_time: "2026-12-05T01:00:00", size: content.length, checksum: createHash("sha256").update(content).digest("hex") });
            }
            const file = /^\/snapshots\/([^/]+)$/.exec(rest)?.[1];
            if (file === "upload" && req.method === "POST") {
                const points = /snapshot of [A-Za-z0-9_-]+: (\d+) points/.exec(body.toString())?.[1];
                if (points === undefined) return res.writeHead(400).end("{}");
                // An upload creates the collection when it is missing, as Qdrant's recovery does.
                this.collections.set(name, { body: c?.body ?? "", points: Number(points) });
                return json(true);
            }
            const stored = file && this.snapshots.get(`${name}/${file}`);
            if (stored && req.method === "GET") return res.end(stored);
            if (stored && req.method === "DELETE") {
                this.snapshots.delete(`${name}/${file}`);
                return json(true);
            }
            return res.writeHead(404).end("{}");
        });
    }
}

describe("apps' Qdrant collections: the collection step and the snapshot backups (real sh and curl, a stub Qdrant)", function () {
    this.timeout(60000);
    const qdrant = new StubQdrant();
    const collection = { collection: "documents", dimensions: 768, hnswM: 16, hnswEfConstruct: 128 };

    before(async function () {
        requireTool(this, "curl", "curl");
        await qdrant.start();
    });
    after(() => qdrant.stop());

    const step = (script: string) =>
        new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
            const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "llm-qdrant-apps-")), "collection.sh");
            fs.writeFileSync(file, script);
            const child = spawn("sh", [file], { env: { PATH: process.env.PATH!, QDRANT_URL: qdrant.url, QDRANT_API_KEY: "qk" } });
            let out = "";
            let err = "";
            child.stdout.on("data", (d) => (out += d));
            child.stderr.on("data", (d) => (err += d));
            child.on("close", (code) => resolve({ code, out, err }));
        });

    it("creates the platform's and each app's collection with the same vectors, and a second run creates nothing", async () => {
        const script = renderCollectionScript(collection, ["courses", "labs"]);
        const first = await step(script);
        assert.equal(first.code, 0, first.err);
        assert.deepEqual([...qdrant.collections.keys()], ["documents", "courses", "labs"]);
        for (const c of qdrant.collections.values()) assert.deepEqual(JSON.parse(c.body), collectionBody(collection));
        const puts = () => qdrant.calls.filter((c) => c.startsWith("PUT ")).length;
        assert.equal(puts(), 3);
        const second = await step(script);
        assert.equal(second.code, 0, second.err);
        assert.equal(puts(), 3, "the second run creates nothing");
        assert.match(second.out, /collection courses exists \(size 768\)/);
    });

    it("gives an app's collection a shard per peer and replication factor 2 on a cluster, as the platform's", () => {
        const script = renderCollectionScript({ ...collection, peers: 3 }, ["courses"]);
        const bodies = [...script.matchAll(/-d '(\{[^']*\})'/g)].map((m) => JSON.parse(m[1]));
        assert.equal(bodies.length, 2);
        for (const b of bodies) assert.deepEqual(b, { ...collectionBody(collection), shard_number: 3, replication_factor: 2, write_consistency_factor: 1 });
    });

    it("backs up every collection with a manifest entry and a count each, restores an app's by name and drills them all", async () => {
        qdrant.collections.get("documents")!.points = 40;
        qdrant.collections.get("courses")!.points = 7;
        qdrant.collections.get("labs")!.points = 3;
        const env = { STORE: "qdrant", QDRANT_URL: qdrant.url, QDRANT_API_KEY: "qk", COLLECTION: "documents", APP_COLLECTIONS: "courses labs" };
        const s = scratch();
        const backup = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["backup"], env);
        assert.equal(backup.status, 0, backup.err);
        const id = backup.out.trim();
        const manifest = fs.readFileSync(path.join(s.root, "backups", "qdrant", id, "manifest"), "utf8");
        for (const [c, points] of [["documents", 40], ["courses", 7], ["labs", 3]] as const) {
            const file = `${c}-2026.snapshot`;
            const sum = createHash("sha256").update(fs.readFileSync(path.join(s.root, "backups", "qdrant", id, file))).digest("hex");
            assert.ok(manifest.includes(`\nsnapshot ${c} ${file} ${sum}\n`), `${c} named in the manifest:\n${manifest}`);
            assert.ok(manifest.includes(`\nfile ${file} `), `${c}'s file checked by the manifest`);
            assert.match(manifest, new RegExp(`^count ${c === "documents" ? "points" : `points:${c}`} ${points} ${points}$`, "m"));
            assert.ok(qdrant.calls.includes(`DELETE /collections/${c}/snapshots/${file}`), `${c}'s snapshot freed on the server`);
        }

        // The app's collection lost, then restored by name; the others untouched.
        qdrant.collections.get("courses")!.points = 0;
        qdrant.collections.get("documents")!.points = 41;
        const uploadsBefore = qdrant.calls.filter((c) => c.includes("/snapshots/upload")).length;
        const restore = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["restore", id, "courses"], env);
        assert.equal(restore.status, 0, restore.err);
        assert.equal(qdrant.collections.get("courses")!.points, 7);
        assert.equal(qdrant.collections.get("documents")!.points, 41, "restoring an app's collection leaves the platform's alone");
        assert.deepEqual(
            qdrant.calls.filter((c) => c.includes("/snapshots/upload")).slice(uploadsBefore).map((c) => c.split("?")[0]),
            ["POST /collections/courses/snapshots/upload"],
        );

        const unknown = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["restore", id, "nobody"], env);
        assert.notEqual(unknown.status, 0);
        assert.match(unknown.err, /no collection nobody in this stack's backups: give documents or an app's collection \(courses labs\)/);

        const drill = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["drill", id], { ...env, DRILL_KIND: "snapshot" });
        assert.equal(drill.status, 0, drill.err);
        assert.match(drill.err, /3 count\(s\) match/);
        for (const c of ["documents-drill", "courses-drill", "labs-drill"]) {
            assert.ok(qdrant.calls.some((x) => x.startsWith(`POST /collections/${c}/snapshots/upload`)), `${c} restored`);
            assert.ok(!qdrant.collections.has(c), `${c} deleted after the drill`);
        }
    });

    it("restores a backup from before the apps' collections (no snapshot entries) as the platform's collection", async () => {
        const s = scratch();
        const env = { STORE: "qdrant", QDRANT_URL: qdrant.url, QDRANT_API_KEY: "qk", COLLECTION: "documents" };
        const backup = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["backup"], env);
        assert.equal(backup.status, 0, backup.err);
        const dir = path.join(s.root, "backups", "qdrant", backup.out.trim());
        // The manifest as the previous script wrote it: no `snapshot` lines.
        fs.writeFileSync(path.join(dir, "manifest"), fs.readFileSync(path.join(dir, "manifest"), "utf8").replace(/^snapshot .*\n/m, ""));
        qdrant.collections.get("documents")!.points = 1;
        const restore = await s.runAsync(QDRANT_BACKUP_SCRIPT, ["restore", backup.out.trim()], env);
        assert.equal(restore.status, 0, restore.err);
        assert.equal(qdrant.collections.get("documents")!.points, 41);
    });
});

describe("an app's Qdrant collection on the docker stack (mocks)", function () {
    this.timeout(180000);
    let run: StackRun;
    before(async () => {
        run = await runStack("dev", { overrides: EXAMPLE });
    });

    it("turns JWT RBAC on, creates the app's collection in the step and backs it up with the platform's", () => {
        assert.equal(envOf(run.named(CONTAINER, "qdrant")).QDRANT__SERVICE__JWT_RBAC, "true");
        const step = run.ofType(CONTAINER).find((r) => upload(r, "/tmp/llm-platform-collection.sh") !== undefined)!;
        assert.match(upload(step, "/tmp/llm-platform-collection.sh"), /"\$QDRANT_URL\/collections\/courses"/);
        const schedulers = run.ofType(CONTAINER).filter((r) => envOf(r).STORE === "qdrant");
        assert.ok(schedulers.length > 0);
        for (const r of schedulers) assert.equal(envOf(r).APP_COLLECTIONS, "courses", r.name);
    });

    it("hands the app its URL, collection, Qdrant's CA and a token for its collection alone, signed with the API key", () => {
        const app = envOf(run.named(CONTAINER, "app-courses-api"));
        assert.equal(app.QDRANT_URL, "https://qdrant:6333");
        assert.equal(app.QDRANT_COLLECTION, "courses");
        assert.equal(app.QDRANT_CA_PEM, upload(run.named(CONTAINER, "qdrant"), "/qdrant/tls/ca.pem"), "the CA Qdrant's certificate is signed by");
        const apiKey = run.outputs.credentials.qdrantApiKey as string;
        assert.notEqual(app.QDRANT_API_KEY, apiKey, "never the API key itself");
        const { header, claims } = verifiedClaims(app.QDRANT_API_KEY, apiKey);
        assert.deepEqual(header, { alg: "HS256", typ: "JWT" });
        assert.deepEqual(claims, { access: [{ collection: "courses", access: "rw" }] });
        assert.equal(run.outputs.credentials.apps["courses-api"].qdrantApiKey, app.QDRANT_API_KEY);
        assert.deepEqual(run.outputs.apps["courses-api"].qdrant, { url: "https://qdrant:6333", collection: "courses" });
        assert.equal(envOf(run.named(CONTAINER, "app-frontend")).QDRANT_API_KEY, undefined, "an app without a collection gets no token");
    });

    it("re-signs the token when the API key rotates", async () => {
        const rotated = await runStack("dev", { overrides: { ...EXAMPLE, "llm-platform:rotation": { "qdrant-api-key": { generation: 1 } } } });
        const key = rotated.outputs.credentials.qdrantApiKey as string;
        assert.notEqual(key, run.outputs.credentials.qdrantApiKey);
        const token = envOf(rotated.named(CONTAINER, "app-courses-api")).QDRANT_API_KEY;
        assert.deepEqual(verifiedClaims(token, key).claims, { access: [{ collection: "courses", access: "rw" }] });
        assert.throws(() => verifiedClaims(token, run.outputs.credentials.qdrantApiKey as string), /signed HS256 with the API key/);
    });
});

describe("an app's Qdrant collection on the kubernetes stack (mocks)", function () {
    this.timeout(180000);
    let run: StackRun;
    const k8s = (type: string, name: string) => {
        const r = run.resources.find((x) => x.type === type && x.inputs.metadata?.name === name);
        assert.ok(r, `${type} ${name}`);
        return r!;
    };
    before(async () => {
        run = await runStack("prod", { overrides: EXAMPLE, exampleUserValues: true });
    });

    it("lets the app's pods reach Qdrant, and Qdrant admit them", () => {
        const appPod = k8s("kubernetes:apps/v1:Deployment", "app-courses-api").inputs.spec.template;
        assert.equal(appPod.metadata.labels["talks-to.llm-platform/qdrant"], "true");
        const egress = k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", "app-courses-api").inputs.spec.egress;
        assert.ok(egress.some((e: any) => e.to[0].podSelector?.matchLabels?.["app.kubernetes.io/name"] === "qdrant"), JSON.stringify(egress));
        const qdrantIngress = run.resources
            .filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && r.inputs.metadata?.name?.startsWith("qdrant"))
            .flatMap((r) => r.inputs.spec.ingress ?? []);
        assert.ok(qdrantIngress.some((i: any) => i.from?.some((f: any) => f.podSelector?.matchLabels?.["talks-to.llm-platform/qdrant"] === "true")));
    });

    it("hands the token through the app's Secret and the https URL and CA as plain variables", () => {
        const env = k8s("kubernetes:apps/v1:Deployment", "app-courses-api").inputs.spec.template.spec.containers[0].env as any[];
        assert.equal(env.find((e) => e.name === "QDRANT_API_KEY").valueFrom.secretKeyRef.name, "app-courses-api-env");
        assert.match(env.find((e) => e.name === "QDRANT_URL").value, /^https:\/\/qdrant\..+:6333$/);
        assert.match(env.find((e) => e.name === "QDRANT_CA_PEM").value, /BEGIN CERTIFICATE/);
        assert.equal(env.find((e) => e.name === "QDRANT_COLLECTION").value, "courses");
    });

    it("creates the app's collection over the peers with the platform's distribution, and backs it up", () => {
        const statefulSet = k8s("kubernetes:apps/v1:StatefulSet", "qdrant");
        const env = statefulSet.inputs.spec.template.spec.containers[0].env as any[];
        assert.equal(env.find((e) => e.name === "QDRANT__SERVICE__JWT_RBAC").value, "true");
        const scripts = run.resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap").flatMap((r) => Object.values(r.inputs.data ?? {}) as string[]);
        const step = scripts.find((s) => s.includes('"$QDRANT_URL/collections/courses"'));
        assert.ok(step, "the collection step creates courses");
        assert.match(step!, /collections\/courses" \\\n\s+-d '\{[^']*"shard_number":3,"replication_factor":2,"write_consistency_factor":1\}'/);
        const backups = run.resources.filter((r) => r.type === "kubernetes:batch/v1:CronJob" && r.inputs.metadata?.name?.startsWith("qdrant"));
        const appCollections = backups.flatMap((r) => [...(r.inputs.spec.jobTemplate.spec.template.spec.initContainers ?? []), ...r.inputs.spec.jobTemplate.spec.template.spec.containers])
            .flatMap((c: any) => c.env ?? [])
            .filter((e: any) => e.name === "APP_COLLECTIONS");
        assert.ok(appCollections.length > 0 && appCollections.every((e: any) => e.value === "courses"));
    });

    it("admits a routed-only app's labelled pods at Qdrant and hands it the token in its namespace's Secret", async () => {
        const labs = { name: "labs", upstream: { service: "lab-manager.labs:8006" }, routes: [{ pathPrefix: "/labs" }], databases: { qdrant: {} } };
        const other = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:apps": [labs] } });
        const policy = other.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((r) => r.inputs.metadata.name === "qdrant-from-app-labs");
        assert.ok(policy, "qdrant-from-app-labs");
        assert.deepEqual(policy!.inputs.spec.ingress[0].from, [
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "labs" } }, podSelector: { matchLabels: { "talks-to.llm-platform/qdrant": "true" } } },
        ]);
        assert.deepEqual(policy!.inputs.spec.ingress[0].ports, [{ protocol: "TCP", port: 6333 }]);
        const secret = other.ofType("kubernetes:core/v1:Secret").find((r) => r.inputs.metadata.name === "app-labs-env" && r.inputs.metadata.namespace === "labs");
        assert.ok(secret, "app-labs-env in namespace labs");
        const data = { ...(secret!.inputs.stringData ?? {}) };
        const token = data.QDRANT_API_KEY ?? Buffer.from(secret!.inputs.data.QDRANT_API_KEY, "base64").toString();
        assert.deepEqual(verifiedClaims(token, other.outputs.credentials.qdrantApiKey).claims, { access: [{ collection: "labs", access: "rw" }] });
    });
});
