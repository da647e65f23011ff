/**
 * docs/operations.md's table of generated secrets is the program's: every secret of the dev
 * and prod stacks, whether it is protected, and exactly the dev containers that carry it
 * (found by its value in their environment and files, as the mocks generate it).
 */
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR, RegisteredResource, runStack, StackRun } from "../harness/run-stack";
import { tablesOf } from "./helpers/markdown";

const SECRET_TYPES = ["random:index/randomPassword:RandomPassword", "tls:index/privateKey:PrivateKey"];
const secretsOf = (run: StackRun) => run.resources.filter((r) => SECRET_TYPES.includes(r.type));
/** `proxy-api-key-default` is the table's `proxy-api-key-<client>`, one per entry of proxy.clients. */
const rowName = (r: RegisteredResource) => (/^proxy-api-key-(?!sqlserver$)/.test(r.name) ? "proxy-api-key-<client>" : r.name);

function carriers(run: StackRun, secret: RegisteredResource): string[] {
    const value = JSON.stringify(secret.state.result ?? secret.state.privateKeyPem).slice(1, -1);
    return run
        .ofType("docker:index/container:Container")
        .filter((c) => JSON.stringify(c.inputs).includes(value))
        .map((c) => c.name)
        .sort();
}

describe("docs/operations.md: rotating each generated secret", function () {
    this.timeout(120000);
    let dev: StackRun;
    before(async () => {
        dev = await runStack("dev");
    });

    it("lists every generated secret, whether it is protected and the dev containers that carry it", () => {
        const doc = fs.readFileSync(path.join(PROJECT_DIR, "docs", "operations.md"), "utf8");
        const table = tablesOf(doc).find((t) => t.header[0] === "secret (resource)");
        assert.ok(table, "operations.md has the secrets table");
        const rows = new Map(table.rows.map((r) => [/`([^`]+)`/.exec(r[0])![1], r]));
        const expected = new Map(secretsOf(dev).map((s) => [rowName(s), s]));
        assert.deepEqual([...rows.keys()].sort(), [...expected.keys()].sort(), "one row per secret, no stale row");
        for (const [name, secret] of expected) {
            const row = rows.get(name)!;
            assert.equal(row[1], secret.options.protect ? "yes" : "no", `${name}: protected`);
            const listed = row[2] === "—" ? [] : row[2].split(",").map((c) => c.trim()).sort();
            assert.deepEqual(listed, carriers(dev, secret), `${name}: carried by`);
        }
    });

    it("covers prod's secrets too: the same ones", async () => {
        const prod = await runStack("prod", { exampleUserValues: true });
        const names = (run: StackRun) => [...new Set(secretsOf(run).map(rowName))].sort();
        assert.ok(names(prod).length > 10, names(prod).join(", "));
        assert.deepEqual(names(prod).filter((n) => !names(dev).includes(n)), []);
    });
});
