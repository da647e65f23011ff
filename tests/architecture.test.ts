/**
 * The layering of docs/architecture.md ("Which folder may import which") holds: every import of
 * every .ts in components/, policies/, harness/ and scripts/ (read with TypeScript's own parser,
 * type-only imports and re-exports included) goes from a file's group to its own group or one the
 * picture lets it reach, and no import circle exists. The picture and the group table are read
 * from the page, so the page is the rule.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { PROJECT_DIR } from "../harness/run-stack";

const PAGE = path.join(PROJECT_DIR, "docs", "architecture.md");
const SECTION = "## Which folder may import which";
const ROOTS = ["components", "policies", "harness", "scripts"];
/** Folders a group may own: the ones read, and the tests (which the benchmark runs), whose own imports are not held. */
const GROUP_ROOTS = [...ROOTS, "tests"];

interface Layering {
    /** Group name -> the path prefixes it owns (a file belongs to the group of its longest matching prefix). */
    readonly groups: Map<string, string[]>;
    readonly arrows: [string, string][];
}

/** The mermaid picture and the group table of the section, as written on the page. */
export function readLayering(markdown: string): Layering {
    const start = markdown.indexOf(SECTION);
    assert.ok(start >= 0, `${PAGE} has a "${SECTION}" section`);
    const end = markdown.indexOf("\n## ", start + SECTION.length);
    const section = markdown.slice(start, end < 0 ? undefined : end);
    const mermaid = /```mermaid\n([\s\S]*?)```/.exec(section);
    assert.ok(mermaid, `the "${SECTION}" section holds a mermaid picture`);
    const arrows: [string, string][] = [];
    for (const line of mermaid[1].split("\n")) {
        const arrow = /^\s*(\w+)\s*-->\s*(\w+)\s*$/.exec(line);
        if (arrow) arrows.push([arrow[1], arrow[2]]);
    }
    const groups = new Map<string, string[]>();
    for (const row of section.split("\n").filter((l) => /^\| `\w+` \|/.test(l))) {
        const [, name, files] = row.split("|").map((c) => c.trim());
        groups.set(name.replace(/`/g, ""), prefixesOf(files));
    }
    return { groups, arrows };
}

/**
 * The path prefixes a table cell names (its backticked paths). A row of "the rest of" or "the
 * other files" of a folder owns that folder; the longer prefixes of other rows win inside it.
 */
function prefixesOf(cell: string): string[] {
    const named = [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]).filter((p) => GROUP_ROOTS.some((r) => p.startsWith(`${r}/`)));
    return /^(the rest of|the other files)/.test(cell) ? named.slice(0, 1) : named;
}

function groupOf(layering: Layering, file: string): string | undefined {
    let best: [string, number] | undefined;
    for (const [group, prefixes] of layering.groups) {
        for (const prefix of prefixes) {
            if ((file === prefix || file.startsWith(prefix)) && (!best || prefix.length > best[1])) best = [group, prefix.length];
        }
    }
    return best?.[0];
}

/** Groups each group may import: its own and every one reachable along the arrows. */
function reachable(layering: Layering): Map<string, Set<string>> {
    const next = new Map<string, string[]>();
    for (const [a, b] of layering.arrows) next.set(a, [...(next.get(a) ?? []), b]);
    const result = new Map<string, Set<string>>();
    for (const group of layering.groups.keys()) {
        const seen = new Set([group]);
        const todo = [group];
        while (todo.length) for (const n of next.get(todo.pop()!) ?? []) if (!seen.has(n)) (seen.add(n), todo.push(n));
        result.set(group, seen);
    }
    return result;
}

function sourceFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        if (e.name === "node_modules" || e.name === "bin") return [];
        const p = path.join(dir, e.name);
        return e.isDirectory() ? sourceFiles(p) : p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
    });
}

export interface Import {
    readonly from: string;
    /** As written. */
    readonly specifier: string;
    /** The file it resolves to, relative to the project. */
    readonly to: string;
}

/** Every relative import, re-export, require and dynamic import of the files, resolved to files. */
export function importsOf(files: readonly string[]): Import[] {
    return files.flatMap((file) => {
        const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
        return info.importedFiles
            .filter((i) => i.fileName.startsWith("."))
            .map((i) => {
                const target = path.resolve(path.dirname(file), i.fileName);
                const resolved = [`${target}.ts`, path.join(target, "index.ts"), target].find((t) => fs.existsSync(t) && fs.statSync(t).isFile());
                assert.ok(resolved, `${path.relative(PROJECT_DIR, file)} imports ${i.fileName}, which is no file`);
                return { from: path.relative(PROJECT_DIR, file), specifier: i.fileName, to: path.relative(PROJECT_DIR, resolved) };
            });
    });
}

/** Import circles, each as the files in import order (first file repeated last). */
export function circles(imports: readonly Import[]): string[][] {
    const next = new Map<string, string[]>();
    for (const i of imports) next.set(i.from, [...(next.get(i.from) ?? []), i.to]);
    // Tarjan's strongly connected components, then one concrete circle through each.
    let index = 0;
    const order = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const found: string[][] = [];
    const visit = (v: string) => {
        order.set(v, index);
        low.set(v, index++);
        stack.push(v);
        onStack.add(v);
        for (const w of next.get(v) ?? []) {
            if (!order.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v)!, low.get(w)!));
            } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
        }
        if (low.get(v) !== order.get(v)) return;
        const component = new Set<string>();
        let w: string;
        do {
            w = stack.pop()!;
            onStack.delete(w);
            component.add(w);
        } while (w !== v);
        if (component.size > 1 || (next.get(v) ?? []).includes(v)) found.push(circleThrough(v, component, next));
    };
    for (const v of next.keys()) if (!order.has(v)) visit(v);
    return found;
}

function circleThrough(start: string, component: Set<string>, next: Map<string, string[]>): string[] {
    const cameFrom = new Map<string, string>();
    const todo = [start];
    while (todo.length) {
        const v = todo.shift()!;
        for (const w of next.get(v) ?? []) {
            if (!component.has(w)) continue;
            if (w === start) {
                const path = [start];
                for (let at = v; at !== start; at = cameFrom.get(at)!) path.splice(1, 0, at);
                return [...path, start];
            }
            if (!cameFrom.has(w)) (cameFrom.set(w, v), todo.push(w));
        }
    }
    return [start, start];
}

describe("architecture: which folder may import which (docs/architecture.md)", () => {
    const layering = readLayering(fs.readFileSync(PAGE, "utf8"));
    const files = ROOTS.flatMap((root) => sourceFiles(path.join(PROJECT_DIR, root)));
    const imports = importsOf(files);

    it("the picture names only groups of the table, and draws no circle", () => {
        for (const [a, b] of layering.arrows) {
            for (const g of [a, b]) assert.ok(layering.groups.has(g), `the picture's ${g} is a row of the table`);
        }
        const may = reachable(layering);
        for (const [a, b] of layering.arrows) assert.ok(!may.get(b)!.has(a), `${a} --> ${b} and back: the picture must go one way`);
    });

    it("every file belongs to a group", () => {
        const lost = files.map((f) => path.relative(PROJECT_DIR, f)).filter((f) => !groupOf(layering, f));
        assert.deepEqual(lost, [], "files no row of the table owns");
    });

    it("every import goes down the picture", () => {
        const may = reachable(layering);
        const against = imports.flatMap((i) => {
            const from = groupOf(layering, i.from)!;
            const to = groupOf(layering, i.to);
            if (to !== undefined && may.get(from)!.has(to)) return [];
            const allowed = [...may.get(from)!].sort().join(", ");
            return [`${i.from} imports "${i.specifier}" (${i.to}, group ${to ?? "none: outside the program"}): ${from} may import only ${allowed}`];
        });
        assert.deepEqual(against, [], `imports against docs/architecture.md:\n  ${against.join("\n  ")}`);
    });

    it("no import circle", () => {
        const found = circles(imports).map((c) => c.join(" -> "));
        assert.deepEqual(found, [], `import circles:\n  ${found.join("\n  ")}`);
    });

    it("finds what it holds: a circle and an import up the picture", () => {
        const planted: Import[] = [
            { from: "a.ts", specifier: "./b", to: "b.ts" },
            { from: "b.ts", specifier: "./c", to: "c.ts" },
            { from: "c.ts", specifier: "./a", to: "a.ts" },
        ];
        assert.deepEqual(circles(planted), [["a.ts", "b.ts", "c.ts", "a.ts"]]);
        const may = reachable(layering);
        assert.equal(groupOf(layering, "components/config/load.ts"), "config");
        assert.equal(groupOf(layering, "components/platform/docker/engine.ts"), "platforms");
        assert.equal(groupOf(layering, "components/platform/types.ts"), "contract");
        assert.equal(groupOf(layering, "components/pushed-metrics.ts"), "facts");
        assert.equal(groupOf(layering, "policies/shared/markers.ts"), "shared");
        assert.equal(groupOf(layering, "policies/rules/backups.ts"), "pack");
        assert.equal(groupOf(layering, "components/migrations/step.ts"), "services");
        assert.ok(!may.get("config")!.has("platforms"), "config may not import a platform");
        assert.ok(!may.get("services")!.has("pack"), "the program may not import the pack's rules");
        assert.ok(may.get("services")!.has("shared"), "the program may import policies/shared");
    });
});
