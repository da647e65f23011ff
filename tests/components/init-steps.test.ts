import assert from "node:assert/strict";
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { pullScript } from "../../components/ollama/ollama";
import { renderCollectionScript } from "../../components/qdrant/collection-script";
import { renderSqlSettings } from "../../components/sqlserver/settings-sql";
import { renderObservabilityPolicies } from "../../components/timescale/policies-sql";
import { requireTool } from "../helpers/tools";
import { normalized, parse, parseStatements, withoutPsqlMeta as withoutMeta } from "../helpers/sql-parse";

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
        const child = spawn(cmd, args, { env: { ...process.env, ...env } });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("exit", (code) => resolve({ code: code ?? -1, out }));
    });
}

describe("SQL Server settings step (before the migrations)", () => {
    const sql = renderSqlSettings({
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

    it("creates the database, enables REST endpoints and checks the dimension before anything inside it", () => {
        const order = ["CREATE DATABASE [llm]", "SET RECOVERY FULL", "EXEC sp_configure 'external rest endpoint enabled', 1", "USE [llm]", "vector_dimensions <> 768", "CREATE MASTER KEY", "\nCREATE EXTERNAL MODEL"];
        const positions = order.map((s) => sql.indexOf(s));
        assert.ok(positions.every((p) => p >= 0), `missing one of ${order}`);
        assert.deepEqual([...positions].sort((a, b) => a - b), positions);
    });

    it("uses the SQL Server 2025 syntax, not the runbooks' wrong one", () => {
        assert.doesNotMatch(sql, /USING DISKANN|TRACEON/i);
        assert.match(sql, /API_FORMAT = 'Ollama',\s+MODEL_TYPE = EMBEDDINGS,\s+MODEL = 'nomic-embed-text'/);
    });

    it("guards every create so that it can run again, and leaves the schema to the migrations", () => {
        assert.match(sql, /IF DB_ID\(N'llm'\) IS NULL\s+CREATE DATABASE \[llm\]/);
        assert.match(sql, /IF EXISTS \(SELECT 1 FROM sys\.external_models WHERE name = N'ollama_embeddings'\)\s+DROP EXTERNAL MODEL/);
        assert.doesNotMatch(sql, /CREATE TABLE|CREATE (OR ALTER )?PROCEDURE|PREVIEW_FEATURES/, "tables, procedures and database settings are versioned changes");
    });

    it("refuses to mix embedding dimensions, judging by the column's declared size", () => {
        assert.match(sql, /name = N'embedding' AND vector_dimensions <> 768\n\)\n\s+THROW 50001/);
    });

    it("builds the vector index once enough rows are embedded, when the migrations created its procedure", () => {
        assert.match(sql, /IF OBJECT_ID\(N'dbo\.create_document_vector_index', N'P'\) IS NOT NULL\n\s+EXEC dbo\.create_document_vector_index @min_rows = 100;/);
    });

    it("escapes quotes in values", () => {
        const odd = renderSqlSettings({ database: "llm", dimensions: 3, embedUrl: "https://proxy/api/embed?x='1'", embeddingModel: "m", modelName: "m", vectorIndexMinRows: 0, apiKey: "k", masterKeyPassword: "p" });
        assert.match(odd, /LOCATION = 'https:\/\/proxy\/api\/embed\?x=''1'''/);
    });
});

describe("TimescaleDB policies (after every deploy of the migrations)", () => {
    const sql = renderObservabilityPolicies({ tracesRetentionDays: 90, metricsRetentionDays: 60, logsRetentionDays: 30, compressAfterDays: 7 });
    it("keeps hourly and daily trace aggregates fresh", () => {
        assert.equal(sql.match(/add_continuous_aggregate_policy/g)!.length, 2);
        assert.match(sql, /add_continuous_aggregate_policy\('trace_metrics_hourly',\n\s+start_offset => INTERVAL '3 hours',\n\s+end_offset => INTERVAL '1 hour',\n\s+schedule_interval => INTERVAL '30 minutes'\)/);
        assert.match(sql, /add_continuous_aggregate_policy\('trace_metrics_daily',\n\s+start_offset => INTERVAL '3 days',\n\s+end_offset => INTERVAL '1 day',\n\s+schedule_interval => INTERVAL '1 hour'\)/);
    });

    it("parses with PostgreSQL 17's own parser (libpg_query)", async () => {
        const parsed = await parse(withoutMeta(sql));
        assert.equal(parsed.stmts.length, 16, "remove and add: columnstore and retention for 3 tables, refresh for 2 roll-ups");
        await assert.rejects(parse(withoutMeta(sql).replace("CALL add_columnstore_policy('llm_logs',", "CALL add_columnstore_policy('llm_logs',,")), /syntax error/);
    });

    it("uses the columnstore API and per-table retention from config, replacing each policy", () => {
        assert.equal(sql.match(/CALL add_columnstore_policy\('llm_\w+', after => INTERVAL '7 days'\)/g)!.length, 3);
        assert.equal(sql.match(/CALL remove_columnstore_policy\('llm_\w+', if_exists => TRUE\)/g)!.length, 3);
        assert.match(sql, /add_retention_policy\('llm_traces', drop_after => INTERVAL '90 days'\)/);
        assert.match(sql, /add_retention_policy\('llm_metrics', drop_after => INTERVAL '60 days'\)/);
        assert.match(sql, /add_retention_policy\('llm_logs', drop_after => INTERVAL '30 days'\)/);
        assert.doesNotMatch(sql, /add_compression_policy|timescaledb\.compress\b/);
    });

    it("sets the policies the init step of earlier releases set, statement for statement", async () => {
        const fixture = fs.readFileSync(path.join(__dirname, "..", "fixtures", "init-steps-v1", "timescale-schema.sql"), "utf8");
        const same = renderObservabilityPolicies({ tracesRetentionDays: 90, metricsRetentionDays: 90, logsRetentionDays: 30, compressAfterDays: 7 });
        const policyCalls = async (text: string) => (await parseStatements(text)).map(normalized).filter((st) => /_policy"/.test(st)).sort();
        assert.deepEqual(await policyCalls(same), await policyCalls(fixture));
        assert.equal((await policyCalls(same)).length, 16);
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
