// mocha's settings for `npm test` (scripts/test.sh). Each test file runs in a worker process,
// as many at once as the machine has CPUs; a worker keeps its loaded modules and its
// whole-stack runs (harness/run-stack.ts) for the next file it is given. Files go out heaviest
// first, by the CPU each cost in the last run (kept by tests/helpers/file-costs.ts), so that no
// long file starts last while the other workers run dry; a file without a record goes first.
const fs = require("fs");
const os = require("os");
const path = require("path");

const COSTS_FILE = path.join(__dirname, "node_modules", ".cache", "llm-platform", "test-file-costs.json");

/** tests/**\/*.test.ts, by path from the project folder. */
function testFiles(dir = "tests") {
    return fs
        .readdirSync(path.join(__dirname, dir), { withFileTypes: true })
        .flatMap((entry) => {
            const file = path.join(dir, entry.name);
            if (entry.isDirectory()) return testFiles(file);
            return entry.name.endsWith(".test.ts") ? [file] : [];
        });
}

function heaviestFirst(files) {
    let costs = {};
    try {
        costs = JSON.parse(fs.readFileSync(COSTS_FILE, "utf8"));
    } catch {
        // no run recorded yet
    }
    const cost = (file) => costs[file] ?? Infinity;
    return files.sort((a, b) => cost(b) - cost(a) || a.localeCompare(b));
}

module.exports = {
    require: ["tests/helpers/register-ts.js", "tests/helpers/skip-summary.ts", "tests/helpers/file-costs.ts"],
    extension: ["ts"],
    spec: heaviestFirst(testFiles()),
    timeout: 30000,
    reporter: "spec",
    parallel: true,
    jobs: os.availableParallelism(),
    // A whole-stack run under mocks makes short-lived objects by the million: a young generation
    // of 64 MB instead of 16 scavenges a quarter as often (npm run bench -- --tests). Workers
    // start with the main process's flags.
    "node-option": ["max-semi-space-size=64"],
};
