import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { addChange, planChanges } from "../../components/migrations/add";
import { MigrationPlan } from "../../components/migrations/plan";
import { liquibaseProperties } from "../../components/migrations/step";
import { SQLSERVER_MIGRATIONS } from "../../components/sqlserver/migration-plan";
import { liquibaseHome, liquibaseJavaOpts } from "../helpers/liquibase";
import { createDatabase, runMigrate } from "../helpers/migrations";
import { settle, useMocks } from "../helpers/mocks";
import { postgresBinDir, startPostgres, TestPostgres } from "../helpers/postgres";
import { requireTool } from "../helpers/tools";

const LIQUIBASE_HOME = liquibaseHome();
const JAVA_OPTS = liquibaseJavaOpts();
const FIXTURE = fs.readFileSync(path.join(__dirname, "..", "fixtures", "init-steps-v1", "sqlserver-schema.sql"), "utf8");

interface ChangeSet {
    id: string;
    runInTransaction?: boolean;
    changes: { sqlFile?: { path: string; endDelimiter: string }; tagDatabase?: { tag: string } }[];
    rollback?: { sqlFile: { path: string; endDelimiter: string } }[];
}
const changelog = (plan: MigrationPlan): ChangeSet[] =>
    parseYaml(fs.readFileSync(path.join(plan.dir, "changelog.yaml"), "utf8")).databaseChangeLog.map((e: { changeSet: ChangeSet }) => e.changeSet);
const script = (kind: string, change: string) => fs.readFileSync(path.join(SQLSERVER_MIGRATIONS.dir, kind, `${change}.sql`), "utf8");
const changes = changelog(SQLSERVER_MIGRATIONS).filter((c) => c.changes.some((x) => x.sqlFile)).map((c) => c.id);
/** T-SQL as words: comments out, whitespace one space, so two texts of the same statement compare equal. */
const words = (sql: string) =>
    sql
        .replace(/--[^\n]*/g, "")
        .replace(/\s+/g, " ")
        .trim();
/** The batches of a script, split on GO lines as sqlcmd and Liquibase's endDelimiter GO do. */
const batches = (sql: string) =>
    sql
        .split(/^GO\s*$/im)
        .map(words)
        .filter(Boolean);

/** Liquibase in `cwd`; offline, it records what it rendered in databasechangelog.csv there, which goes after each run. */
function liquibase(cwd: string, args: string[]) {
    const r = spawnSync(path.join(LIQUIBASE_HOME, "liquibase"), args, { cwd, encoding: "utf8", env: { ...process.env, JAVA_OPTS, LIQUIBASE_SHOW_BANNER: "false" } });
    fs.rmSync(path.join(cwd, "databasechangelog.csv"), { force: true });
    // Liquibase writes a statement's own lines with CRLF.
    const stdout = r.stdout.replace(/\r\n/g, "\n");
    return { status: r.status, out: stdout + r.stderr, stdout };
}

describe("SQL Server migrations: the changelog (no SQL Server here: order, idempotency, scripts)", () => {
    it("gives every change a deploy, a rollback and a verify script, batches split on GO, and ends the init step's changes with the adoption tag", () => {
        const sets = changelog(SQLSERVER_MIGRATIONS);
        assert.deepEqual(
            sets.map((c) => c.id),
            ["preview-features", "documents", "document-vector-index", "init-steps"],
        );
        for (const c of sets.filter((s) => changes.includes(s.id))) {
            assert.deepEqual(c.changes, [{ sqlFile: { path: `deploy/${c.id}.sql`, relativeToChangelogFile: true, endDelimiter: "GO" } }], c.id);
            assert.deepEqual(c.rollback, [{ sqlFile: { path: `revert/${c.id}.sql`, relativeToChangelogFile: true, endDelimiter: "GO" } }], c.id);
            assert.ok(fs.existsSync(path.join(SQLSERVER_MIGRATIONS.dir, "verify", `${c.id}.sql`)), `verify/${c.id}.sql`);
        }
        assert.deepEqual(sets[3].changes, [{ tagDatabase: { tag: "init-steps" } }]);
        const files = ["deploy", "revert", "verify"].flatMap((kind) => fs.readdirSync(path.join(SQLSERVER_MIGRATIONS.dir, kind)).map((f) => `${kind}/${f}`));
        assert.deepEqual(files.sort(), changes.flatMap((c) => ["deploy", "revert", "verify"].map((k) => `${k}/${c}.sql`)).sort());
    });

    it("turns preview features on outside a transaction, before the procedures that build the vector index, and creates the table before them", () => {
        const sets = changelog(SQLSERVER_MIGRATIONS);
        assert.equal(sets.find((c) => c.id === "preview-features")!.runInTransaction, false, "ALTER DATABASE SCOPED CONFIGURATION refuses a transaction");
        assert.ok(changes.indexOf("preview-features") < changes.indexOf("document-vector-index"));
        assert.ok(changes.indexOf("documents") < changes.indexOf("document-vector-index"));
        assert.match(script("deploy", "document-vector-index"), /CREATE VECTOR INDEX ix_documents_embedding ON dbo\.documents \(embedding\)\s+WITH \(METRIC = 'cosine', TYPE = 'DiskANN'\)/);
        assert.doesNotMatch(changes.map((c) => script("deploy", c)).join("\n"), /USING DISKANN|TRACEON/i, "the SQL Server 2025 syntax, not the runbooks' wrong one");
    });

    it("guards every create and drop, so a deploy or rollback that stopped half-way runs again", () => {
        for (const c of changes) {
            for (const batch of batches(script("deploy", c))) {
                assert.match(
                    batch,
                    /^(IF OBJECT_ID\(N'[\w.]+', N'U'\) IS NULL CREATE TABLE|CREATE OR ALTER PROCEDURE|ALTER DATABASE SCOPED CONFIGURATION SET \w+ = (ON|OFF);$)/,
                    `deploy/${c}.sql: ${batch.slice(0, 80)}`,
                );
            }
            for (const batch of batches(script("revert", c))) {
                assert.match(batch, /^(IF OBJECT_ID\(N'[\w.]+', N'U'\) IS NOT NULL DROP TABLE|DROP PROCEDURE IF EXISTS|ALTER DATABASE SCOPED CONFIGURATION SET \w+ = (ON|OFF);$)/, `revert/${c}.sql: ${batch}`);
            }
        }
    });

    it("verifies without changing anything: reads and THROWs only", () => {
        for (const c of changes) {
            const verify = words(script("verify", c));
            assert.match(verify, /THROW 50000, '[^']+', 1;/, `verify/${c}.sql throws when it fails`);
            assert.doesNotMatch(verify, /\b(CREATE|ALTER|DROP|INSERT|UPDATE|DELETE|MERGE|EXEC)\b/i, `verify/${c}.sql is read only`);
        }
    });

    it("creates the table and procedures the init step of earlier releases created (the index's default threshold aside)", () => {
        const oldBatches = batches(FIXTURE);
        const table = batches(script("deploy", "documents"))[0].replace("${embedding_dimensions}", "768");
        assert.ok(oldBatches.includes(table), table);
        const [create, drop] = batches(script("deploy", "document-vector-index"));
        assert.ok(oldBatches.includes(drop), drop);
        // The init step put sqlserver.vectorIndexMinRows in as the default; the settings step now passes it, by hand it builds on what is loaded.
        assert.ok(oldBatches.includes(create.replace("@min_rows INT = 1", "@min_rows INT = 1000")), create);
        assert.ok(oldBatches.includes(batches(script("deploy", "preview-features"))[0]));
    });
});

describe("SQL Server migrations under real Liquibase, offline (update-sql for SQL Server without a server)", function () {
    this.timeout(240000);
    let dir: string;
    const offline = (args: string[]) => liquibase(dir, [`--url=offline:mssql?outputLiquibaseSql=none`, "--changelog-file=changelog.yaml", ...args]);

    before(function () {
        requireTool(this, "java", "default-jre-headless");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-lb-offline-"));
        fs.cpSync(SQLSERVER_MIGRATIONS.dir, dir, { recursive: true });
    });
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    it("renders the deploy SQL in changelog order, the dimension filled in, every GO batch its own statement", () => {
        const r = offline(["update-sql", "-Dembedding_dimensions=768"]);
        assert.equal(r.status, 0, r.out);
        const sql = r.stdout;
        const order = ["SET PREVIEW_FEATURES = ON", "embedding VECTOR(768) NULL", "CREATE OR ALTER PROCEDURE dbo.create_document_vector_index", "CREATE OR ALTER PROCEDURE dbo.drop_document_vector_index"];
        const at = order.map((s) => sql.indexOf(s));
        assert.ok(at.every((p) => p >= 0), `missing one of ${order}:\n${sql}`);
        assert.deepEqual([...at].sort((a, b) => a - b), at);
        assert.doesNotMatch(sql, /\$\{embedding_dimensions\}/);
        // Each procedure is a batch of its own: CREATE PROCEDURE must come first in its batch.
        assert.match(sql, /\nGO\n\nCREATE OR ALTER PROCEDURE dbo\.drop_document_vector_index\n/);
    });

    it("has a rollback for every change, run in reverse order", () => {
        const r = offline(["future-rollback-sql", "-Dembedding_dimensions=768"]);
        assert.equal(r.status, 0, r.out);
        const order = ["DROP PROCEDURE IF EXISTS dbo.create_document_vector_index", "DROP TABLE dbo.documents", "SET PREVIEW_FEATURES = OFF"];
        const at = order.map((s) => r.stdout.indexOf(s));
        assert.ok(at.every((p) => p >= 0), `missing one of ${order}:\n${r.stdout}`);
        assert.deepEqual([...at].sort((a, b) => a - b), at);
    });

    it("adopts the init step's schema by recording the changes up to init-steps, running none of them", () => {
        const r = liquibase(dir, ["--url=offline:mssql?outputLiquibaseSql=all", "--changelog-file=changelog.yaml", "changelog-sync-to-tag-sql", "--tag=init-steps"]);
        assert.equal(r.status, 0, r.out);
        const recorded = [...r.stdout.matchAll(/INSERT INTO DATABASECHANGELOG \(ID,[^)]*\) VALUES \('([\w-]+)'/g)].map((m) => m[1]);
        assert.deepEqual(recorded, ["preview-features", "documents", "document-vector-index", "init-steps"]);
        assert.doesNotMatch(r.stdout, /CREATE TABLE dbo\.documents|PREVIEW_FEATURES = ON/);
    });

    it("writes the connection and the changelog's parameters the migrate step gives Liquibase", async () => {
        await useMocks();
        const props = await settle(liquibaseProperties({ host: "sqlserver", port: 1433, database: "llm", user: "sa", password: "x" }, { embedding_dimensions: 384 }));
        assert.equal(
            props,
            "# Generated by llm-platform: the migrate step's connection and changelog parameters.\nchangelog-file: changelog.yaml\n" +
                "url: jdbc:sqlserver://sqlserver:1433;databaseName=llm;encrypt=true;trustServerCertificate=true\nusername: sa\nparameter.embedding_dimensions: 384\n",
        );
        assert.doesNotMatch(props, /password/i, "the password travels as LIQUIBASE_COMMAND_PASSWORD, a secret");
        // Liquibase reads it: the parameter reaches the SQL (offline, the URL given on the command line wins).
        fs.writeFileSync(path.join(dir, "liquibase.properties"), props);
        const r = liquibase(dir, ["--defaults-file=liquibase.properties", "--url=offline:mssql", "update-count-sql", "--count=2"]);
        assert.equal(r.status, 0, r.out);
        assert.match(r.stdout, /embedding VECTOR\(384\) NULL/);
    });
});

describe("The Liquibase runner (components/migrations/liquibase.sh) under real Liquibase and PostgreSQL", function () {
    this.timeout(600000);
    let pg: TestPostgres | undefined;
    let dir: string;
    let plan: MigrationPlan;
    let databases = 0;
    // The runner's Liquibase through a wrapper that logs each command: every command is a JVM start.
    const wrapper = fs.mkdtempSync(path.join(os.tmpdir(), "llm-lb-bin-"));
    const commandLog = path.join(wrapper, "commands.log");
    fs.writeFileSync(path.join(wrapper, "liquibase"), `#!/bin/sh\necho "$*" >> ${commandLog}\nexec ${path.join(LIQUIBASE_HOME, "liquibase")} "$@"\n`, { mode: 0o755 });
    /** The Liquibase commands (their first argument after the defaults file) run since the last call. */
    const commands = () => {
        const run = fs.existsSync(commandLog) ? fs.readFileSync(commandLog, "utf8").trim().split("\n").map((l) => l.split(" ")[1]) : [];
        fs.rmSync(commandLog, { force: true });
        return run;
    };
    const env = { PATH: `${wrapper}:${process.env.PATH}`, JAVA_OPTS, LIQUIBASE_COMMAND_PASSWORD: "unused" };
    const ADOPT = { MIGRATE_ADOPT_TO: "baseline", MIGRATE_ADOPT_EVIDENCE: "items" };
    const migrate = (db: string, ...args: string[]) => {
        fs.writeFileSync(
            path.join(dir, "liquibase.properties"),
            `changelog-file: changelog.yaml\nurl: jdbc:postgresql://127.0.0.1:${pg!.env.PGPORT}/${db}\nusername: postgres\nparameter.default_size: 7\n`,
        );
        return runMigrate(pg!, db, plan, args, { ...env, ...ADOPT });
    };
    const database = () => {
        const name = `lb${++databases}`;
        createDatabase(pg!, name);
        return name;
    };
    const write = (file: string, text: string) => fs.writeFileSync(path.join(dir, file), text);

    before(async function () {
        requireTool(this, "java", "default-jre-headless");
        requireTool(this, "psql", "postgresql-client");
        // Liquibase speaks JDBC over TCP: the test server listens on 127.0.0.1 (trust auth).
        pg = await startPostgres(postgresBinDir() ?? path.dirname(requireTool(this, "initdb", "postgresql")), { tcp: true });
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-lb-plan-"));
        plan = { engine: "liquibase", dir };
        for (const kind of ["deploy", "revert", "verify"]) fs.mkdirSync(path.join(dir, kind));
        // A PostgreSQL changelog shaped like the SQL Server one: GO batches, a parameter, a tag closing the "init step" part.
        const sqlFile = (kind: string, id: string) => `        - sqlFile: { path: ${kind}/${id}.sql, relativeToChangelogFile: true, endDelimiter: GO }`;
        const set = (id: string) => ["  - changeSet:", `      id: ${id}`, "      author: llm-platform", "      changes:", sqlFile("deploy", id), "      rollback:", sqlFile("revert", id)].join("\n");
        write(
            "changelog.yaml",
            ["databaseChangeLog:", set("items"), set("items-index"), "  - changeSet:\n      id: baseline\n      author: llm-platform\n      changes:\n        - tagDatabase: { tag: baseline }", set("items-note"), ""].join("\n"),
        );
        write("deploy/items.sql", "CREATE TABLE items (id int, size int DEFAULT ${default_size});\nGO\nINSERT INTO items (id) VALUES (0);\nGO\n");
        write("revert/items.sql", "DROP TABLE items;\nGO\n");
        write("verify/items.sql", "SELECT id, size FROM items WHERE false;\nGO\n");
        write("deploy/items-index.sql", "CREATE INDEX items_id ON items (id);\nGO\n");
        write("revert/items-index.sql", "DROP INDEX items_id;\nGO\n");
        write("verify/items-index.sql", "SELECT 1 / count(*) FROM pg_indexes WHERE indexname = 'items_id';\nGO\n");
        write("deploy/items-note.sql", "ALTER TABLE items ADD COLUMN note text;\nGO\n");
        write("revert/items-note.sql", "ALTER TABLE items DROP COLUMN note;\nGO\n");
        write("verify/items-note.sql", "SELECT note FROM items WHERE false;\nGO\n");
    });

    after(() => {
        pg?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
        fs.rmSync(wrapper, { recursive: true, force: true });
    });

    // Each Liquibase command is a JVM start: one database walks through the whole life of a changelog.
    it("dry-runs (update-sql), deploys one verified change at a time, verifies in one JVM and names a change that no longer verifies, runs nothing the second time, rolls back a change that does not verify, reverts", () => {
        const db = database();
        const planned = migrate(db, "plan");
        assert.equal(planned.status, 0, planned.out);
        assert.match(planned.stdout, /CREATE TABLE items \(id int, size int DEFAULT 7\)/);
        assert.match(planned.stdout, /ALTER TABLE items ADD COLUMN note text/);
        assert.equal(pg!.psql(db, "SELECT to_regclass('items') IS NULL"), "t", "the dry run changed nothing");

        const deployed = migrate(db, "deploy");
        assert.equal(deployed.status, 0, deployed.out);
        assert.deepEqual(deployed.out.match(/migrate: (\S+ deployed and verified|tag \S+ recorded)/g), [
            "migrate: items deployed and verified",
            "migrate: items-index deployed and verified",
            "migrate: tag baseline recorded",
            "migrate: items-note deployed and verified",
        ]);
        const recorded = () => pg!.psql(db, "SELECT string_agg(id, ',' ORDER BY orderexecuted) FROM databasechangelog");
        assert.equal(recorded(), "items,items-index,baseline,items-note");
        assert.equal(pg!.psql(db, "SELECT count(*) FROM items"), "1", "the GO batches ran one by one");

        commands();
        const verified = migrate(db, "verify");
        assert.equal(verified.status, 0, verified.out);
        assert.match(verified.out, /items: ok[\s\S]*items-index: ok[\s\S]*items-note: ok/);
        assert.deepEqual(commands(), ["history", "execute-sql"], "every verify script in one execute-sql: one JVM, not one per change");

        // A change that no longer verifies: the one execute-sql fails, then each change on its own names it.
        pg!.psql(db, "DROP INDEX items_id");
        const drifted = migrate(db, "verify");
        assert.equal(drifted.status, 1, drifted.out);
        assert.match(drifted.out, /items: ok[\s\S]*items-index: FAILED[\s\S]*items-note: ok[\s\S]*verify failed/);
        assert.match(drifted.out, /division by zero/, "the engine's output for the failing change");
        assert.deepEqual(commands(), ["history", "execute-sql", "execute-sql", "execute-sql", "execute-sql"], "one JVM for all, then one per change");
        pg!.psql(db, "CREATE INDEX items_id ON items (id)");

        const again = migrate(db, "deploy");
        assert.equal(again.status, 0, again.out);
        assert.doesNotMatch(again.out, /deployed and verified/, "nothing to run");

        addChange(plan, { name: "broken", note: "its verify fails" });
        write("deploy/broken.sql", "ALTER TABLE items ADD COLUMN host text;\nGO\n");
        write("revert/broken.sql", "ALTER TABLE items DROP COLUMN host;\nGO\n");
        write("verify/broken.sql", "SELECT hostname FROM items WHERE false;\nGO\n");
        try {
            const failed = migrate(db, "deploy");
            assert.equal(failed.status, 1, failed.out);
            assert.match(failed.out, /column "hostname" does not exist/, "the engine's output");
            assert.match(failed.out, /verify\/broken\.sql failed \(output above\): rolling broken back/);
            assert.match(failed.out, /deploy failed: broken did not verify and was rolled back/);
            assert.equal(pg!.psql(db, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'host'"), "0");
            assert.equal(recorded(), "items,items-index,baseline,items-note");
        } finally {
            // The changelog as it was, for the other cases.
            const text = fs.readFileSync(path.join(dir, "changelog.yaml"), "utf8");
            write("changelog.yaml", text.slice(0, text.indexOf("  - changeSet:\n      id: broken")));
            for (const kind of ["deploy", "revert", "verify"]) fs.rmSync(path.join(dir, kind, "broken.sql"));
            assert.deepEqual(planChanges(plan), ["items", "items-index", "baseline", "items-note"]);
        }

        assert.match(migrate(db, "revert").out, /pass --yes/);
        const last = migrate(db, "revert", "--yes");
        assert.equal(last.status, 0, last.out);
        assert.equal(recorded(), "items,items-index,baseline");
        assert.equal(pg!.psql(db, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'"), "0");
        // The last change now is items-index, with the tag recorded after it: both go.
        const reverted = migrate(db, "revert", "--yes");
        assert.equal(reverted.status, 0, reverted.out);
        assert.equal(recorded(), "items");
        assert.equal(pg!.psql(db, "SELECT to_regclass('items_id') IS NULL"), "t");
    });

    it("adopts a database an earlier init step set up: verifies, records the changes up to the tag, keeps the rows, then deploys the rest", () => {
        const db = database();
        pg!.psql(db, "CREATE TABLE items (id int, size int DEFAULT 7); CREATE INDEX items_id ON items (id); INSERT INTO items (id) SELECT generate_series(1, 30)");
        const planned = migrate(db, "plan");
        assert.match(planned.out, /would verify the changes up to baseline and record them as deployed without running them/);
        assert.match(planned.stdout, /^-- deploy\/items-note\.sql\nALTER TABLE items ADD COLUMN note text;/);
        assert.doesNotMatch(planned.stdout, /CREATE TABLE items/);

        commands();
        const r = migrate(db, "deploy");
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, /set up by an earlier release's init step: verifying the changes up to baseline/);
        // The evidence verified once, the other changes up to the tag together, then items-note deployed and verified.
        assert.deepEqual(commands(), ["status", "execute-sql", "execute-sql", "changelog-sync-to-tag", "update-count", "execute-sql"]);
        assert.equal(pg!.psql(db, "SELECT string_agg(id, ',' ORDER BY orderexecuted) FROM databasechangelog"), "items,items-index,baseline,items-note");
        assert.equal(pg!.psql(db, "SELECT count(*), min(id) FROM items"), "30|1", "recorded, not run: no row 0 inserted, every row kept");
        assert.doesNotMatch(r.out, /deploying items\n/);
        assert.match(r.out, /items-note deployed and verified/);
    });

    it("refuses to adopt a database holding part of the init step's schema, and records nothing", () => {
        const db = database();
        pg!.psql(db, "CREATE TABLE items (id int, size int)");
        const r = migrate(db, "deploy");
        assert.equal(r.status, 1);
        assert.match(r.out, /holds part of the init step's schema, not all of it \(items-index does not verify/);
        assert.equal(pg!.psql(db, "SELECT count(*) FROM databasechangelog"), "0");
    });
});
