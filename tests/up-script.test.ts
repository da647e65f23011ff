import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../harness/run-stack";

const UP_SOURCE = path.join(PROJECT_DIR, "scripts", "up.sh");
/** What the script may use from the system; pulumi, docker and npm come from the stubs. */
const SYSTEM_TOOLS = ["bash", "dirname", "mkdir", "grep", "cat"];

interface Stubs {
    pulumi?: string;
    docker?: string;
}

/**
 * Runs up.sh with a PATH holding only the system tools it needs plus stub CLIs that
 * log their arguments and the variables the script sets. The script runs from a copy
 * in a scratch project, so its state directory never touches the real one.
 */
function runUp(args: string[], stubs: Stubs, env: Record<string, string> = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-up-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.mkdirSync(path.join(dir, "scripts"));
    fs.copyFileSync(UP_SOURCE, path.join(dir, "scripts", "up.sh"));
    for (const tool of SYSTEM_TOOLS) {
        const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
        fs.symlinkSync(found, path.join(bin, tool));
    }
    const log = path.join(dir, "calls.log");
    const stub = (name: string, body: string) =>
        fs.writeFileSync(
            path.join(bin, name),
            `#!/bin/bash\necho "${name} $* | backend=$PULUMI_BACKEND_URL passphrase=$PULUMI_CONFIG_PASSPHRASE" >> ${log}\n${body}\n`,
            { mode: 0o755 },
        );
    if (stubs.pulumi !== undefined) stub("pulumi", stubs.pulumi);
    if (stubs.docker !== undefined) stub("docker", stubs.docker);
    stub("npm", "exit 0");
    const r = spawnSync("bash", [path.join(dir, "scripts", "up.sh"), ...args], { encoding: "utf8", env: { PATH: bin, HOME: dir, ...env } });
    const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
    const stateDirCreated = fs.existsSync(path.join(dir, ".pulumi-state"));
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: r.status, out: r.stdout + r.stderr, calls, project: dir, stateDirCreated };
}

const healthyDocker = 'if [ "$1" = info ] && [ "$2" = --format ]; then echo \'{"runc":{}}\'; fi; exit 0';
/** `config get` fails (key unset), everything else succeeds. */
const pulumiWithoutGpuKey = 'if [ "$1" = config ] && [ "$2" = get ]; then exit 1; fi; exit 0';

describe("npm run up (scripts/up.sh)", () => {
    it("says how to install the Pulumi CLI when it is missing", () => {
        const r = runUp([], { docker: healthyDocker });
        assert.equal(r.status, 1);
        assert.match(r.out, /the Pulumi CLI is not installed\. Install it \(https:\/\/www\.pulumi\.com\/docs\/install\//);
    });

    it("says how to install Docker when the CLI is missing", () => {
        const r = runUp([], { pulumi: "exit 0" });
        assert.equal(r.status, 1);
        assert.match(r.out, /the Docker CLI is not installed\. Install Docker Engine/);
    });

    it("says how to start the Docker engine when it does not answer", () => {
        const r = runUp([], { pulumi: "exit 0", docker: "exit 1" });
        assert.equal(r.status, 1);
        assert.match(r.out, /the Docker engine is not reachable \('docker info' failed\)\. Start it/);
    });

    it("uses a project-local file backend and the dev passphrase, creates the stack and runs pulumi up", () => {
        const r = runUp(["--yes"], { pulumi: pulumiWithoutGpuKey, docker: healthyDocker });
        assert.equal(r.status, 0, r.out);
        const pulumiCalls = r.calls.filter((c) => c.startsWith("pulumi "));
        const backend = `backend=file://${r.project}/.pulumi-state passphrase=llm-platform-dev`;
        assert.ok(r.stateDirCreated);
        assert.ok(r.calls.includes(`npm ci | ${backend}`), "installs dependencies on a fresh clone");
        assert.deepEqual(pulumiCalls, [
            `pulumi stack select --create --secrets-provider passphrase dev | ${backend}`,
            `pulumi config get --path ollama.gpu | ${backend}`,
            `pulumi config set --path ollama.gpu false | ${backend}`,
            `pulumi up --stack dev --yes | ${backend}`,
        ]);
    });

    it("turns the GPU on when Docker has the NVIDIA runtime", () => {
        const docker = 'if [ "$1" = info ] && [ "$2" = --format ]; then echo \'{"nvidia":{},"runc":{}}\'; fi; exit 0';
        const r = runUp([], { pulumi: pulumiWithoutGpuKey, docker });
        assert.equal(r.status, 0, r.out);
        assert.ok(r.calls.some((c) => c.startsWith("pulumi config set --path ollama.gpu true")), r.calls.join("\n"));
    });

    it("leaves an explicit ollama.gpu alone", () => {
        const r = runUp([], { pulumi: "exit 0", docker: healthyDocker });
        assert.equal(r.status, 0, r.out);
        assert.ok(!r.calls.some((c) => c.startsWith("pulumi config set")), r.calls.join("\n"));
    });

    it("keeps the backend and passphrase the user chose", () => {
        const r = runUp([], { pulumi: "exit 0", docker: healthyDocker }, { PULUMI_BACKEND_URL: "s3://bucket/state", PULUMI_CONFIG_PASSPHRASE: "mine" });
        assert.equal(r.status, 0, r.out);
        assert.ok(r.calls.filter((c) => c.startsWith("pulumi ")).every((c) => c.endsWith("backend=s3://bucket/state passphrase=mine")));
    });

    it("refuses the built-in passphrase for any stack but dev", () => {
        const r = runUp(["prod"], { pulumi: "exit 0" });
        assert.equal(r.status, 1);
        assert.match(r.out, /stack 'prod' needs a secrets passphrase/);
    });
});
