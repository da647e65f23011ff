import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as semver from "semver";
import { PROJECT_DIR } from "../harness/run-stack";

/** scripts/check-node.js is plain JavaScript (it runs before the dependencies exist). */
const { nodeProblem } = require("../scripts/check-node.js") as { nodeProblem: (version: string, range: string, s: typeof semver) => string | undefined };

const json = (file: string) => JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, file), "utf8"));
const declared: string = json("package.json").engines.node;

describe("one Node.js requirement (package.json engines)", () => {
    it("is the same range for the program and the policy pack, and runs the Node.js of this machine", () => {
        assert.equal(json("policies/package.json").engines.node, declared);
        assert.ok(semver.validRange(declared), declared);
        assert.ok(semver.satisfies(process.versions.node, declared), `Node.js ${process.versions.node} is outside ${declared}`);
        assert.ok(semver.satisfies("20.17.0", declared), "Node 20 (CI, Debian bookworm) is supported");
    });

    it("fits inside every installed package's own engines.node, so npm ci warns of no EBADENGINE on any version in the range", () => {
        const outside: string[] = [];
        for (const lockfile of ["package-lock.json", "policies/package-lock.json"]) {
            const lock = json(lockfile);
            assert.equal(lock.packages[""].engines?.node, declared, `${lockfile} was written from the current package.json`);
            for (const [where, pkg] of Object.entries<any>(lock.packages)) {
                const range = pkg.engines?.node;
                if (where === "" || range === undefined) continue;
                if (!semver.subset(declared, range)) outside.push(`${lockfile}: ${where}@${pkg.version} needs node ${range}`);
            }
        }
        assert.deepEqual(outside, []);
    });

    it("fails the check on a range that does not fit, so the test above can fail", () => {
        assert.equal(semver.subset(">=20", ">=22"), false, "@pulumi/pulumi 3.270 declares >=22");
        assert.equal(semver.subset(declared, "^20.17.0 || >=22.9.0"), true);
    });

    it("pins the SDK versions that declare Node 20: @pulumi/pulumi in both projects, kubernetes-models for the schema test", () => {
        for (const file of ["package.json", "policies/package.json"]) assert.equal(json(file).dependencies["@pulumi/pulumi"], "3.248.0", file);
        assert.equal(json("package.json").devDependencies["kubernetes-models"], "4.5.1");
        const installed = json("node_modules/@pulumi/pulumi/package.json");
        assert.equal(installed.version, "3.248.0");
        assert.ok(semver.subset(declared, installed.engines.node));
    });

    it("has npm refuse to install on another Node.js (engine-strict), in both projects", () => {
        for (const file of [".npmrc", "policies/.npmrc"]) assert.match(fs.readFileSync(path.join(PROJECT_DIR, file), "utf8"), /^engine-strict=true$/m, file);
    });

    it("says which Node.js is needed and how to get it when the running one is outside the range", () => {
        for (const ok of ["20.17.0", "20.20.2", "22.9.0", "24.1.0"]) assert.equal(nodeProblem(ok, declared, semver), undefined, ok);
        for (const bad of ["18.19.0", "20.16.0", "21.7.3", "22.8.0"]) {
            const problem = nodeProblem(bad, declared, semver);
            assert.ok(problem, bad);
            assert.match(problem, new RegExp(`Node\\.js ${bad.replace(/\./g, "\\.")} cannot run this project: it needs Node\\.js .*package\\.json "engines".*nvm install 22`));
        }
    });

    it("is the version the docs state", () => {
        assert.ok(fs.readFileSync(path.join(PROJECT_DIR, "docs", "dev.md"), "utf8").includes(`\`${declared}\``), "docs/dev.md names the range");
    });
});
