/**
 * The generated sql_exporter.yml against the rules sql_exporter 0.24.6 applies when it loads a
 * collector (config/metric_config.go:42-91, config/collector_config.go): every metric has a
 * type, help, values and exactly one of query and query_ref; a query_ref names a query of its
 * collector; and every label and value column is one the query selects. No SQL Server runs
 * here: the statements themselves are checked for what they read, not executed.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { renderSqlExporterConfig } from "../../components/observability/sql-exporter-conf";

const conf = parse(renderSqlExporterConfig({ target: "sqlserver:1433", user: "llm_monitor", password: "p@ss/word", database: "llm" }));

/** The columns the outer SELECT list names: each item's alias (`AS name`, `AS [name]`) or its bare column. */
function aliases(sql: string): Set<string> {
    let flat = sql;
    // Innermost parentheses first, until none is left: what stays at depth 0 is the select list.
    while (/\([^()]*\)/.test(flat)) flat = flat.replace(/\([^()]*\)/g, "…");
    const list = /^\s*SELECT\s+(?:TOP\s+\d+\s+)?([\s\S]*?)(?:\s+FROM\s|$)/i.exec(flat)?.[1] ?? "";
    return new Set(list.split(",").map((item) => /(?:\bAS\s+)?\[?([A-Za-z_][A-Za-z0-9_]*)\]?\s*$/i.exec(item.trim())?.[1] ?? item));
}

describe("sql_exporter.yml (as sql_exporter 0.24.6 loads it)", () => {
    it("lists every collector in the target, each metric well-formed and reading columns its query selects", () => {
        assert.deepEqual(conf.target.collectors, conf.collectors.map((c: any) => c.collector_name));
        assert.match(conf.target.data_source_name, /^sqlserver:\/\/llm_monitor:p%40ss%2Fword@sqlserver:1433\?encrypt=true/);
        for (const collector of conf.collectors) {
            const queries = Object.fromEntries((collector.queries ?? []).map((q: any) => [q.query_name, q.query]));
            for (const m of collector.metrics) {
                assert.match(m.metric_name, /^mssql_[a-z_]+$/);
                assert.ok(["counter", "gauge"].includes(m.type), `${m.metric_name}: type`);
                assert.ok(m.help, `${m.metric_name}: help`);
                assert.ok(m.values?.length > 0, `${m.metric_name}: values`);
                assert.equal([m.query, m.query_ref].filter(Boolean).length, 1, `${m.metric_name}: exactly one of query and query_ref`);
                const sql = m.query ?? queries[m.query_ref];
                assert.ok(sql, `${m.metric_name}: query_ref ${m.query_ref} exists`);
                if (m.values.length > 1) assert.ok(m.value_label, `${m.metric_name}: several values need a value_label`);
                const selected = aliases(sql);
                for (const column of [...(m.key_labels ?? []), ...m.values]) assert.ok(selected.has(column), `${m.metric_name}: its query selects ${column}`);
            }
        }
    });

    it("reads the runbooks' diagnostics: waits without the idle ones, the slowest statements once per query hash, the vector indexes' use", () => {
        const diagnostics = conf.collectors.find((c: any) => c.collector_name === "llm_mssql_diagnostics");
        assert.equal(diagnostics.min_interval, "60s", "read once a minute, cached between scrapes");
        const query = (name: string) => diagnostics.queries.find((q: any) => q.query_name === name).query;
        assert.match(query("waits"), /FROM sys\.dm_os_wait_stats WHERE waiting_tasks_count > 0 AND wait_type NOT LIKE '%SLEEP%'/);
        assert.match(query("slow_queries"), /sys\.dm_exec_query_stats AS qs CROSS APPLY sys\.dm_exec_sql_text\(qs\.sql_handle\)/);
        assert.match(query("slow_queries"), /GROUP BY qs\.query_hash ORDER BY mean_seconds DESC/, "one row per label set");
        const vector = diagnostics.metrics.find((m: any) => m.metric_name === "mssql_vector_index_reads_total");
        assert.match(vector.query, /FROM \[llm\]\.sys\.vector_indexes AS vi LEFT JOIN sys\.dm_db_index_usage_stats AS us ON us\.database_id = DB_ID\(N'llm'\)/);
        assert.deepEqual(vector.values, ["seeks", "scans", "lookups"]);
    });

    it("quotes the database name where it lands in T-SQL", () => {
        const odd = parse(renderSqlExporterConfig({ target: "s:1433", user: "u", password: "p", database: "we]ird'db" }));
        const vector = odd.collectors[1].metrics.find((m: any) => m.metric_name === "mssql_vector_index_reads_total");
        assert.ok(vector.query.includes("FROM [we]]ird'db].sys.vector_indexes"));
        assert.ok(vector.query.includes("DB_ID(N'we]ird''db')"));
    });
});
