import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stepFailure } from "../../components/platform/docker/step-result";
import { addChange, planChanges } from "../../components/migrations/add";
import { MigrationPlan } from "../../components/migrations/plan";
import { TIMESCALE_MIGRATIONS } from "../../components/timescale/migration-plan";
import { copyPlan, createDatabase, dropSqitchChanges, psqlFile, runMigrate, schemaOf } from "../helpers/migrations";
import { postgresBinDir, startPostgres, TestPostgres } from "../helpers/postgres";
import { normalized, parse, parseStatements, withoutPsqlMeta } from "../helpers/sql-parse";
import { requireTool } from "../helpers/tools";
import { tsNode } from "../helpers/ts-node";

const FIXTURE = path.join(__dirname, "..", "fixtures", "init-steps-v1", "timescale-schema.sql");
const script = (plan: MigrationPlan, kind: string, change: string) => fs.readFileSync(path.join(plan.dir, kind, `${change}.sql`), "utf8");
/** What plain PostgreSQL cannot run: the extension, hypertables, the columnstore, continuous aggregates. */
const NEEDS_TIMESCALEDB = /timescaledb|create_hypertable/i;
const ADOPT = { MIGRATE_ADOPT_TO: "@init-steps", MIGRATE_ADOPT_EVIDENCE: "llm_traces" };

const changes = planChanges(TIMESCALE_MIGRATIONS);
const timescaleOnly = changes.filter((c) => NEEDS_TIMESCALEDB.test(script(TIMESCALE_MIGRATIONS, "deploy", c) + script(TIMESCALE_MIGRATIONS, "verify", c)));
const plain = changes.filter((c) => !timescaleOnly.includes(c));

/** The statements of a script with their text, psql's meta-commands left out. */
async function statements(sql: string): Promise<{ text: string; tree: string }[]> {
    const text = withoutPsqlMeta(sql);
    const parsed = (await parse(text)) as unknown as { stmts: { stmt: unknown; stmt_location?: number; stmt_len: number }[] };
    return parsed.stmts.map((s) => ({ text: text.slice(s.stmt_location ?? 0, (s.stmt_location ?? 0) + s.stmt_len).trim(), tree: normalized(s.stmt) }));
}

/** The init step of earlier releases, in three parts: what plain PostgreSQL runs, what needs TimescaleDB, the policies (now the step's settings). */
async function initStep() {
    const all = await statements(fs.readFileSync(FIXTURE, "utf8"));
    const policy = (s: { text: string }) => /_policy\(/.test(s.text);
    return {
        plain: all.filter((s) => !policy(s) && !NEEDS_TIMESCALEDB.test(s.text)),
        timescale: all.filter((s) => !policy(s) && NEEDS_TIMESCALEDB.test(s.text)),
        policies: all.filter(policy),
    };
}

describe("TimescaleDB migrations: the plan", () => {
    it("has a deploy, a revert and a verify script for every change, and nothing else", () => {
        const files = ["deploy", "revert", "verify"].flatMap((kind) => fs.readdirSync(path.join(TIMESCALE_MIGRATIONS.dir, kind)).map((f) => `${kind}/${f}`));
        assert.deepEqual(files.sort(), changes.flatMap((c) => ["deploy", "revert", "verify"].map((k) => `${k}/${c}.sql`)).sort());
    });

    it("runs the changes plain PostgreSQL can run first, and names the ones that need TimescaleDB", () => {
        assert.deepEqual(plain, ["llm_traces", "llm_metrics", "llm_logs"]);
        assert.deepEqual(timescaleOnly, [
            "timescaledb",
            "llm_traces_hypertable",
            "llm_metrics_hypertable",
            "llm_logs_hypertable",
            "trace_metrics_hourly",
            "trace_metrics_daily",
        ]);
        assert.deepEqual(changes, [...plain, ...timescaleOnly]);
    });

    it("orders the TimescaleDB changes by what they need: each hypertable after its table and the extension, the roll-ups after llm_traces' hypertable", () => {
        const plan = fs.readFileSync(path.join(TIMESCALE_MIGRATIONS.dir, "sqitch.plan"), "utf8");
        const requires = (c: string) => (new RegExp(`^${c} \\[([^\\]]*)\\]`, "m").exec(plan)?.[1] ?? "").split(" ").filter(Boolean);
        for (const table of ["llm_traces", "llm_metrics", "llm_logs"]) assert.deepEqual(requires(`${table}_hypertable`), [table, "timescaledb"]);
        for (const view of ["trace_metrics_hourly", "trace_metrics_daily"]) assert.deepEqual(requires(view), ["llm_traces_hypertable"]);
        for (const c of changes) for (const r of requires(c)) assert.ok(changes.indexOf(r) < changes.indexOf(c), `${r} before ${c}`);
        // The adoption tag closes what the init step of earlier releases created: every change so far.
        assert.match(plan, /\ntrace_metrics_daily [^\n]+\n@init-steps /);
    });

    it("parses every script with PostgreSQL 17's parser, the conditions of its DO blocks included", async () => {
        for (const c of changes) {
            for (const kind of ["deploy", "revert", "verify"]) {
                const sql = script(TIMESCALE_MIGRATIONS, kind, c);
                const parsed = await parseStatements(sql);
                assert.ok(parsed.length > 0, `${kind}/${c}.sql`);
                for (const condition of sql.matchAll(/\bIF (NOT )?([\s\S]+?) THEN\b/g)) {
                    await parse(`SELECT ${condition[1] ?? ""}${condition[2]}`).catch((e) => assert.fail(`${kind}/${c}.sql: IF ${condition[2]}: ${e.message}`));
                }
            }
        }
        await assert.rejects(parse(script(TIMESCALE_MIGRATIONS, "deploy", "llm_traces_hypertable").replace("SELECT create_hypertable(", "SELECT create_hypertable((")), /syntax error/);
    });

    it("creates with TimescaleDB what the init step of earlier releases created with it, statement for statement", async () => {
        const fixture = (await initStep()).timescale;
        const planned = (await Promise.all(timescaleOnly.map(async (c) => statements(script(TIMESCALE_MIGRATIONS, "deploy", c)))))
            .flat()
            .filter((s) => !s.tree.startsWith('{"TransactionStmt"'));
        // The init step guarded its creates (IF NOT EXISTS, a DO block); a change runs once and needs no guard.
        const unguarded = async (s: { text: string; tree: string }) => {
            const m = /^DO \$\$\s*BEGIN\s*IF NOT [\s\S]+? THEN\s*([\s\S]+?);\s*END IF;\s*END\s*\$\$$/.exec(s.text.trim());
            const tree = m ? (await statements(m[1]))[0].tree : s.tree;
            return tree.replace(/,?"if_not_exists":true/g, "").replace(/,?\{"NamedArgExpr":\{"arg":\{"A_Const":\{"boolval":\{"boolval":true\}\}\},"name":"(if_not_exists|migrate_data)","argnumber":-1\}\}/g, "");
        };
        const expected = await Promise.all(fixture.map(unguarded));
        const actual = await Promise.all(planned.map(unguarded));
        assert.equal(expected.length, 1 + 3 * 2 + 2, "the extension, 3 hypertables and their columnstore settings, 2 roll-ups");
        assert.deepEqual([...actual].sort(), [...expected].sort());
    });
});

describe("TimescaleDB migrations under real Sqitch and PostgreSQL (the changes plain PostgreSQL can run)", function () {
    this.timeout(180000);
    let pg: TestPostgres | undefined;
    let scratch: ReturnType<typeof copyPlan>;
    let plan: MigrationPlan;
    let databases = 0;
    const database = () => {
        const name = `ts${++databases}`;
        createDatabase(pg!, name);
        return name;
    };
    // With the adoption settings the Timescale component gives its step (tests/components/services.test.ts).
    const migrate = (db: string, ...args: string[]) => runMigrate(pg!, db, plan, args, ADOPT);

    before(async function () {
        requireTool(this, "sqitch", "sqitch");
        requireTool(this, "psql", "postgresql-client");
        requireTool(this, "pg_dump", "postgresql-client");
        pg = await startPostgres(postgresBinDir() ?? path.dirname(requireTool(this, "initdb", "postgresql")));
        // The plan without what needs TimescaleDB: every change left runs for real.
        scratch = copyPlan(TIMESCALE_MIGRATIONS);
        plan = scratch.plan;
        dropSqitchChanges(plan, timescaleOnly);
    });

    after(() => {
        pg?.stop();
        scratch?.cleanup();
    });

    it("deploys, verifies, reverts and redeploys every change, one at a time", () => {
        const db = database();
        for (const c of plain) {
            const deployed = migrate(db, "deploy", "--to", c);
            assert.equal(deployed.status, 0, deployed.out);
            assert.match(deployed.out, new RegExp(`\\+ ${c}\\b[ .@\\w-]*\\.\\. ok`), "deployed and verified");
            assert.equal(migrate(db, "verify").status, 0);
        }
        const full = schemaOf(pg!, db);
        for (const c of [...plain].reverse()) {
            const reverted = migrate(db, "revert", "--yes");
            assert.equal(reverted.status, 0, reverted.out);
            assert.match(reverted.out, new RegExp(`- ${c}\\b`));
            assert.equal(pg!.psql(db, `SELECT to_regclass('public.${c}') IS NULL`), "t", `${c} is gone`);
        }
        assert.equal(pg!.psql(db, "SELECT count(*) FROM sqitch.changes"), "0");
        const redeployed = migrate(db, "deploy");
        assert.equal(redeployed.status, 0, redeployed.out);
        assert.equal(schemaOf(pg!, db), full, "the same schema again");
        assert.equal(migrate(db, "verify").status, 0);
    });

    it("creates the same tables, columns, constraints and indexes as the init step of earlier releases", async () => {
        const old = database();
        const plainPart = (await initStep()).plain;
        const kind = (s: { tree: string }) => Object.keys(JSON.parse(s.tree))[0];
        assert.deepEqual(plainPart.map(kind), [
            "CreateStmt", "IndexStmt", "IndexStmt", "IndexStmt",
            "CreateStmt", "IndexStmt", "IndexStmt",
            "CreateStmt", "IndexStmt", "IndexStmt", "IndexStmt",
        ]);
        pg!.psql(old, plainPart.map((s) => s.text).join(";\n"));
        const migrated = database();
        assert.equal(migrate(migrated, "deploy").status, 0);
        assert.equal(schemaOf(pg!, migrated), schemaOf(pg!, old));
        assert.match(schemaOf(pg!, migrated), /CREATE INDEX idx_llm_logs_trace_id ON public\.llm_logs USING btree \(trace_id, "timestamp" DESC\) WHERE \(trace_id IS NOT NULL\);/);
    });

    it("reverts a hypertable into a plain table with the same columns, key and indexes, keeping its rows", () => {
        const db = database();
        assert.equal(migrate(db, "deploy").status, 0);
        const schema = schemaOf(pg!, db);
        pg!.psql(db, `INSERT INTO llm_traces ("timestamp", trace_id, service_name, operation, status, attributes) VALUES (now(), 't1', 'api', 'embed', 'error', '{"a": 1}'), (now(), 't2', 'api', 'chat', 'ok', '{}')`);
        pg!.psql(db, `INSERT INTO llm_metrics ("timestamp", service_name, metric_name, value) VALUES (now(), 'api', 'latency', 1.5)`);
        pg!.psql(db, `INSERT INTO llm_logs ("timestamp", service_name, level, message, trace_id) VALUES (now(), 'api', 'info', 'hello', 't1')`);
        const rows = pg!.psql(db, "SELECT (SELECT string_agg(trace_id || status || attributes::text, ',' ORDER BY trace_id) FROM llm_traces), (SELECT count(*) FROM llm_metrics), (SELECT count(*) FROM llm_logs)");
        // On plain PostgreSQL the tables are plain already: the revert's copy runs all the same.
        for (const table of ["llm_traces", "llm_metrics", "llm_logs"]) {
            const r = psqlFile(pg!, db, path.join(TIMESCALE_MIGRATIONS.dir, "revert", `${table}_hypertable.sql`));
            assert.equal(r.status, 0, r.out);
        }
        assert.equal(pg!.psql(db, "SELECT (SELECT string_agg(trace_id || status || attributes::text, ',' ORDER BY trace_id) FROM llm_traces), (SELECT count(*) FROM llm_metrics), (SELECT count(*) FROM llm_logs)"), rows);
        assert.equal(rows, 't1error{"a": 1},t2ok{}|1|1');
        assert.equal(schemaOf(pg!, db), schema, "what llm_traces, llm_metrics and llm_logs deployed");
        assert.equal(migrate(db, "verify").status, 0);
    });

    it("adopts a database the init step of earlier releases set up: records the changes without running them, keeps every row, verifies", async () => {
        const db = database();
        const plainPart = (await initStep()).plain;
        pg!.psql(db, plainPart.map((s) => s.text).join(";\n"));
        pg!.psql(db, `INSERT INTO llm_traces ("timestamp", trace_id, service_name, operation) SELECT now() - n * INTERVAL '1 minute', 't' || n, 'api', 'embed' FROM generate_series(1, 50) n`);
        const before = schemaOf(pg!, db);

        const status = migrate(db, "status");
        assert.match(status.out, /holds the init step's schema: the next deploy adopts it up to @init-steps \(log-only\)/);
        const planned = migrate(db, "plan");
        assert.equal(planned.status, 0, planned.out);
        assert.match(planned.out, /would record the changes up to @init-steps as deployed without running them/);
        assert.match(planned.out, /nothing to deploy/);
        assert.equal(planned.stdout, "", "no SQL would run");

        const adopted = migrate(db, "deploy");
        assert.equal(adopted.status, 0, adopted.out);
        assert.match(adopted.out, /recording the changes up to @init-steps as deployed \(log-only, nothing runs\)/);
        assert.match(adopted.out, /Verify successful/);
        assert.equal(pg!.psql(db, "SELECT count(*) FROM llm_traces"), "50");
        assert.equal(schemaOf(pg!, db), before, "nothing in the schema changed");
        assert.deepEqual(pg!.psql(db, "SELECT string_agg(change, ' ' ORDER BY committed_at, change) FROM sqitch.events WHERE event = 'deploy'").split(" ").sort(), [...plain].sort());
        assert.match(migrate(db, "deploy").out, /Nothing to deploy \(up-to-date\)/, "the next deploy runs nothing");
    });

    it("refuses to adopt a database that holds only part of the init step's schema, and records nothing", () => {
        const db = database();
        pg!.psql(db, fs.readFileSync(path.join(TIMESCALE_MIGRATIONS.dir, "deploy", "llm_traces.sql"), "utf8"));
        const r = migrate(db, "deploy");
        assert.equal(r.status, 1);
        assert.match(r.out, /holds part of the init step's schema, not all of it/);
        assert.match(r.out, /relation "llm_metrics" does not exist/, "the engine's output says what is missing");
        assert.equal(pg!.psql(db, "SELECT count(*) FROM sqitch.changes"), "0");
        assert.equal(pg!.psql(db, "SELECT to_regclass('llm_metrics') IS NULL"), "t");
    });

    it("adds a column through a change made by `npm run migration:add`, on a database holding rows: the rows stay, only that change runs", () => {
        const own = copyPlan(plan);
        try {
            const db = database();
            assert.equal(runMigrate(pg!, db, own.plan, ["deploy"]).status, 0);
            pg!.psql(db, `INSERT INTO llm_traces ("timestamp", trace_id, service_name, operation, model) SELECT now() - n * INTERVAL '1 second', 't' || n, 'api', 'embed', 'nomic' FROM generate_series(1, 200) n`);
            const rows = pg!.psql(db, "SELECT md5(string_agg(id::text || trace_id || model, ',' ORDER BY id)) FROM llm_traces");

            const add = spawnScript(["timescale", "llm_traces_user_id", "--note", "Who made each call", "--requires", "llm_traces", "--plan-dir", own.plan.dir]);
            assert.equal(add.status, 0, add.out);
            assert.match(fs.readFileSync(path.join(own.plan.dir, "sqitch.plan"), "utf8"), /\nllm_traces_user_id \[llm_traces\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ llm-platform <migrations@llm-platform\.local> # Who made each call\n$/);
            // The developer fills in the templates' scripts.
            const write = (kind: string, before: string, sql: string) => {
                const template = script(own.plan, kind, "llm_traces_user_id");
                assert.match(template, new RegExp(`^-- \\w+ llm_observatory:llm_traces_user_id`), `${kind} comes from the template`);
                fs.writeFileSync(path.join(own.plan.dir, kind, "llm_traces_user_id.sql"), template.replace(before, `${before}${sql}\n`));
            };
            write("deploy", "BEGIN;\n", "ALTER TABLE llm_traces ADD COLUMN user_id TEXT;");
            write("revert", "BEGIN;\n", "ALTER TABLE llm_traces DROP COLUMN user_id;");
            write("verify", "Read only.\n", "SELECT user_id FROM llm_traces WHERE false;");

            const planned = runMigrate(pg!, db, own.plan, ["plan"]);
            assert.match(planned.stdout, /^-- deploy\/llm_traces_user_id\.sql\n/);
            assert.equal(planned.stdout.match(/^-- deploy\//gm)!.length, 1, "the dry run shows that change's SQL only");
            assert.equal(pg!.psql(db, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'user_id'"), "0", "and changes nothing");

            const deployed = runMigrate(pg!, db, own.plan, ["deploy"], ADOPT);
            assert.equal(deployed.status, 0, deployed.out);
            assert.deepEqual(deployed.out.match(/^ {2}\+ \S+/gm), ["  + llm_traces_user_id"], "only the new change ran");
            assert.equal(pg!.psql(db, "SELECT count(*), count(user_id) FROM llm_traces"), "200|0");
            assert.equal(pg!.psql(db, "SELECT md5(string_agg(id::text || trace_id || model, ',' ORDER BY id)) FROM llm_traces"), rows, "every row kept");
            pg!.psql(db, "UPDATE llm_traces SET user_id = 'u-' || trace_id");

            const reverted = runMigrate(pg!, db, own.plan, ["revert", "--yes"]);
            assert.equal(reverted.status, 0, reverted.out);
            assert.equal(pg!.psql(db, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'user_id'"), "0");
            assert.equal(pg!.psql(db, "SELECT md5(string_agg(id::text || trace_id || model, ',' ORDER BY id)) FROM llm_traces"), rows, "the revert keeps the rows too");
            assert.equal(runMigrate(pg!, db, own.plan, ["deploy"]).status, 0, "and it deploys again");
        } finally {
            own.cleanup();
        }
    });

    it("reverts a change whose verify fails, and fails with the engine's output", () => {
        const own = copyPlan(plan);
        try {
            const db = database();
            addChange(own.plan, { name: "broken", note: "verify fails", requires: ["llm_logs"], at: new Date("2026-12-05T00:00:00Z") });
            fs.writeFileSync(path.join(own.plan.dir, "deploy", "broken.sql"), "ALTER TABLE llm_logs ADD COLUMN host TEXT;\n");
            fs.writeFileSync(path.join(own.plan.dir, "revert", "broken.sql"), "ALTER TABLE llm_logs DROP COLUMN host;\n");
            fs.writeFileSync(path.join(own.plan.dir, "verify", "broken.sql"), "SELECT hostname FROM llm_logs WHERE false;\n");
            const r = runMigrate(pg!, db, own.plan, ["deploy"]);
            assert.notEqual(r.status, 0);
            assert.match(r.out, /column "hostname" does not exist/);
            assert.match(r.out, /Verify script "verify\/broken\.sql" failed\./);
            assert.match(r.out, /\+ llm_logs @init-steps \.\. ok/, "the changes before it stay deployed");
            assert.equal(pg!.psql(db, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'llm_logs' AND column_name = 'host'"), "0", "reverted");
            assert.match(runMigrate(pg!, db, own.plan, ["status"]).out, /Undeployed change:\n {2}\* broken/);
            // What `pulumi up` says on Docker: the step's last lines, which hold the engine's reason.
            const failure = stepFailure({ step: "timescale-migrate", containerName: "llm-platform-dev-timescale-migrate", urn: "urn:pulumi:dev::llm-platform::x", exitCode: r.status!, logs: r.out });
            assert.match(failure!, /one-shot step timescale-migrate exited with code \d+; its last lines:[^]*column "hostname" does not exist[^]*Verify script "verify\/broken\.sql" failed\./);
        } finally {
            own.cleanup();
        }
    });

    it("runs nothing on a second deploy, and the settings script after every deploy", () => {
        const db = database();
        const after = path.join(plan.dir, "..", `after-${process.pid}.sql`);
        fs.writeFileSync(after, "CREATE TABLE IF NOT EXISTS deploy_runs (n serial);\nINSERT INTO deploy_runs DEFAULT VALUES;\n");
        try {
            assert.equal(runMigrate(pg!, db, plan, ["deploy"], { MIGRATE_AFTER_DEPLOY: after }).status, 0);
            const second = runMigrate(pg!, db, plan, ["deploy"], { MIGRATE_AFTER_DEPLOY: after });
            assert.equal(second.status, 0, second.out);
            assert.match(second.out, /Nothing to deploy \(up-to-date\)/);
            assert.equal(pg!.psql(db, "SELECT count(*) FROM deploy_runs"), "2");
            assert.match(migrate(db, "plan").out, /nothing to deploy: \w+ is up to date with the plan/);
        } finally {
            fs.rmSync(after, { force: true });
        }
    });

    it("asks for --yes before a revert, and refuses an unknown change", () => {
        const db = database();
        assert.equal(migrate(db, "deploy").status, 0);
        const refused = migrate(db, "revert");
        assert.equal(refused.status, 1);
        assert.match(refused.out, /revert changes the schema and may drop data: pass --yes/);
        assert.equal(pg!.psql(db, "SELECT count(*) FROM sqitch.changes"), String(plain.length));
        assert.notEqual(migrate(db, "revert", "--yes", "--to", "no_such_change").status, 0);
        assert.equal(migrate(db, "bogus").status, 2);
        const partly = migrate(db, "revert", "--yes", "--to", "llm_traces");
        assert.equal(partly.status, 0, partly.out);
        assert.equal(pg!.psql(db, "SELECT string_agg(change, ',') FROM sqitch.changes"), "llm_traces");
    });
});

/** `npm run migration:add -- <args>`, as npm runs it. */
function spawnScript(args: string[]) {
    const r = spawnSync(...tsNode("scripts/migration-add.ts", args), { encoding: "utf8" });
    return { status: r.status, out: r.stdout + r.stderr };
}
