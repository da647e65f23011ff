import assert from "node:assert/strict";
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { pullScript } from "../../components/ollama/ollama";
import { renderCollectionScript } from "../../components/qdrant/collection-script";
import { renderSqlInit } from "../../components/sqlserver/init-sql";
import { renderObservabilitySchema } from "../../components/timescale/observability-sql";
import { requireTool } from "../helpers/tools";
// PostgreSQL's parser compiled to WebAssembly: a syntax check without a server.
const { parse } = require("libpg-query") as { parse(sql: string): Promise<{ stmts: unknown[] }> };

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
        const child = spawn(cmd, args, { env: { ...process.env, ...env } });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("exit", (code) => resolve({ code: code ?? -1, out }));
    });
}

describe("SQL Server init script", () => {
    const sql = renderSqlInit({
        database: "llm",
        dimensions: 768,
        embedUrl: "https://proxy/api/embed",
        embeddingModel: "nomic-embed-text",
        modelName: "ollama_embeddings",
        vectorIndexMinRows: 100,
        apiKey: "K".repeat(48),
        masterKeyPassword: "Mk-1'pass",
    });

    it("sends the proxy API key from a database scoped credential that the external model references", () => {
        const order = [
            "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Mk-1''pass'",
            "CREATE DATABASE SCOPED CREDENTIAL [https://proxy]",
            "DROP EXTERNAL MODEL",
            "\nCREATE EXTERNAL MODEL",
        ];
        const positions = order.map((s) => sql.indexOf(s));
        assert.ok(positions.every((p) => p >= 0), `missing one of ${order}`);
        assert.deepEqual([...positions].sort((a, b) => a - b), positions);
        assert.match(sql, /IF NOT EXISTS \(SELECT 1 FROM sys\.symmetric_keys WHERE name = N'##MS_DatabaseMasterKey##'\)/);
        assert.match(sql, new RegExp(`WITH IDENTITY = 'HTTPEndpointHeaders', SECRET = N'\\{"Authorization":"Bearer ${"K".repeat(48)}"\\}'`));
        assert.match(sql, /IF EXISTS \(SELECT 1 FROM sys\.database_scoped_credentials WHERE name = N'https:\/\/proxy'\)\s+ALTER DATABASE SCOPED CREDENTIAL/);
        assert.match(sql, /MODEL = 'nomic-embed-text',\s+CREDENTIAL = \[https:\/\/proxy\]\n\);/);
    });

    it("enables REST endpoints and preview features before the vector index", () => {
        const order = ["EXEC sp_configure 'external rest endpoint enabled', 1", "PREVIEW_FEATURES = ON", "VECTOR(768)", "CREATE VECTOR INDEX", "\nCREATE EXTERNAL MODEL"];
        const positions = order.map((s) => sql.indexOf(s));
        assert.ok(positions.every((p) => p >= 0), `missing one of ${order}`);
        assert.deepEqual([...positions].sort((a, b) => a - b), positions);
    });

    it("uses the SQL Server 2025 syntax, not the runbooks' wrong one", () => {
        assert.match(sql, /WITH \(METRIC = 'cosine', TYPE = 'DiskANN'\)/);
        assert.doesNotMatch(sql, /USING DISKANN|TRACEON/i);
        assert.match(sql, /API_FORMAT = 'Ollama',\s+MODEL_TYPE = EMBEDDINGS,\s+MODEL = 'nomic-embed-text'/);
    });

    it("guards every create so that it can run again", () => {
        assert.match(sql, /IF DB_ID\(N'llm'\) IS NULL\s+CREATE DATABASE \[llm\]/);
        assert.match(sql, /IF OBJECT_ID\(N'dbo\.documents', N'U'\) IS NULL\s+CREATE TABLE/);
        assert.match(sql, /IF EXISTS \(SELECT 1 FROM sys\.indexes [^\n]+ix_documents_embedding'\)\n\s+RETURN;/);
        assert.match(sql, /IF EXISTS \(SELECT 1 FROM sys\.external_models WHERE name = N'ollama_embeddings'\)\s+DROP EXTERNAL MODEL/);
    });

    it("refuses to mix embedding dimensions, judging by the column's declared size", () => {
        assert.match(sql, /name = N'embedding' AND vector_dimensions <> 768\n\)\n\s+THROW 50001/);
    });

    it("builds the vector index only once enough rows are embedded (the table turns read-only)", () => {
        assert.match(sql, /CREATE OR ALTER PROCEDURE dbo\.create_document_vector_index @min_rows INT = 100/);
        assert.match(sql, /IF @rows < @min_rows\n\s+BEGIN\n\s+PRINT[^;]+;\n\s+RETURN;/);
        assert.match(sql, /\nEXEC dbo\.create_document_vector_index;\n/);
        assert.match(sql, /CREATE OR ALTER PROCEDURE dbo\.drop_document_vector_index/);
    });

    it("escapes quotes in values", () => {
        const odd = renderSqlInit({ database: "llm", dimensions: 3, embedUrl: "https://proxy/api/embed?x='1'", embeddingModel: "m", modelName: "m", vectorIndexMinRows: 0, apiKey: "k", masterKeyPassword: "p" });
        assert.match(odd, /LOCATION = 'https:\/\/proxy\/api\/embed\?x=''1'''/);
    });
});

describe("TimescaleDB observability schema", () => {
    const sql = renderObservabilitySchema({ tracesRetentionDays: 90, metricsRetentionDays: 60, logsRetentionDays: 30, compressAfterDays: 7 });

    it("creates the runbooks' three hypertables with indexes", () => {
        for (const table of ["llm_traces", "llm_metrics", "llm_logs"]) {
            assert.match(sql, new RegExp(`CREATE TABLE IF NOT EXISTS ${table} \\(`));
            assert.match(sql, new RegExp(`create_hypertable\\('${table}', by_range\\('timestamp', INTERVAL '1 day'\\), if_not_exists => TRUE\\)`));
            assert.match(sql, new RegExp(`CREATE INDEX IF NOT EXISTS idx_${table}_\\w+ ON ${table}`));
        }
    });

    it("keeps hourly and daily trace aggregates fresh", () => {
        assert.match(sql, /CREATE MATERIALIZED VIEW IF NOT EXISTS trace_metrics_hourly\nWITH \(timescaledb\.continuous\)/);
        assert.match(sql, /CREATE MATERIALIZED VIEW IF NOT EXISTS trace_metrics_daily\nWITH \(timescaledb\.continuous\)/);
        assert.equal(sql.match(/add_continuous_aggregate_policy/g)!.length, 2);
    });

    it("parses with PostgreSQL 17's own parser (libpg_query), the DO blocks' statements included", async () => {
        const sqlOnly = sql
            .split("\n")
            .filter((line) => !line.startsWith("\\"))
            .join("\n");
        const parsed = await parse(sqlOnly);
        assert.ok(parsed.stmts.length > 30, `${parsed.stmts.length} statements`);
        const doBodies = [...sql.matchAll(/\bTHEN\n([\s\S]+?)\n\s+END IF;/g)].map((m) => m[1]);
        assert.equal(doBodies.length, 3);
        for (const body of doBodies) assert.equal((await parse(body)).stmts.length, 1);
        await assert.rejects(parse(sqlOnly.replace("CREATE TABLE IF NOT EXISTS llm_logs (", "CREATE TABLE IF NOT EXISTS llm_logs (,")), /syntax error/);
    });

    it("uses the columnstore API and per-table retention from config", () => {
        assert.match(sql, /timescaledb\.enable_columnstore = TRUE/);
        assert.equal(sql.match(/CALL add_columnstore_policy\('llm_\w+', after => INTERVAL '7 days'\)/g)!.length, 3);
        assert.match(sql, /add_retention_policy\('llm_traces', drop_after => INTERVAL '90 days'\)/);
        assert.match(sql, /add_retention_policy\('llm_metrics', drop_after => INTERVAL '60 days'\)/);
        assert.match(sql, /add_retention_policy\('llm_logs', drop_after => INTERVAL '30 days'\)/);
        assert.doesNotMatch(sql, /add_compression_policy|timescaledb\.compress\b/);
    });
});

describe("Qdrant collection step (real sh and curl against a fake Qdrant)", function () {
    this.timeout(20000);
    let dir: string;
    let server: http.Server;
    let port: number;
    let existing: number | undefined;
    let created: any;
    let apiKeys: string[];

    before(async function () {
        requireTool(this, "curl", "curl");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-qdrant-"));
        fs.writeFileSync(path.join(dir, "create.sh"), renderCollectionScript({ collection: "documents", dimensions: 768, hnswM: 16, hnswEfConstruct: 128 }));
        server = http.createServer((req, res) => {
            apiKeys.push(String(req.headers["api-key"]));
            let body = "";
            req.on("data", (d) => (body += d));
            req.on("end", () => {
                if (req.method === "GET" && req.url === "/collections/documents") {
                    if (existing === undefined) {
                        res.writeHead(404).end(JSON.stringify({ status: { error: "Not found: Collection `documents` doesn't exist!" } }));
                    } else {
                        res.writeHead(200).end(JSON.stringify({ result: { status: "green", config: { params: { vectors: { size: existing, distance: "Cosine" } } } } }));
                    }
                } else if (req.method === "PUT" && req.url === "/collections/documents") {
                    created = JSON.parse(body);
                    res.writeHead(200).end(JSON.stringify({ result: true, status: "ok" }));
                } else {
                    res.writeHead(400).end("{}");
                }
            });
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        port = (server.address() as any).port;
    });

    beforeEach(() => {
        existing = undefined;
        created = undefined;
        apiKeys = [];
    });

    after(() => {
        server?.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const step = () => run("sh", [path.join(dir, "create.sh")], { QDRANT_URL: `http://127.0.0.1:${port}`, QDRANT_API_KEY: "k3y" });

    it("creates a missing collection with the configured vectors and HNSW settings", async () => {
        const r = await step();
        assert.equal(r.code, 0, r.out);
        assert.deepEqual(created, { vectors: { size: 768, distance: "Cosine" }, hnsw_config: { m: 16, ef_construct: 128 } });
        assert.ok(apiKeys.every((k) => k === "k3y"), "every request carries the API key");
    });

    it("leaves an existing collection of the right size alone", async () => {
        existing = 768;
        const r = await step();
        assert.equal(r.code, 0, r.out);
        assert.equal(created, undefined);
    });

    it("fails when the existing collection has another vector size", async () => {
        existing = 384;
        const r = await step();
        assert.equal(r.code, 1);
        assert.match(r.out, /exists with vector size '384', but the embedding model needs 768/);
        assert.equal(created, undefined);
    });
});

describe("Ollama model pull step (real sh with a fake ollama CLI)", function () {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-ollama-"));
        // Fails until the attempt counter reaches $SUCCEED_ON.
        fs.writeFileSync(
            path.join(dir, "ollama"),
            '#!/bin/sh\nn=$(cat "$COUNTER" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$COUNTER"\n[ "$n" -ge "$SUCCEED_ON" ]\n',
            { mode: 0o755 },
        );
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const pull = (succeedOn: number) =>
        run("sh", ["-c", pullScript(3, 0)], {
            PATH: `${dir}:${process.env.PATH}`,
            MODEL: "nomic-embed-text",
            COUNTER: path.join(dir, `count-${succeedOn}`),
            SUCCEED_ON: String(succeedOn),
        });

    it("retries an interrupted pull", async () => {
        const r = await pull(3);
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /attempt 2 of 3/);
        assert.match(r.out, /pulled nomic-embed-text/);
    });

    it("gives up after the last attempt with advice", async () => {
        const r = await pull(99);
        assert.equal(r.code, 1);
        assert.match(r.out, /could not pull nomic-embed-text: check the model name, the network and free disk space/);
    });
});
