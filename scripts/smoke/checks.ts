/**
 * The smoke checks: what a client of the platform does, end to end, each timed. One place for
 * every way they run (a workstation against dev today). Node's own TLS and HTTP for the proxy
 * and Qdrant; the stores through their own clients (psql, redis-cli, sqlcmd), never a
 * re-implemented wire protocol.
 */
import { spawn } from "child_process";
import { randomUUID } from "crypto";
import * as https from "https";
import * as http from "http";
import * as tls from "tls";

export interface SmokeTarget {
    /** The public entry, e.g. https://localhost:8443. */
    readonly proxyUrl: string;
    /** The CA the entry's certificate chains to (the stack's own, or a public one when unset). */
    readonly caCertPem?: string;
    /** Sent with every request through the entry (e.g. the canary's routing header). */
    readonly headers?: Readonly<Record<string, string>>;
    /** A client's API key of the proxy. */
    readonly apiKey: string;
    /** Fewer days of certificate validity than this fail the TLS check. */
    readonly minCertificateDays: number;
    readonly embeddingModel: string;
    readonly embeddingDimensions: number;
    readonly chatModel: string;
    readonly sqlserver: { readonly server: string; readonly user: string; readonly password: string; readonly database: string; readonly model: string };
    readonly timescale: { readonly host: string; readonly port: number; readonly user: string; readonly password: string; readonly database: string };
    readonly redis: { readonly host: string; readonly port: number; readonly password: string };
    readonly qdrant: { readonly url: string; readonly apiKey: string; readonly collection: string };
    /** The client binaries (default: from PATH). */
    readonly tools?: { readonly psql?: string; readonly redisCli?: string; readonly sqlcmd?: string };
}

export interface CheckResult {
    readonly name: string;
    readonly ok: boolean;
    readonly ms: number;
    readonly detail: string;
}

type Check = (t: SmokeTarget) => Promise<string>;

/** The checks in the order they run: the entry first, then what stands behind it. */
export const CHECKS: readonly { readonly name: string; readonly run: Check }[] = [
    { name: "tls", run: checkTls },
    { name: "healthz", run: checkHealthz },
    { name: "embedding", run: checkEmbedding },
    { name: "chat", run: checkChat },
    { name: "sqlserver-vector", run: checkSqlServerVector },
    { name: "timescale", run: checkTimescale },
    { name: "redis", run: checkRedis },
    { name: "qdrant", run: checkQdrant },
];

export async function runChecks(target: SmokeTarget, only?: readonly string[]): Promise<CheckResult[]> {
    const results: CheckResult[] = [];
    for (const check of CHECKS.filter((c) => !only || only.includes(c.name))) {
        const started = process.hrtime.bigint();
        let ok = true;
        let detail: string;
        try {
            detail = await check.run(target);
        } catch (e) {
            ok = false;
            detail = (e as Error).message.split("\n").slice(0, 3).join(" ").slice(0, 300);
        }
        results.push({ name: check.name, ok, ms: Number((process.hrtime.bigint() - started) / 1_000_000n), detail });
    }
    return results;
}

export function formatTable(results: readonly CheckResult[]): string {
    const width = Math.max(5, ...results.map((r) => r.name.length));
    const lines = [`${"check".padEnd(width)}  result  ${"ms".padStart(6)}  detail`];
    for (const r of results) lines.push(`${r.name.padEnd(width)}  ${(r.ok ? "ok" : "FAILED").padEnd(6)}  ${String(r.ms).padStart(6)}  ${r.detail}`);
    return lines.join("\n");
}

/** One line naming what failed, or undefined when everything passed. */
export function failureLine(results: readonly CheckResult[]): string | undefined {
    const failed = results.filter((r) => !r.ok).map((r) => r.name);
    return failed.length > 0 ? `smoke checks failed: ${failed.join(", ")}` : undefined;
}

const entry = (t: SmokeTarget) => new URL(t.proxyUrl);

async function checkTls(t: SmokeTarget): Promise<string> {
    const url = entry(t);
    const cert = await new Promise<tls.PeerCertificate>((resolve, reject) => {
        const socket = tls.connect(
            { host: url.hostname, port: Number(url.port || 443), servername: url.hostname, ca: t.caCertPem, minVersion: "TLSv1.2", timeout: 10000 },
            () => {
                const peer = socket.getPeerCertificate();
                socket.end();
                resolve(peer);
            },
        );
        socket.on("timeout", () => socket.destroy(new Error("TLS handshake timed out")));
        socket.on("error", reject);
    });
    const daysLeft = Math.floor((new Date(cert.valid_to).getTime() - Date.now()) / 86_400_000);
    if (daysLeft < t.minCertificateDays) throw new Error(`certificate expires in ${daysLeft} days (${cert.valid_to}); at least ${t.minCertificateDays} required`);
    return `certificate valid ${daysLeft} more days`;
}

interface Reply {
    readonly status: number;
    readonly body: string;
}

function request(url: URL, method: string, headers: Record<string, string>, body: string | undefined, ca?: string): Promise<Reply> {
    const client = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
        const req = client.request(
            url,
            { method, headers: { ...headers, ...(body ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } : {}) }, ca, timeout: 120000 },
            (res) => {
                let data = "";
                res.setEncoding("utf8");
                res.on("data", (d) => (data += d));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data }));
            },
        );
        req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
        req.on("error", reject);
        req.end(body);
    });
}

/** A JSON request through the entry, with the API key when asked; a status other than 200 fails. */
async function throughEntry(t: SmokeTarget, path: string, body?: unknown, withKey = true): Promise<any> {
    const headers: Record<string, string> = { ...(t.headers ?? {}), ...(withKey ? { Authorization: `Bearer ${t.apiKey}` } : {}) };
    const r = await request(new URL(path, t.proxyUrl), body === undefined ? "GET" : "POST", headers, body === undefined ? undefined : JSON.stringify(body), t.caCertPem);
    if (r.status !== 200) throw new Error(`${path} answered ${r.status}: ${r.body.slice(0, 120)}`);
    return r.body;
}

async function checkHealthz(t: SmokeTarget): Promise<string> {
    await throughEntry(t, "/healthz", undefined, false);
    return "200";
}

async function checkEmbedding(t: SmokeTarget): Promise<string> {
    const reply = JSON.parse(await throughEntry(t, "/api/embed", { model: t.embeddingModel, input: "smoke check" }));
    const length = reply.embeddings?.[0]?.length;
    if (length !== t.embeddingDimensions) throw new Error(`${t.embeddingModel} returned ${length ?? "no"} dimensions; expected ${t.embeddingDimensions}`);
    return `${length} dimensions`;
}

async function checkChat(t: SmokeTarget): Promise<string> {
    const reply = JSON.parse(
        await throughEntry(t, "/api/chat", { model: t.chatModel, messages: [{ role: "user", content: "Reply with the word ok." }], stream: false, options: { num_predict: 8 } }),
    );
    const content = reply.message?.content;
    if (typeof content !== "string" || content.trim() === "") throw new Error(`${t.chatModel} returned no message`);
    return `${t.chatModel}: ${JSON.stringify(content.trim().slice(0, 30))}`;
}

/** Runs a client binary; a non-zero exit fails with its stderr. Secrets go in the environment, never argv. */
function run(command: string, args: string[], env: Record<string, string>): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), 60000);
        child.on("error", (e) => (clearTimeout(timer), reject(new Error(`${command}: ${e.message}`))));
        child.on("close", (code) => {
            clearTimeout(timer);
            if (code === 0) resolve(out.trim());
            else reject(new Error(`${command} exited ${code}: ${(err || out).trim()}`));
        });
    });
}

/** SQL Server embeds through its external model (the proxy's /api/embed) and compares vectors. */
async function checkSqlServerVector(t: SmokeTarget): Promise<string> {
    const s = t.sqlserver;
    const sql =
        "SET NOCOUNT ON; " +
        `DECLARE @e VECTOR(${t.embeddingDimensions}) = AI_GENERATE_EMBEDDINGS(N'smoke check' USE MODEL ${s.model}); ` +
        "SELECT CAST(VECTOR_DISTANCE('cosine', @e, @e) AS DECIMAL(9,6));";
    const out = await run(t.tools?.sqlcmd ?? "sqlcmd", ["-S", s.server, "-U", s.user, "-d", s.database, "-C", "-b", "-h", "-1", "-W", "-Q", sql], { SQLCMDPASSWORD: s.password });
    const distance = Number(out.split("\n").pop());
    if (!Number.isFinite(distance) || Math.abs(distance) > 1e-4) throw new Error(`vector distance of an embedding to itself was ${JSON.stringify(out)}; expected 0`);
    return `embedded through ${s.model}, distance 0`;
}

/** A write and a read in TimescaleDB, in a transaction that is rolled back: nothing stays. */
async function checkTimescale(t: SmokeTarget): Promise<string> {
    const d = t.timescale;
    const token = randomUUID();
    const sql =
        "BEGIN; CREATE TEMP TABLE smoke_check (at timestamptz NOT NULL, token text NOT NULL); " +
        `INSERT INTO smoke_check VALUES (now(), '${token}'); SELECT token FROM smoke_check; ROLLBACK;`;
    const out = await run(t.tools?.psql ?? "psql", ["-X", "-v", "ON_ERROR_STOP=1", "-tA", "-h", d.host, "-p", String(d.port), "-U", d.user, "-d", d.database, "-c", sql], {
        PGPASSWORD: d.password,
        PGCONNECT_TIMEOUT: "10",
    });
    if (!out.split("\n").includes(token)) throw new Error(`read back ${JSON.stringify(out)}, not the row written`);
    return "wrote and read a row";
}

async function checkRedis(t: SmokeTarget): Promise<string> {
    const r = t.redis;
    const cli = t.tools?.redisCli ?? "redis-cli";
    const key = `smoke:${randomUUID()}`;
    const base = ["-h", r.host, "-p", String(r.port), "--no-auth-warning"];
    const env = { REDISCLI_AUTH: r.password };
    const set = await run(cli, [...base, "SET", key, "ok", "EX", "60"], env);
    if (set !== "OK") throw new Error(`SET answered ${JSON.stringify(set)}`);
    const got = await run(cli, [...base, "GET", key], env);
    if (got !== "ok") throw new Error(`GET answered ${JSON.stringify(got)}`);
    await run(cli, [...base, "DEL", key], env);
    return "set, got and deleted a key";
}

/** Upserts a point, finds it as the nearest neighbour of its own vector, deletes it. */
async function checkQdrant(t: SmokeTarget): Promise<string> {
    const q = t.qdrant;
    const headers = { "api-key": q.apiKey };
    const id = randomUUID();
    const vector = Array.from({ length: t.embeddingDimensions }, (_, i) => Math.sin(i + 1));
    const call = async (method: string, path: string, body: unknown) => {
        const r = await request(new URL(`/collections/${q.collection}${path}`, q.url), method, headers, JSON.stringify(body));
        if (r.status !== 200) throw new Error(`${method} ${path} answered ${r.status}: ${r.body.slice(0, 120)}`);
        return JSON.parse(r.body);
    };
    await call("PUT", "/points?wait=true", { points: [{ id, vector, payload: { smoke: true } }] });
    try {
        const found = await call("POST", "/points/search", { vector, limit: 1 });
        if (found.result?.[0]?.id !== id) throw new Error(`search returned ${JSON.stringify(found.result?.[0]?.id)}, not the point upserted`);
    } finally {
        await call("POST", "/points/delete?wait=true", { points: [id] });
    }
    return "upserted, found and deleted a point";
}
