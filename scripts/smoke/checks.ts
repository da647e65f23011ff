/**
 * The smoke checks: what a client of the platform does, end to end, each timed. One place for
 * every way they run: from a workstation against a Docker stack (scripts/smoke.ts), and as a
 * Kubernetes Job inside staging and prod (scripts/smoke/in-cluster.ts, components/platform/kubernetes/smoke-job.ts).
 * Node's own TLS and HTTP for the proxy and Qdrant; the stores through their own clients (psql,
 * redis-cli, sqlcmd), never a re-implemented wire protocol. A client check is data: the client
 * runs it makes (CLIENT_CHECKS) and what their output must show; on a workstation they are
 * spawned here, in the Job each runs in its store's own image and the outputs are judged here.
 * Only Node's built-in modules: the Job runs this file, transpiled, in the plain node image.
 */
import { spawn } from "child_process";
import { randomUUID } from "crypto";
import * as https from "https";
import * as http from "http";
import * as tls from "tls";

export interface SmokeTarget {
    /** The public entry, e.g. https://localhost:8443 (in a cluster: the proxy's Service). */
    readonly proxyUrl: string;
    /** The name the entry's certificate is checked against, when not the URL's host (the canary's Service carries the proxy's certificate). */
    readonly tlsServerName?: string;
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
    /** `caFile`: the server's certificate is verified (`sslmode=verify-full`) with the CA in this file. */
    readonly timescale: { readonly host: string; readonly port: number; readonly user: string; readonly password: string; readonly database: string; readonly caFile?: string };
    /**
     * `tls`: the store refuses plain connections (ElastiCache); the client verifies it with the system's CAs
     * (valkey/valkey's alpine image is built with BUILD_TLS=yes on alpine, whose CA bundle it keeps:
     * valkey-io/valkey-container 8.1/alpine/Dockerfile). `caFile`: TLS verified with the CA in this file instead (the platform's Valkey).
     */
    readonly redis: { readonly host: string; readonly port: number; readonly password: string; readonly tls?: boolean; readonly caFile?: string; readonly user?: string };
    /** HTTPS, verified with `caCertPem`; `tlsServerName` when the URL's host is not a name on the certificate (a loopback address). */
    readonly qdrant: { readonly url: string; readonly apiKey: string; readonly collection: string; readonly tlsServerName?: string };
    /** The client binaries (default: from PATH). */
    readonly tools?: { readonly psql?: string; readonly redisCli?: string; readonly sqlcmd?: string };
}

export interface CheckResult {
    readonly name: string;
    readonly ok: boolean;
    readonly ms: number;
    readonly detail: string;
}

/** A client binary of the checks. */
export type Tool = "psql" | "redisCli" | "sqlcmd";

/** One run of a client: its arguments, and its environment (passwords go here, never into argv). */
export interface ClientRun {
    readonly tool: Tool;
    readonly args: readonly string[];
    readonly env: Readonly<Record<string, string>>;
}

/**
 * A check through a store's own client: the runs it makes, in order (a failed run ends it), and
 * what their outputs must show. `runId` makes its keys and rows its own (a UUID).
 */
export interface ClientCheck {
    readonly name: string;
    runs(t: SmokeTarget, runId: string): ClientRun[];
    judge(outputs: readonly string[], t: SmokeTarget, runId: string): string;
}

/** Runs a client check's runs, in order, and gives their outputs; a failed run throws naming its tool and its error. */
export type ClientExecutor = (check: ClientCheck, runs: readonly ClientRun[], t: SmokeTarget) => Promise<{ outputs: string[]; ms?: number }>;

type Check = (t: SmokeTarget) => Promise<string>;

/** The checks in the order they run: the entry first, then what stands behind it. */
export const CHECKS: readonly { readonly name: string; readonly run?: Check; readonly client?: ClientCheck }[] = [
    { name: "tls", run: checkTls },
    { name: "healthz", run: checkHealthz },
    { name: "embedding", run: checkEmbedding },
    { name: "chat", run: checkChat },
    { name: "sqlserver-vector", client: sqlServerVector() },
    { name: "timescale", client: timescaleRow() },
    { name: "redis", client: redisKey() },
    { name: "qdrant", run: checkQdrant },
];

/** The checks that run through a store's client. */
export const CLIENT_CHECKS: readonly ClientCheck[] = CHECKS.flatMap((c) => (c.client ? [c.client] : []));

/** Spawns each run's client on this machine (`t.tools`, else from PATH). */
export const spawnClients: ClientExecutor = async (_check, runs, t) => {
    const outputs: string[] = [];
    for (const r of runs) outputs.push(await run(t.tools?.[r.tool] ?? TOOL_COMMANDS[r.tool], [...r.args], { ...r.env }));
    return { outputs };
};

/** Each tool's command on PATH. */
export const TOOL_COMMANDS: Readonly<Record<Tool, string>> = { psql: "psql", redisCli: "redis-cli", sqlcmd: "sqlcmd" };

/**
 * Runs the checks (all, or those named in `only`), each timed; a client check through `clients`
 * (default: spawned here) with `runId` (default: a fresh UUID) naming what it writes.
 */
export async function runChecks(target: SmokeTarget, only?: readonly string[], clients: ClientExecutor = spawnClients, runId: string = randomUUID()): Promise<CheckResult[]> {
    const results: CheckResult[] = [];
    for (const check of CHECKS.filter((c) => !only || only.includes(c.name))) {
        const started = process.hrtime.bigint();
        let ok = true;
        let detail: string;
        let ms: number | undefined;
        try {
            if (check.client) {
                const done = await clients(check.client, check.client.runs(target, runId), target);
                ms = done.ms;
                detail = check.client.judge(done.outputs, target, runId);
            } else {
                detail = await check.run!(target);
            }
        } catch (e) {
            ok = false;
            detail = (e as Error).message.split("\n").slice(0, 3).join(" ").slice(0, 300);
        }
        results.push({ name: check.name, ok, ms: ms ?? Number((process.hrtime.bigint() - started) / 1_000_000n), detail });
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
            { host: url.hostname, port: Number(url.port || 443), servername: t.tlsServerName ?? url.hostname, ca: t.caCertPem, minVersion: "TLSv1.2", timeout: 10000 },
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

function request(url: URL, method: string, headers: Record<string, string>, body: string | undefined, ca?: string, servername?: string): Promise<Reply> {
    const client = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
        const req = client.request(
            url,
            { method, headers: { ...headers, ...(body ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } : {}) }, ca, servername, timeout: 120000 },
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
    const r = await request(new URL(path, t.proxyUrl), body === undefined ? "GET" : "POST", headers, body === undefined ? undefined : JSON.stringify(body), t.caCertPem, t.tlsServerName);
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
function sqlServerVector(): ClientCheck {
    return {
        name: "sqlserver-vector",
        runs: (t) => {
            const s = t.sqlserver;
            const sql =
                "SET NOCOUNT ON; " +
                `DECLARE @e VECTOR(${t.embeddingDimensions}) = AI_GENERATE_EMBEDDINGS(N'smoke check' USE MODEL ${s.model}); ` +
                "SELECT CAST(VECTOR_DISTANCE('cosine', @e, @e) AS DECIMAL(9,6));";
            return [{ tool: "sqlcmd", args: ["-S", s.server, "-U", s.user, "-d", s.database, "-C", "-b", "-h", "-1", "-W", "-Q", sql], env: { SQLCMDPASSWORD: s.password } }];
        },
        judge: ([out], t) => {
            const distance = Number(out.split("\n").pop());
            if (!Number.isFinite(distance) || Math.abs(distance) > 1e-4) throw new Error(`vector distance of an embedding to itself was ${JSON.stringify(out)}; expected 0`);
            return `embedded through ${t.sqlserver.model}, distance 0`;
        },
    };
}

/** A write and a read in TimescaleDB, in a transaction that is rolled back: nothing stays. */
function timescaleRow(): ClientCheck {
    return {
        name: "timescale",
        runs: (t, runId) => {
            const d = t.timescale;
            const sql =
                "BEGIN; CREATE TEMP TABLE smoke_check (at timestamptz NOT NULL, token text NOT NULL); " +
                `INSERT INTO smoke_check VALUES (now(), '${runId}'); SELECT token FROM smoke_check; ROLLBACK;`;
            return [
                {
                    tool: "psql",
                    args: ["-X", "-v", "ON_ERROR_STOP=1", "-tA", "-h", d.host, "-p", String(d.port), "-U", d.user, "-d", d.database, "-c", sql],
                    env: { PGPASSWORD: d.password, PGCONNECT_TIMEOUT: "10", ...(d.caFile ? { PGSSLMODE: "verify-full", PGSSLROOTCERT: d.caFile } : {}) },
                },
            ];
        },
        judge: ([out], _t, runId) => {
            if (!out.split("\n").includes(runId)) throw new Error(`read back ${JSON.stringify(out)}, not the row written`);
            return "wrote and read a row";
        },
    };
}

function redisKey(): ClientCheck {
    return {
        name: "redis",
        runs: (t, runId) => {
            const r = t.redis;
            const key = `smoke:${runId}`;
            const base = ["-h", r.host, "-p", String(r.port), ...(r.tls || r.caFile ? ["--tls"] : []), ...(r.caFile ? ["--cacert", r.caFile] : []), "--no-auth-warning", ...(r.user ? ["--user", r.user] : [])];
            // A user name: an ACL user (ElastiCache's RBAC); else the default user's password.
            const env = { REDISCLI_AUTH: r.password };
            return [
                { tool: "redisCli", args: [...base, "SET", key, "ok", "EX", "60"], env },
                { tool: "redisCli", args: [...base, "GET", key], env },
                { tool: "redisCli", args: [...base, "DEL", key], env },
            ];
        },
        judge: ([set, got]) => {
            if (set !== "OK") throw new Error(`SET answered ${JSON.stringify(set)}`);
            if (got !== "ok") throw new Error(`GET answered ${JSON.stringify(got)}`);
            return "set, got and deleted a key";
        },
    };
}

/** Upserts a point, finds it as the nearest neighbour of its own vector, deletes it. */
async function checkQdrant(t: SmokeTarget): Promise<string> {
    const q = t.qdrant;
    const headers = { "api-key": q.apiKey };
    const id = randomUUID();
    const vector = Array.from({ length: t.embeddingDimensions }, (_, i) => Math.sin(i + 1));
    const call = async (method: string, path: string, body: unknown) => {
        const r = await request(new URL(`/collections/${q.collection}${path}`, q.url), method, headers, JSON.stringify(body), t.caCertPem, q.tlsServerName);
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
