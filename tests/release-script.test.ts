import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../harness/run-stack";

/**
 * `npm run release -- <stack> promote|abort` from a scratch copy of the project, with a stub pulumi
 * that keeps the stack's canary config in a file and logs every call (no real stack is touched).
 */
function release(args: string[], canary: { weight?: string; image?: string }) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-release-"));
    try {
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        fs.cpSync(path.join(PROJECT_DIR, "scripts"), path.join(dir, "scripts"), { recursive: true });
        for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml", "package.json"]) fs.copyFileSync(path.join(PROJECT_DIR, file), path.join(dir, file));
        for (const d of [".", "policies"]) {
            fs.mkdirSync(path.join(dir, d), { recursive: true });
            fs.writeFileSync(path.join(dir, d, "package-lock.json"), "{}");
        }
        const state = path.join(dir, "config");
        fs.mkdirSync(state);
        if (canary.weight !== undefined) fs.writeFileSync(path.join(state, "proxy.canary.weight"), canary.weight);
        if (canary.image !== undefined) fs.writeFileSync(path.join(state, "proxy.canary.image"), canary.image);
        const log = path.join(dir, "calls.log");
        const pulumi = `#!/bin/bash
echo "pulumi $*" >> ${log}
if [[ "$1 $2" == "config get" ]]; then cat "${state}/$4" 2>/dev/null || exit 1
elif [[ "$1 $2" == "config set" ]]; then printf %s "$5" > "${state}/$4"
elif [[ "$1 $2" == "config rm" ]]; then rm "${state}/$4"
fi
`;
        fs.writeFileSync(path.join(bin, "pulumi"), pulumi, { mode: 0o755 });
        fs.writeFileSync(path.join(bin, "npm"), 'mkdir -p node_modules && echo "{}" > node_modules/.package-lock.json\n', { mode: 0o755 });
        fs.writeFileSync(path.join(bin, "npx"), "exit 0\n", { mode: 0o755 });
        for (const tool of ["bash", "dirname", "mkdir", "grep", "cat", "mv", "sort", "head", "rm"]) {
            fs.symlinkSync(spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim(), path.join(bin, tool));
        }
        fs.symlinkSync(process.execPath, path.join(bin, "node"));
        const r = spawnSync("bash", [path.join(dir, "scripts", "release.sh"), ...args], {
            encoding: "utf8",
            env: { PATH: bin, HOME: dir, PULUMI_CONFIG_PASSPHRASE: "test" },
        });
        const read = (key: string) => (fs.existsSync(path.join(state, key)) ? fs.readFileSync(path.join(state, key), "utf8") : undefined);
        return {
            status: r.status,
            out: r.stdout + r.stderr,
            calls: fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [],
            config: { weight: read("proxy.canary.weight"), image: read("proxy.canary.image"), proxyImage: read("proxy.image") },
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("npm run release -- promote|abort (scripts/release.sh, stub pulumi)", function () {
    this.timeout(60000);

    it("promote: the stable proxy takes the canary's image, the weight goes to 0, then one pulumi up with the pack", () => {
        const r = release(["prod", "promote", "--yes"], { weight: "10", image: "nginx:1.30.6-alpine" });
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(r.config, { weight: "0", image: undefined, proxyImage: "nginx:1.30.6-alpine" });
        assert.deepEqual(r.calls.filter((c) => !c.startsWith("pulumi config get") && !c.startsWith("pulumi stack select")), [
            "pulumi config set --path proxy.image nginx:1.30.6-alpine",
            "pulumi config rm --path proxy.canary.image",
            "pulumi config set --path proxy.canary.weight 0",
            "pulumi up --stack prod --policy-pack policies --yes",
        ]);
        assert.match(r.out, /^npm run release: stack prod \(the first argument\)/);
        assert.match(r.out, /commit Pulumi\.prod\.yaml/);
    });

    it("abort: the canary and its image go, the stable proxy's image stays, traffic back to it", () => {
        const r = release(["prod", "abort"], { weight: "25", image: "nginx:1.30.6-alpine" });
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(r.config, { weight: "0", image: undefined, proxyImage: undefined });
        assert.ok(r.calls.includes("pulumi up --stack prod --policy-pack policies"), r.calls.join("\n"));
        assert.ok(!r.calls.some((c) => c.startsWith("pulumi config set --path proxy.image")));
    });

    it("refuses a stack without a canary, and a missing or unknown action, before any change", () => {
        const none = release(["staging", "promote"], { weight: "0" });
        assert.equal(none.status, 1);
        assert.match(none.out, /stack 'staging' has no canary to promote: proxy\.canary\.weight is 0/);
        assert.ok(!none.calls.some((c) => / (set|rm|up) /.test(c)), none.calls.join("\n"));
        const unset = release(["prod", "abort"], {});
        assert.match(unset.out, /has no canary to abort: proxy\.canary\.weight is not set/);
        const missing = release(["prod"], { weight: "10" });
        assert.equal(missing.status, 2);
        assert.match(missing.out, /name what to do with the canary: promote or abort\nusage: npm run release -- \[<stack>\] promote\|abort/);
        const unknown = release(["prod", "rollback"], { weight: "10" });
        assert.equal(unknown.status, 2);
        assert.match(unknown.out, /unknown argument 'rollback'/);
        assert.deepEqual(unknown.calls, []);
    });
});
