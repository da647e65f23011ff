/**
 * The README and docs/ hold together: every link resolves (files and #anchors, GitHub's slug
 * rules), every doc is reachable from the README, every config key of the schema is
 * documented exactly once (in docs/configuration.md), and the sizing statements are the
 * figures the program gives.
 */
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { describeMb, dockerFootprint, footprintConfigOf, footprintTotals } from "../components/config/footprint";
import { parseConfig, schemaAt, unwrap } from "../components/config/load";
import { Preset, presetChatModels, presetNames, presetSizes } from "../components/config/presets";
import { configSchema, serviceNames } from "../components/config/schema";
import { PROJECT_DIR } from "../harness/run-stack";
import { brokenReason, headingSlugs, linksOf, tablesOf } from "./helpers/markdown";

const README = path.join(PROJECT_DIR, "README.md");
const DOCS = path.join(PROJECT_DIR, "docs");
const CONFIGURATION = path.join(DOCS, "configuration.md");
const docFiles = () => fs.readdirSync(DOCS).filter((f) => f.endsWith(".md")).map((f) => path.join(DOCS, f));
const read = (file: string) => fs.readFileSync(file, "utf8");
const rel = (file: string) => path.relative(PROJECT_DIR, file);

/**
 * Every leaf key of the config schema (`sqlserver.cpu`, `aws.loadBalancer.waf.enabled`, `tls.hostnames`), objects walked,
 * and the items of a top-level list of objects as `list[]` (`apps[].routes[].pathPrefix`).
 */
function schemaLeaves(schema: z.ZodType = configSchema, prefix: string[] = []): string[] {
    const inner = unwrap(schema);
    // A top-level list of objects (`apps`) and the lists inside its items; a list inside a service's object (gpuTolerations) is one key.
    const walked = prefix.length === 1 || prefix.some((p) => p.endsWith("[]"));
    if (walked && inner instanceof z.ZodArray && (unwrap(inner.element as z.ZodType) as z.ZodObject).shape) {
        return schemaLeaves(inner.element as z.ZodType, [...prefix.slice(0, -1), `${prefix.at(-1)}[]`]);
    }
    const shape = (inner as z.ZodObject).shape;
    if (!shape) return [prefix.join(".")];
    return Object.entries(shape).flatMap(([key, child]) => schemaLeaves(child as z.ZodType, [...prefix, key]));
}
const isLeaf = (key: string) => schemaLeaves().includes(key);
const isObject = (key: string) => {
    const s = schemaAt(key.replace(/\[\]/g, ".0").split("."));
    return s !== undefined && (unwrap(s) as z.ZodObject).shape !== undefined;
};

/**
 * The keys a table row documents: the backticked keys of its first cell. `.x` is a sibling of
 * the key before it (`sqlserver.cpu`, `.memoryMb`); `<service>.x` is that key of every service
 * object that has it. Other backticked words (`default`, an output's name) are not keys.
 */
function keysOfRow(firstCell: string): { keys: string[]; unknown: string[] } {
    const keys: string[] = [];
    const unknown: string[] = [];
    let parent: string[] = [];
    for (const [, token] of firstCell.matchAll(/`([^`]+)`/g)) {
        if (token.startsWith("<service>.")) {
            const field = token.slice("<service>.".length);
            const expanded = serviceNames.filter((s) => isLeaf(`${s}.${field}`)).map((s) => `${s}.${field}`);
            if (expanded.length === 0) unknown.push(token);
            keys.push(...expanded);
            continue;
        }
        const key = token.startsWith(".") ? [...parent, token.slice(1)].join(".") : token;
        if (!/^[A-Za-z]\w*(\[\])?(\.\w+(\[\])?)*$/.test(key)) continue;
        parent = key.split(".").slice(0, -1);
        if (isLeaf(key)) keys.push(key);
        else if (!isObject(key) && (key.includes(".") || token.startsWith("."))) unknown.push(token);
    }
    return { keys, unknown };
}

/** The rows of a file's key tables: the tables whose first column is headed `key`. */
const keyRows = (file: string) => tablesOf(read(file)).filter((t) => t.header[0] === "key").flatMap((t) => t.rows);

function documented(file: string): { key: string; row: string }[] {
    return keyRows(file).flatMap((cells) => keysOfRow(cells[0]).keys.map((key) => ({ key, row: cells[0] })));
}

describe("README and docs/", function () {
    this.timeout(60000);

    it("resolve every link between them: files and #anchors by GitHub's slug rules", () => {
        const broken = [README, ...docFiles()].flatMap(linksOf).flatMap((l) => {
            const reason = brokenReason(l);
            return reason ? [`${rel(l.file)}: [${l.text}](${l.target}): ${reason}`] : [];
        });
        assert.deepEqual(broken, []);
    });

    it("check links the way GitHub renders headings", () => {
        const md = "# The `aws` object\n## Turning it off, and what it costs\n## Sizing\n## Sizing\n## Observability › Turning it off\n## [Dev](dev.md): prerequisites\n```\n# not a heading\n```\n";
        assert.deepEqual(headingSlugs(md), ["the-aws-object", "turning-it-off-and-what-it-costs", "sizing", "sizing-1", "observability--turning-it-off", "dev-prerequisites"]);
        const tmp = fs.mkdtempSync(path.join(require("os").tmpdir(), "llm-links-"));
        try {
            fs.writeFileSync(path.join(tmp, "a.md"), md + "[ok](#sizing-1) [bad](#sizing-2) [file](b.md) [gone](c.md#x) `[code](nowhere.md)`\n");
            fs.writeFileSync(path.join(tmp, "b.md"), "# B\n");
            const reasons = linksOf(path.join(tmp, "a.md")).map((l) => `${l.target}: ${brokenReason(l) ?? "ok"}`);
            assert.deepEqual(reasons.slice(-4), ["#sizing-1: ok", `#sizing-2: a.md has no heading #sizing-2 (it has: ${headingSlugs(md).join(", ")})`, "b.md: ok", "c.md#x: c.md does not exist"]);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    it("link every doc from the README's table of where to read next", () => {
        const readme = read(README);
        const next = readme.slice(readme.indexOf("## Where to read next"));
        const linked = new Set(linksOf(README).filter((l) => next.includes(`(${l.target})`)).map((l) => l.target.split("#")[0]));
        for (const file of docFiles()) assert.ok(linked.has(`docs/${path.basename(file)}`), `README's "Where to read next" links docs/${path.basename(file)}`);
    });

    it("document every config key of the schema exactly once, in docs/configuration.md", () => {
        const leaves = schemaLeaves();
        assert.ok(leaves.length > 150 && leaves.includes("aws.loadBalancer.waf.rateLimitPer5Minutes") && leaves.includes("observability.alertReceivers.email.smarthost"), "the walk reaches nested keys");
        const inConfiguration = documented(CONFIGURATION);
        const elsewhere = [README, ...docFiles().filter((f) => f !== CONFIGURATION)].flatMap((f) => documented(f).map((d) => `${rel(f)}: ${d.key} (row ${d.row})`));
        const count = new Map<string, string[]>();
        for (const d of inConfiguration) count.set(d.key, [...(count.get(d.key) ?? []), d.row]);
        const missing = leaves.filter((k) => !count.has(k));
        const twice = [...count].filter(([, rows]) => rows.length > 1).map(([k, rows]) => `${k}: rows ${rows.join(" / ")}`);
        const unknown = keyRows(CONFIGURATION).flatMap((cells) => keysOfRow(cells[0]).unknown);
        assert.deepEqual({ missing, twice, elsewhere, unknown }, { missing: [], twice: [], elsewhere: [], unknown: [] });
    });

    it("take a key documented twice, a stale key and a sibling shorthand as such", () => {
        assert.deepEqual(keysOfRow("`sqlserver.cpu`, `.memoryMb`").keys, ["sqlserver.cpu", "sqlserver.memoryMb"]);
        assert.deepEqual(keysOfRow("`<service>.hostPort`").keys, ["sqlserver.hostPort", "ollama.hostPort", "timescale.hostPort", "redis.hostPort", "qdrant.hostPort", "prometheus.hostPort", "alertmanager.hostPort"]);
        assert.deepEqual(keysOfRow("`sqlserver.memoryMB`").unknown, ["sqlserver.memoryMB"]);
        assert.deepEqual(keysOfRow("`default`, `proxyUrl`, `aws`").keys, [], "values, outputs and objects are not keys");
    });

    describe("sizing statements: the figures the program gives (npm run policy:check and npm run bench print them)", () => {
        const totals = (size: Preset, observability: object = {}) => footprintTotals(dockerFootprint(footprintConfigOf(parseConfig({ size, observability }))));
        const maxCpu = (size: Preset) => Math.max(...dockerFootprint(footprintConfigOf(parseConfig({ size }))).map((c) => c.cpu));

        it("docs/configuration.md: each preset's services and everything at once, and the engine auto needs for it", () => {
            const doc = read(CONFIGURATION);
            for (const size of presetNames) {
                const t = totals(size);
                const row =
                    `| \`${size}\` | ${t.services.containers} containers, ${t.services.cpu} cores, ${describeMb(t.services.memoryMb)}; reserved ${t.services.memoryReservationMb} MB ` +
                    `| ${t.atOnce.containers} containers, ${describeMb(t.atOnce.memoryMb)}; reserved ${t.atOnce.memoryReservationMb} MB ` +
                    `| \`${presetChatModels[size]}\` | ${t.atOnce.memoryMb} MB of memory, ${maxCpu(size)} CPUs |`;
                assert.ok(doc.includes(row), `configuration.md should have the row\n${row}`);
            }
            for (const [service, sizes] of Object.entries(presetSizes)) {
                const row = `| \`${service}\` | ${presetNames.map((p) => `${sizes[p].cpu} / ${sizes[p].memoryMb}`).join(" | ")} |`;
                assert.ok(doc.includes(row), `configuration.md should have the row\n${row}`);
            }
        });

        it("docs/observability.md: what turning each half off saves", () => {
            const doc = read(path.join(DOCS, "observability.md"));
            const variants = [{}, { logs: false }, { metrics: false }, { metrics: false, logs: false }];
            for (const size of presetNames) {
                const cells = variants.map((o) => totals(size, o)).map((t) => `${t.services.memoryMb} MB / ${t.atOnce.memoryMb} MB`);
                const row = `| \`${size}\` | ${cells.join(" | ")} |`;
                assert.ok(doc.includes(row), `observability.md should have the row\n${row}`);
            }
        });

        it("docs/dev.md: the memory each preset needs, and the smallest stack", () => {
            // Prose: lines wrap anywhere.
            const doc = read(path.join(DOCS, "dev.md")).replace(/\s+/g, " ");
            assert.ok(doc.includes(`\`default\` from ${describeMb(totals("default").atOnce.memoryMb)}`), "dev.md: default's figure");
            assert.ok(doc.includes(`\`small\` from ${describeMb(totals("small").atOnce.memoryMb)}`), "dev.md: small's figure");
            assert.ok(doc.includes(`observability off, asks ${describeMb(totals("small", { metrics: false, logs: false }).atOnce.memoryMb)}`), "dev.md: the smallest stack");
            assert.doesNotMatch(doc, /about 16 GB/i);
        });
    });
});
