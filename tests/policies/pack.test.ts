import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { policies } from "../../policies/rules";

const ROOT = path.resolve(__dirname, "../..");
const PACK = path.join(ROOT, "policies");
/** Rules that inform without blocking; every other rule is mandatory. */
const ADVISORY = ["docker-secrets-in-env", "rds-monitoring", "helm-release-opaque", "kubernetes-ephemeral-storage", "container-non-root", "policy-exemptions", "docker-stateful-backups"];

describe("the llm-platform policy pack", () => {
    it("gives every rule a unique name, an actionable description, its level and config defaults", () => {
        const names = policies.map((p) => p.name);
        assert.equal(new Set(names).size, names.length, `duplicate names in ${names.join(", ")}`);
        for (const p of policies) {
            assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/, p.name);
            assert.ok(p.description.length >= 60, `${p.name}: description too short to act on`);
            assert.equal(p.enforcementLevel, ADVISORY.includes(p.name) ? "advisory" : "mandatory", p.name);
            const properties = Object.entries(p.configSchema?.properties ?? {});
            assert.ok(properties.length > 0, `${p.name}: no configSchema properties`);
            for (const [key, schema] of properties) {
                assert.ok(typeof schema === "object" && schema.default !== undefined && schema.description, `${p.name}.${key}: needs a default and a description`);
            }
        }
    });

    it("builds the PolicyPack in policies/index.ts only", () => {
        const sources = (dir: string): string[] =>
            fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? (e.name === "node_modules" ? [] : sources(path.join(dir, e.name))) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
        const constructing = sources(PACK).filter((f) => /new\s+PolicyPack\s*\(/.test(fs.readFileSync(f, "utf8")));
        assert.deepEqual(constructing.map((f) => path.relative(ROOT, f)), [path.join("policies", "index.ts")]);
    });

    it("starts nothing when the rules are imported (the process exits on its own)", function () {
        // Generous: a loaded machine can take seconds to start Node; an import that starts a server never ends.
        this.timeout(60000);
        const r = spawnSync(process.execPath, ["-r", "./tests/helpers/register-ts.js", "-e", "require('./policies/rules'); require('./policies/rules/offline')"], {
            cwd: ROOT,
            encoding: "utf8",
            timeout: 45000,
        });
        assert.equal(r.error, undefined, `import did not finish: ${r.error}`);
        assert.equal(r.status, 0, r.stderr);
        // A served pack prints the port the CLI should connect to.
        assert.equal(r.stdout, "");
    });

    it("is a loadable Node.js pack whose dependencies match the program's", () => {
        const manifest = JSON.parse(fs.readFileSync(path.join(PACK, "package.json"), "utf8"));
        const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        assert.match(fs.readFileSync(path.join(PACK, "PulumiPolicy.yaml"), "utf8"), /^runtime: nodejs$/m);
        assert.ok(fs.existsSync(path.join(PACK, manifest.main)), `main ${manifest.main} exists`);
        assert.match(manifest.version, /^\d+\.\d+\.\d+$/);
        for (const dep of ["@pulumi/policy", "@pulumi/pulumi"]) assert.equal(manifest.dependencies[dep], root.dependencies[dep], dep);
        for (const dep of ["typescript", "@types/node", "ts-node"]) assert.equal(manifest.devDependencies[dep], root.devDependencies[dep], dep);
    });

    it("lists every rule in docs/policy-pack.md's table, with its level and how it compares with the peers", () => {
        const rows = new Map(
            fs.readFileSync(path.join(ROOT, "docs", "policy-pack.md"), "utf8")
                .split("\n")
                .filter((line) => /^\| `[a-z0-9-]+`/.test(line))
                .map((line) => [/^\| `([a-z0-9-]+)`/.exec(line)![1], line.split(" | ")] as const),
        );
        assert.deepEqual([...rows.keys()].sort(), policies.map((p) => p.name).sort());
        for (const p of policies) {
            const [, level, reads, , peers] = rows.get(p.name)!;
            assert.equal(level, p.enforcementLevel === "advisory" ? "*advisory*" : "mandatory", p.name);
            assert.ok(reads.length > 25 && (peers ?? "").trim().length > 0, `${p.name}: says what it reads and where it stands against the peers`);
        }
    });
});

