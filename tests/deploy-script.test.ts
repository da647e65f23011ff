import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../harness/run-stack";

/** What scripts/deploy.sh may use from the system; npm, pulumi and kubectl are stubs. */
const SYSTEM_TOOLS = ["bash", "git", "dirname", "mkdir", "mktemp", "rm", "cat", "grep", "sed", "head", "date", "sleep", "mv", "sort", "basename", "chmod"];
const which = (tool: string) => spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();

interface Scenario {
    /** proxy.canary.weight per stack, as `pulumi config get` answers it (unset: no canary). */
    readonly canary?: Record<string, string>;
    /** The smoke runs that fail, by report name: smoke-<stack> (the whole stack), smoke-<stack>-canary. */
    readonly failSmoke?: readonly string[];
    /** No last-good tags exist yet (the first release). */
    readonly firstRelease?: boolean;
    /** Another merge lands on origin's main while the release runs. */
    readonly mainMoves?: boolean;
}

interface Release {
    readonly status: number | null;
    readonly out: string;
    /** Every stub call, `<cli> <args> @<commit the cwd is on: good|new|promoted>`. */
    readonly calls: string[];
    /** The tags on origin after the run: tag -> good|new|promoted. */
    readonly originTags: Record<string, string>;
    readonly reports: Record<string, string>;
    /** The subject of origin's main after the run. */
    readonly originMain: string;
}

const git = (cwd: string, ...args: string[]) => {
    const r = spawnSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...GIT_ENV } });
    assert.equal(r.status, 0, `git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
};
const GIT_ENV = { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t", GIT_CONFIG_NOSYSTEM: "1" };

/**
 * A scratch repository with the project's scripts and stack files, a bare `origin`, a commit
 * "good" (tagged last-good-staging and last-good-prod unless first release) and the merged commit
 * "new" checked out; stub npm, pulumi and kubectl log their calls with the commit of the
 * directory they run in (the rollback's worktree is on "good").
 */
function release(s: Scenario): Release {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-deploy-"));
    try {
        const repo = path.join(dir, "repo");
        const origin = path.join(dir, "origin.git");
        const bin = path.join(dir, "bin");
        const log = path.join(dir, "calls.log");
        fs.mkdirSync(bin);
        fs.mkdirSync(path.join(repo, "policies"), { recursive: true });
        fs.writeFileSync(path.join(repo, "policies", "package.json"), "{}\n");
        fs.cpSync(path.join(PROJECT_DIR, "scripts"), path.join(repo, "scripts"), { recursive: true });
        for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml", "package.json"]) fs.copyFileSync(path.join(PROJECT_DIR, file), path.join(repo, file));
        spawnSync("git", ["init", "--quiet", "--bare", origin]);
        git(repo, "init", "--quiet", "--initial-branch=main");
        git(repo, "remote", "add", "origin", origin);
        fs.writeFileSync(path.join(repo, "release"), "good\n");
        git(repo, "add", "-A");
        git(repo, "commit", "--quiet", "-m", "good");
        if (!s.firstRelease) {
            git(repo, "tag", "last-good-staging");
            git(repo, "tag", "last-good-prod");
        }
        fs.writeFileSync(path.join(repo, "release"), "new\n");
        git(repo, "commit", "--quiet", "-am", "new");
        git(repo, "push", "--quiet", "origin", "main", "--tags");
        if (s.mainMoves) {
            const other = path.join(dir, "other");
            git(dir, "clone", "--quiet", "--branch", "main", origin, other);
            fs.writeFileSync(path.join(other, "other"), "merged meanwhile\n");
            git(other, "add", "-A");
            git(other, "commit", "--quiet", "-m", "merged meanwhile");
            git(other, "push", "--quiet", "origin", "main");
        }

        // Each stub: log the call with the commit of its working directory (the file `release` names it).
        const stub = (name: string, body: string) =>
            fs.writeFileSync(path.join(bin, name), `#!/bin/bash\necho "${name} $* @$(cat release 2>/dev/null || echo '?')" >> ${log}\n${body}\nexit 0\n`, { mode: 0o755 });
        const failing = (s.failSmoke ?? []).join(" ");
        stub(
            "npm",
            `if [ "$1 $2" = "run smoke" ]; then
    report=""; prev=""; for a in "$@"; do [ "$prev" = --report ] && report="$a"; prev="$a"; done
    name="\${report##*/}"; name="\${name%.json}"
    if [[ " ${failing} " == *" $name "* ]]; then echo '{"passed":false,"checks":[{"name":"embedding","ok":false}]}' > "$report"; echo "smoke checks failed: embedding" >&2; exit 1; fi
    echo '{"passed":true}' > "$report"
fi
# promote leaves the stack file as release.sh does: the canary's image is the proxy's, weight 0.
if [ "$1 $2 $5" = "run release promote" ]; then echo "# promoted" >> "Pulumi.$4.yaml"; echo promoted > release; fi`,
        );
        const weights = Object.entries(s.canary ?? {})
            .map(([stack, w]) => `[ "$4" = ${stack} ] && echo ${w} && exit 0`)
            .join("\n");
        stub("pulumi", `if [ "$1 $2" = "config get" ]; then\n${weights}\nexit 1\nfi`);
        stub("kubectl", "");
        for (const tool of SYSTEM_TOOLS) fs.symlinkSync(which(tool), path.join(bin, tool));
        fs.symlinkSync(process.execPath, path.join(bin, "node"));

        const reportDir = path.join(dir, "report");
        const r = spawnSync("bash", [path.join(repo, "scripts", "deploy.sh"), "--report-dir", reportDir], {
            cwd: repo,
            encoding: "utf8",
            env: { PATH: bin, HOME: dir, PULUMI_BACKEND_URL: "s3://state", PULUMI_CONFIG_PASSPHRASE: "x", ...GIT_ENV },
        });
        const subject = (rev: string) => git(origin, "log", "-1", "--format=%s", rev);
        const originTags = Object.fromEntries(
            git(origin, "tag", "--list")
                .split("\n")
                .filter(Boolean)
                .map((t) => [t, /promote/.test(subject(t)) ? "promoted" : subject(t)]),
        );
        const reports = fs.existsSync(reportDir) ? Object.fromEntries(fs.readdirSync(reportDir).map((f) => [f, fs.readFileSync(path.join(reportDir, f), "utf8")])) : {};
        return {
            status: r.status,
            out: r.stdout + r.stderr,
            calls: fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [],
            originTags,
            reports,
            originMain: subject("main"),
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** The calls that change or check something, without the canary look-ups. */
const steps = (r: Release) => r.calls.filter((c) => !c.startsWith("pulumi config get"));
const smoke = (stack: string, canary = false) => new RegExp(`^npm run smoke -- ${stack} --report \\S+/smoke-${stack}${canary ? "-canary" : ""}\\.json${canary ? " --canary" : ""} @new$`);

describe("the release path of a merge (scripts/deploy.sh, stub npm, pulumi and kubectl)", function () {
    this.timeout(120000);

    it("backups of every stack first, then staging up and smoke, prod up and smoke, and the last-good tags move", () => {
        const r = release({});
        assert.equal(r.status, 0, r.out);
        const s = steps(r);
        assert.deepEqual(s.slice(0, 3), ["npm run backup -- staging @new", "npm run backup -- prod @new", "npm run up -- staging --yes @new"]);
        assert.match(s[3], smoke("staging"));
        assert.equal(s[4], "npm run up -- prod --yes @new");
        assert.match(s[5], smoke("prod"));
        assert.equal(s.length, 6, s.join("\n"));
        assert.deepEqual(r.originTags, { "last-good-prod": "new", "last-good-staging": "new" });
        assert.match(r.out, /released [0-9a-f]{40}/);
    });

    it("prod with a canary: the smoke checks target the canary alone, then promote (committed to main), the whole stack checked again, tagged good", () => {
        const r = release({ canary: { prod: "10" } });
        assert.equal(r.status, 0, r.out);
        const s = steps(r);
        const up = s.indexOf("npm run up -- prod --yes @new");
        assert.match(s[up + 1], smoke("prod", true));
        assert.equal(s[up + 2], "npm run release -- prod promote --yes @new");
        assert.match(s[up + 3], /^npm run smoke -- prod --report \S+\/smoke-prod\.json @promoted$/, "the stable proxy, now on the canary's image");
        assert.equal(s.length, up + 4, s.join("\n"));
        assert.match(s.find((c) => c.startsWith("npm run smoke -- staging"))!, smoke("staging"), "staging declares no canary: the whole stack");
        assert.equal(r.originMain, "release: promote the proxy canary of prod (deploy of " + r.out.match(/releasing ([0-9a-f]{12})/)![1] + ") [skip ci]");
        assert.deepEqual(r.originTags, { "last-good-prod": "promoted", "last-good-staging": "new" });
    });

    it("a merge that landed meanwhile refuses the promote commit's push: the release still passes, the tag holds the commit, and it says so", () => {
        const r = release({ canary: { prod: "10" }, mainMoves: true });
        assert.equal(r.status, 0, r.out);
        assert.equal(r.originMain, "merged meanwhile");
        assert.equal(r.originTags["last-good-prod"], "promoted");
        assert.match(r.out, /prod: main moved, so the promote commit was not pushed to it \(last-good-prod holds it\)/);
    });

    it("a failed canary smoke: abort, the last good commit deployed again from its own checkout, non-zero exit, the report kept", () => {
        const r = release({ canary: { prod: "10" }, failSmoke: ["smoke-prod-canary"] });
        assert.equal(r.status, 1, r.out);
        const s = steps(r);
        const failed = s.findIndex((c) => smoke("prod", true).test(c));
        assert.deepEqual(s.slice(failed + 1), [
            "npm run release -- prod abort --yes @new",
            "npm ci --no-audit --no-fund @good",
            "npm ci --no-audit --no-fund @?",
            "npm run up -- prod --yes @good",
        ]);
        assert.ok(!s.some((c) => c.includes("promote")), "nothing promoted");
        assert.deepEqual(r.originTags, { "last-good-prod": "good", "last-good-staging": "new" }, "staging passed; prod's tag stays on the good commit");
        assert.match(r.reports["smoke-prod-canary.json"], /"passed":false/);
        assert.match(r.out, /prod: the smoke checks failed \(\S+\/smoke-prod-canary\.json\); rolled back to last-good-prod\. Commit [0-9a-f]{40} is not released\./);
        assert.match(r.out, /smoke checks failed: embedding/);
    });

    it("a failed smoke after the promote: no canary left to abort, the last good commit deployed again", () => {
        const r = release({ canary: { prod: "10" }, failSmoke: ["smoke-prod"] });
        assert.equal(r.status, 1, r.out);
        const s = steps(r);
        assert.ok(s.includes("npm run release -- prod promote --yes @new"));
        assert.ok(!s.some((c) => c.includes("abort")), s.join("\n"));
        assert.equal(s[s.length - 1], "npm run up -- prod --yes @good");
        assert.equal(r.originTags["last-good-prod"], "good");
        assert.equal(r.originMain, "new", "the promote that failed its checks never reaches main");
        assert.match(r.reports["smoke-prod.json"], /"passed":false/);
    });

    it("a failed staging smoke rolls staging back and never touches prod beyond its backup", () => {
        const r = release({ failSmoke: ["smoke-staging"] });
        assert.equal(r.status, 1, r.out);
        const s = steps(r);
        assert.ok(!s.some((c) => /^npm run (up|smoke|release) -- prod/.test(c)), s.join("\n"));
        assert.equal(s[s.length - 1], "npm run up -- staging --yes @good");
        assert.ok(!s.some((c) => c.includes("abort")), "no canary to abort");
        assert.deepEqual(r.originTags, { "last-good-prod": "good", "last-good-staging": "good" });
    });

    it("the first release has no good commit to go back to: it says so and fails", () => {
        const r = release({ failSmoke: ["smoke-staging"], firstRelease: true });
        assert.equal(r.status, 1);
        assert.match(r.out, /staging: no tag last-good-staging, so no known good commit to go back to/);
        assert.match(r.out, /NOT rolled back/);
        assert.deepEqual(r.originTags, {});
    });
});
