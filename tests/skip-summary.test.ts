import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as path from "path";
import { skipSummary } from "./helpers/tools";

const PROJECT_DIR = path.resolve(__dirname, "..");

/** mocha in parallel mode, two workers, over the two fixture files that each skip a check for a missing tool. */
function mochaOverMissingTools(requireTools: boolean) {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.LLM_PLATFORM_REQUIRE_TOOLS;
    if (requireTools) env.LLM_PLATFORM_REQUIRE_TOOLS = "1";
    const fixtures = ["missing-tool-1.ts", "missing-tool-2.ts"].map((f) => path.join("tests", "fixtures", f));
    const args = ["--no-config", "--parallel", "--jobs", "2", "-r", "tests/helpers/register-ts.js", "-r", "tests/helpers/skip-summary.ts", "--extension", "ts", ...fixtures];
    return spawnSync(process.execPath, [path.join(PROJECT_DIR, "node_modules", "mocha", "bin", "mocha.js"), ...args], { cwd: PROJECT_DIR, encoding: "utf8", env });
}

describe("the summary of checks skipped for a missing tool", function () {
    this.timeout(120000);

    it("names each skipped check and the one command that installs what they need", () => {
        assert.equal(skipSummary([]), undefined, "nothing skipped: nothing said");
        const text = skipSummary([
            { check: "generated nginx.conf under a real nginx -t", tool: "nginx", debianPackage: "nginx" },
            { check: "redis.conf under a real redis-server", tool: "redis-server", debianPackage: "redis-server" },
            { check: "proxy API keys under a real nginx", tool: "nginx", debianPackage: "nginx" },
        ])!;
        assert.match(text, /^SKIPPED 3 check group\(s\)/);
        assert.match(text, /- redis\.conf under a real redis-server \(needs redis-server\)/);
        assert.match(text, /sudo apt-get install -y nginx redis-server$/);
        // What is not a Debian package is named with its own install command.
        const models = skipSummary([{ check: "CloudNativePG objects against the CRDs", tool: "@kubernetes-models/cloudnative-pg", install: "bash scripts/install-test-tools.sh" }])!;
        assert.match(models, /- CloudNativePG objects against the CRDs \(needs @kubernetes-models\/cloudnative-pg\)\nInstall what they need: bash scripts\/install-test-tools\.sh$/);
    });

    it("collects the checks every parallel worker skipped into one summary at the end of the run", () => {
        const r = mochaOverMissingTools(false);
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.equal(r.stdout.match(/SKIPPED/g)?.length, 1, r.stdout);
        assert.match(r.stdout, /SKIPPED 2 check group\(s\) that run real binaries, because a tool is missing:/);
        const processes = new Set<string>();
        for (const n of [1, 2]) {
            const line = new RegExp(`- check ${n} in process (\\d+) runs only with its tool \\(needs llm-platform-missing-tool-${n}\\)`).exec(r.stdout);
            assert.ok(line, `check ${n} is in the summary:\n${r.stdout}`);
            processes.add(line[1]);
        }
        assert.equal(processes.size, 2, "the two files ran in two worker processes");
        assert.ok(!processes.has(String(r.pid)), "and not in mocha's main process");
        assert.match(r.stdout, /sudo apt-get install -y llm-platform-missing-package-1 llm-platform-missing-package-2\n/);
    });

    it("fails those checks instead, and says why, with LLM_PLATFORM_REQUIRE_TOOLS=1", () => {
        const r = mochaOverMissingTools(true);
        assert.notEqual(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /2 failing/);
        for (const n of [1, 2]) assert.match(r.stdout, new RegExp(`llm-platform-missing-tool-${n} not found: .*LLM_PLATFORM_REQUIRE_TOOLS=1 makes this a failure`));
        assert.doesNotMatch(r.stdout, /SKIPPED/);
    });
});
