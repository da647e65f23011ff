import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../harness/run-stack";

/** What the scripts may use from the system; pulumi, docker, npm and npx come from the stubs. */
const SYSTEM_TOOLS = ["bash", "dirname", "mkdir", "grep", "cat", "mv", "sort", "head"];

interface Stubs {
    pulumi?: string;
    docker?: string;
    npx?: string;
}

interface Run {
    status: number | null;
    out: string;
    calls: string[];
    project: string;
    files: Record<string, string | undefined>;
}

/**
 * Runs one of the npm scripts (scripts/<name>.sh) from a scratch copy of the project with a
 * PATH holding only the system tools they need plus stub CLIs that log their arguments and
 * the variables the scripts set. The real project's state and stack files are never touched.
 */
function runScript(script: string, args: string[], stubs: Stubs, env: Record<string, string> = {}, setup?: (dir: string) => void): Run {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-up-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.cpSync(path.join(PROJECT_DIR, "scripts"), path.join(dir, "scripts"), { recursive: true });
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), path.join(dir, "Pulumi.dev.yaml"));
    for (const d of [".", "policies"]) {
        fs.mkdirSync(path.join(dir, d), { recursive: true });
        fs.writeFileSync(path.join(dir, d, "package-lock.json"), "{}");
    }
    setup?.(dir);
    for (const tool of SYSTEM_TOOLS) {
        const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
        fs.symlinkSync(found, path.join(bin, tool));
    }
    const log = path.join(dir, "calls.log");
    const stub = (name: string, body: string) =>
        fs.writeFileSync(
            path.join(bin, name),
            `#!/bin/bash\necho "${name} $* | backend=$PULUMI_BACKEND_URL passphrase=$PULUMI_CONFIG_PASSPHRASE docker_host=$DOCKER_HOST info=\${LLM_PLATFORM_DOCKER_INFO:+set} cwd=\${PWD#${dir}}" >> ${log}\n${body}\n`,
            { mode: 0o755 },
        );
    if (stubs.pulumi !== undefined) stub("pulumi", stubs.pulumi);
    if (stubs.docker !== undefined) stub("docker", stubs.docker);
    stub("npx", stubs.npx ?? "exit 0");
    stub("npm", 'mkdir -p node_modules && echo "{}" > node_modules/.package-lock.json');
    const r = spawnSync("bash", [path.join(dir, "scripts", `${script}.sh`), ...args], { encoding: "utf8", env: { PATH: bin, HOME: dir, ...env }, input: "" });
    const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
    const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8") : undefined);
    const files = { stackFile: read("Pulumi.dev.yaml"), salt: read(".pulumi-state/dev.encryptionsalt") };
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: r.status, out: r.stdout + r.stderr, calls, project: dir, files };
}

const dockerInfo = (runtimes: string) => `{"NCPU":8,"MemTotal":17179869184,"SwapLimit":true,"ServerVersion":"29.1.2","Runtimes":${runtimes}}`;
const docker = (runtimes = '{"runc":{}}', endpoint = "unix:///var/run/docker.sock") =>
    `case "$1" in info) echo '${dockerInfo(runtimes)}';; context) echo '${endpoint}';; esac; exit 0`;
const healthyDocker = docker();
/** `stack select --create` writes the passphrase salt into the stack file, as the real CLI does. */
const pulumiWritingSalt = 'if [ "$1" = stack ] && [ "$2" = select ]; then { echo "encryptionsalt: v1:c2FsdA==:v1:abc"; cat Pulumi.dev.yaml; } > s.tmp && mv s.tmp Pulumi.dev.yaml; fi; if [ "$1" = up ]; then grep -c encryptionsalt Pulumi.dev.yaml >> salt-seen.log; fi; exit 0';
const pulumiCalls = (r: Run) => r.calls.filter((c) => c.startsWith("pulumi ")).map((c) => c.slice(0, c.indexOf(" |")));

describe("npm run up (scripts/up.sh)", () => {
    it("says how to install the Pulumi CLI when it is missing", () => {
        const r = runScript("up", [], { docker: healthyDocker });
        assert.equal(r.status, 1);
        assert.match(r.out, /the Pulumi CLI is not installed\. Install it \(https:\/\/www\.pulumi\.com\/docs\/install\//);
    });

    it("says how to install Docker when the CLI is missing", () => {
        const r = runScript("up", [], { pulumi: "exit 0" });
        assert.equal(r.status, 1);
        assert.match(r.out, /the Docker CLI is not installed\. Install Docker Engine/);
    });

    it("says how to start the Docker engine when it does not answer", () => {
        const r = runScript("up", [], { pulumi: "exit 0", docker: "exit 1" });
        assert.equal(r.status, 1);
        assert.match(r.out, /the Docker engine is not reachable \('docker info' failed\)\. Start it/);
    });

    it("installs dependencies, uses local state and the dev passphrase, runs the preflight, then pulumi up with the policy pack", () => {
        const r = runScript("up", ["--yes"], { pulumi: "exit 0", docker: healthyDocker });
        assert.equal(r.status, 0, r.out);
        const env = `backend=file://${r.project}/.pulumi-state passphrase=llm-platform-dev docker_host= info=set`;
        assert.ok(r.calls.includes(`npm ci --no-audit --no-fund | ${env} cwd=`), r.calls.join("\n"));
        assert.ok(r.calls.includes(`npm ci --no-audit --no-fund | ${env} cwd=/policies`), "the policy pack's dependencies too");
        assert.ok(r.calls.includes(`npx ts-node --transpile-only scripts/preflight.ts dev | ${env} cwd=`), r.calls.join("\n"));
        assert.deepEqual(pulumiCalls(r), ["pulumi stack select --create --secrets-provider passphrase dev", "pulumi up --stack dev --policy-pack policies --yes"]);
        assert.ok(r.calls.filter((c) => c.startsWith("pulumi ")).every((c) => c.includes(env)));
        assert.ok(!r.calls.some((c) => c.startsWith("pulumi config set")), "writes nothing into the stack file");
    });

    it("skips npm ci when the installed tree is newer than the lockfiles", () => {
        const r = runScript("up", [], { pulumi: "exit 0", docker: healthyDocker }, {}, (dir) => {
            for (const d of [".", "policies"]) {
                fs.mkdirSync(path.join(dir, d, "node_modules"), { recursive: true });
                const marker = path.join(dir, d, "node_modules", ".package-lock.json");
                fs.writeFileSync(marker, "{}");
                const later = new Date(Date.now() + 60_000);
                fs.utimesSync(marker, later, later);
            }
        });
        assert.equal(r.status, 0, r.out);
        assert.ok(!r.calls.some((c) => c.startsWith("npm ci")), r.calls.join("\n"));
    });

    it("points the provider at the current docker context's engine when DOCKER_HOST is unset", () => {
        const r = runScript("up", [], { pulumi: "exit 0", docker: docker('{"runc":{}}', "unix:///home/me/.colima/default/docker.sock") });
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, /DOCKER_HOST=unix:\/\/\/home\/me\/\.colima\/default\/docker\.sock \(the current docker context\)/);
        const up = r.calls.find((c) => c.startsWith("pulumi up"))!;
        assert.match(up, /docker_host=unix:\/\/\/home\/me\/\.colima\/default\/docker\.sock/);
    });

    it("keeps a DOCKER_HOST the user set", () => {
        const r = runScript("up", [], { pulumi: "exit 0", docker: docker('{"runc":{}}', "unix:///other.sock") }, { DOCKER_HOST: "tcp://10.0.0.5:2376" });
        assert.equal(r.status, 0, r.out);
        assert.ok(r.calls.filter((c) => c.startsWith("pulumi ")).every((c) => c.includes("docker_host=tcp://10.0.0.5:2376")));
    });

    it("keeps the passphrase salt out of the tracked stack file, and hands it to Pulumi while it runs", () => {
        const r = runScript("up", [], { pulumi: pulumiWritingSalt, docker: healthyDocker });
        assert.equal(r.status, 0, r.out);
        assert.ok(!r.files.stackFile!.includes("encryptionsalt"), r.files.stackFile);
        assert.equal(r.files.salt, "encryptionsalt: v1:c2FsdA==:v1:abc\n");
    });

    it("stops before pulumi up when the preflight finds a problem", () => {
        const r = runScript("up", [], { pulumi: "exit 0", docker: healthyDocker, npx: "exit 1" });
        assert.equal(r.status, 1);
        assert.ok(!pulumiCalls(r).some((c) => c.startsWith("pulumi up")), r.calls.join("\n"));
    });

    it("keeps the backend and passphrase the user chose", () => {
        const r = runScript("up", [], { pulumi: "exit 0", docker: healthyDocker }, { PULUMI_BACKEND_URL: "s3://bucket/state", PULUMI_CONFIG_PASSPHRASE: "mine" });
        assert.equal(r.status, 0, r.out);
        assert.ok(r.calls.filter((c) => c.startsWith("pulumi ")).every((c) => c.includes("backend=s3://bucket/state passphrase=mine")));
    });

    it("refuses the built-in passphrase for any stack but dev", () => {
        const r = runScript("up", ["prod"], { pulumi: "exit 0" });
        assert.equal(r.status, 1);
        assert.match(r.out, /stack 'prod' needs a secrets passphrase/);
    });
});

describe("daily commands in the same environment (scripts/env.sh)", () => {
    const env = (r: Run) => `backend=file://${r.project}/.pulumi-state passphrase=llm-platform-dev`;

    it("npm run down destroys the stack but keeps protected data", () => {
        const r = runScript("down", ["--yes"], { pulumi: "exit 0", docker: healthyDocker });
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(pulumiCalls(r), ["pulumi destroy --stack dev --exclude-protected --yes"]);
        assert.ok(r.calls.find((c) => c.startsWith("pulumi destroy"))!.includes(env(r)));
        assert.match(r.out, /data kept: volumes labelled llm-platform\.stack=llm-platform-dev/);
    });

    it("npm run delete-data asks for the stack name and deletes nothing without it", () => {
        const r = runScript("delete-data", [], { pulumi: "exit 0", docker: healthyDocker });
        assert.equal(r.status, 1);
        assert.match(r.out, /nothing deleted/);
        assert.deepEqual(pulumiCalls(r), []);
    });

    it("npm run delete-data -- --yes unprotects, destroys and removes the retained volumes", () => {
        const dockerWithVolumes = `case "$1" in info) echo '${dockerInfo("{}")}';; volume) [ "$2" = ls ] && echo llm-platform-dev-sqlserver-data;; esac; exit 0`;
        const r = runScript("delete-data", ["--yes"], { pulumi: "exit 0", docker: dockerWithVolumes });
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(pulumiCalls(r), ["pulumi state unprotect --stack dev --all --yes", "pulumi destroy --stack dev --yes"]);
        assert.ok(r.calls.some((c) => c.startsWith("docker volume rm llm-platform-dev-sqlserver-data")), r.calls.join("\n"));
    });

    it("npm run outputs shows the outputs and how to read the secrets", () => {
        const r = runScript("outputs", [], { pulumi: "exit 0" });
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(pulumiCalls(r), ["pulumi stack output --stack dev"]);
        assert.match(r.out, /stack output --show-secrets apiKeys/);
        assert.match(r.out, /Authorization: Bearer/);
    });

    it("npm run status lists the stack's containers with state and health", () => {
        const r = runScript("status", [], { docker: healthyDocker });
        assert.equal(r.status, 0, r.out);
        assert.ok(r.calls.some((c) => c.startsWith("docker ps --all --filter label=llm-platform.stack=llm-platform-dev --format table")), r.calls.join("\n"));
    });

    it("npm run pulumi passes any command through with the backend, passphrase and stack set", () => {
        const r = runScript("pulumi", ["config", "set", "--path", "redis.memoryMb", "1024"], { pulumi: "exit 0", docker: healthyDocker });
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(pulumiCalls(r), ["pulumi stack select dev", "pulumi config set --path redis.memoryMb 1024"]);
        assert.ok(r.calls.find((c) => c.startsWith("pulumi config"))!.includes(env(r)));
    });
});

describe("npm run backup and npm run restore (Docker stack)", () => {
    /** docker ps answers with these scheduler lines (name, label); everything else succeeds. */
    const dockerWith = (psLines: string) => `case "$1" in info) echo '${dockerInfo("{}")}';; ps) printf '${psLines}';; esac; exit 0`;

    it("runs every scheduler's backup now, or one store's", () => {
        const r = runScript("backup", [], { docker: dockerWith("llm-platform-dev-sqlserver-backup-log log\\nllm-platform-dev-sqlserver-backup-full full\\nllm-platform-dev-timescale-backup-full full\\n") });
        assert.equal(r.status, 0, r.out);
        const execs = r.calls.filter((c) => c.startsWith("docker exec")).map((c) => c.slice(0, c.indexOf(" |")));
        assert.deepEqual(execs, [
            "docker exec llm-platform-dev-sqlserver-backup-full sh /opt/llm-platform/backup.sh backup full",
            "docker exec llm-platform-dev-sqlserver-backup-log sh /opt/llm-platform/backup.sh backup log",
            "docker exec llm-platform-dev-timescale-backup-full sh /opt/llm-platform/backup.sh backup full",
        ]);
        const one = runScript("backup", ["qdrant"], { docker: dockerWith("llm-platform-dev-qdrant-backup-snapshot snapshot\\n") });
        assert.ok(one.calls.some((c) => c.includes("--filter label=llm-platform.service=qdrant")), one.calls.join("\n"));
    });

    it("says so when no scheduler runs", () => {
        const r = runScript("backup", [], { docker: dockerWith("") });
        assert.equal(r.status, 1);
        assert.match(r.out, /no running backup scheduler in stack 'dev'/);
    });

    it("restores Valkey with the server stopped, and starts it again", () => {
        const r = runScript("restore", ["redis", "latest"], { docker: dockerWith("llm-platform-dev-redis-backup-full true\\n") });
        assert.equal(r.status, 0, r.out);
        const docker = r.calls.filter((c) => /^docker (stop|start|exec)/.test(c)).map((c) => c.slice(0, c.indexOf(" |")));
        assert.deepEqual(docker, [
            "docker stop llm-platform-dev-redis",
            "docker exec llm-platform-dev-redis-backup-full sh /opt/llm-platform/backup.sh restore latest",
            "docker start llm-platform-dev-redis",
        ]);
    });

    it("restores a store through its API without stopping it, and lists backups without an id", () => {
        const r = runScript("restore", ["sqlserver", "20261123T020000Z-full", "2026-11-23T09:30:00"], { docker: dockerWith("llm-platform-dev-sqlserver-backup-full \\n") });
        assert.equal(r.status, 0, r.out);
        assert.ok(!r.calls.some((c) => c.startsWith("docker stop")));
        assert.ok(r.calls.some((c) => c.startsWith("docker exec llm-platform-dev-sqlserver-backup-full sh /opt/llm-platform/backup.sh restore 20261123T020000Z-full 2026-11-23T09:30:00")));
        const list = runScript("restore", ["timescale"], { docker: dockerWith("llm-platform-dev-timescale-backup-full \\n") });
        assert.ok(list.calls.some((c) => c.startsWith("docker exec llm-platform-dev-timescale-backup-full sh /opt/llm-platform/backup.sh list")));
    });
});

