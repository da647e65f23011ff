// PostgreSQL's parser compiled to WebAssembly (libpg_query): a syntax check without a server.
const { parse } = require("libpg-query") as { parse(sql: string): Promise<{ stmts: { stmt: unknown }[] }> };

/** psql's meta-commands (`\set`, `\getenv`...) are psql's, not SQL: they are left out. */
export const withoutPsqlMeta = (text: string) =>
    text
        .split("\n")
        .filter((line) => !line.startsWith("\\"))
        .join("\n");

/** The parse trees of a script's statements. */
export async function parseStatements(sql: string): Promise<unknown[]> {
    return (await parse(withoutPsqlMeta(sql))).stmts.map((s) => s.stmt);
}

/** A statement's parse tree without source positions: two texts of the same statement compare equal. */
export const normalized = (tree: unknown) => JSON.stringify(tree, (key, value) => (key === "location" ? undefined : value));

export { parse };
