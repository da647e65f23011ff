import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR, runStack } from "../harness/run-stack";

/** What the scripts may use from the system; pulumi, docker, npm, npx (and node, when a test says) come from stubs. */
const SYSTEM_TOOLS = ["bash", "dirname", "mkdir", "grep", "cat", "mv", "sort", "head", "mktemp", "chmod", "rm", "basename", "jq", "sed", "date", "sleep"];
const systemTools = SYSTEM_TOOLS.map((tool) => [tool, spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim()]);

interface Stubs {
    pulumi?: string;
    docker?: string;
    npx?: string;
    aws?: string;
    kubectl?: string;
    /** A stub for node; default: the real node (scripts/check-node.js runs on it). */
    node?: string;
}

interface Run {
    status: number | null;
    out: string;
    stdout: string;
    stderr: string;
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
    for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "package.json"]) fs.copyFileSync(path.join(PROJECT_DIR, file), path.join(dir, file));
    for (const d of [".", "policies"]) {
        fs.mkdirSync(path.join(dir, d), { recursive: true });
        fs.writeFileSync(path.join(dir, d, "package-lock.json"), "{}");
    }
    setup?.(dir);
    for (const [tool, found] of systemTools) fs.symlinkSync(found, path.join(bin, tool));
    const log = path.join(dir, "calls.log");
    const stub = (name: string, body: string) =>
        fs.writeFileSync(
            path.join(bin, name),
            `#!/bin/bash\necho "${name} $* | backend=$PULUMI_BACKEND_URL passphrase=$PULUMI_CONFIG_PASSPHRASE docker_host=$DOCKER_HOST info=\${LLM_PLATFORM_DOCKER_INFO:+set} cwd=\${PWD#${dir}}" >> ${log}\n${body}\n`,
            { mode: 0o755 },
        );
    if (stubs.pulumi !== undefined) stub("pulumi", stubs.pulumi);
    if (stubs.docker !== undefined) stub("docker", stubs.docker);
    if (stubs.aws !== undefined) stub("aws", stubs.aws);
    if (stubs.kubectl !== undefined) stub("kubectl", stubs.kubectl);
    if (stubs.node !== undefined) stub("node", stubs.node);
    else fs.symlinkSync(process.execPath, path.join(bin, "node"));
    stub("npx", stubs.npx ?? "exit 0");
    stub("npm", 'mkdir -p node_modules && echo "{}" > node_modules/.package-lock.json');
    const r = spawnSync("bash", [path.join(dir, "scripts", `${script}.sh`), ...args], { encoding: "utf8", env: { PATH: bin, HOME: dir, ...env }, input: "" });
    const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
    const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8") : undefined);
    const files = { stackFile: read("Pulumi.dev.yaml"), salt: read(".pulumi-state/dev.encryptionsalt") };
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: r.status, out: r.stdout + r.stderr, stdout: r.stdout, stderr: r.stderr, calls, project: dir, files };
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
        assert.ok(r.calls.includes(`npx ts-node --swc scripts/preflight.ts dev | ${env} cwd=`), r.calls.join("\n"));
        assert.deepEqual(pulumiCalls(r), [
            "pulumi stack select --create --secrets-provider passphrase dev",
            "pulumi up --stack dev --policy-pack policies --yes",
            // Dev parity: the smoke checks against what was just deployed, from the stack's outputs.
            "pulumi stack output --stack dev --json --show-secrets",
        ]);
        assert.match(npxCalls(r).at(-1)!, /^npx ts-node --swc scripts\/smoke\.ts dev --outputs \S+$/);
        assert.match(r.stderr, /npm run up: the smoke checks against what was just deployed \(npm run smoke\):/);
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
        assert.deepEqual(pulumiCalls(r), ["pulumi stack select --create --secrets-provider passphrase dev", "pulumi config set --path redis.memoryMb 1024"]);
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


/** A second Docker stack beside dev, and a Kubernetes stack that is not called prod. */
const withStacks = (dir: string) => {
    fs.copyFileSync(path.join(dir, "Pulumi.dev.yaml"), path.join(dir, "Pulumi.qa.yaml"));
    fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), 'config:\n  llm-platform:platform: "kubernetes"\n');
};
const passphrase = { PULUMI_CONFIG_PASSPHRASE: "not-dev" };
const firstLine = (r: Run) => r.stderr.split("\n")[0];
const dockerCalls = (r: Run) => r.calls.filter((c) => c.startsWith("docker ")).map((c) => c.slice(0, c.indexOf(" |")));
const npxCalls = (r: Run) => r.calls.filter((c) => c.startsWith("npx ")).map((c) => c.slice(0, c.indexOf(" |")));
/** docker that answers `docker ps` for backup schedulers of any store. */
const dockerWithSchedulers = `case "$1" in info) echo '${dockerInfo("{}")}';; ps) echo "llm-platform-qa-redis-backup-full full";; esac; exit 0`;

/** Every script that acts on a stack, with arguments that make it succeed against the stubs. */
const SCRIPTS: { script: string; command: string; args: string[] }[] = [
    { script: "up", command: "npm run up", args: [] },
    { script: "preview", command: "npm run preview", args: [] },
    { script: "down", command: "npm run down", args: [] },
    { script: "delete-data", command: "npm run delete-data", args: ["--yes"] },
    { script: "outputs", command: "npm run outputs", args: [] },
    { script: "status", command: "npm run status", args: [] },
    { script: "backup", command: "npm run backup", args: ["redis"] },
    { script: "restore", command: "npm run restore", args: ["redis"] },
    { script: "pulumi", command: "npm run pulumi", args: ["stack", "ls"] },
    { script: "render", command: "npm run render", args: [] },
    { script: "policy-check", command: "npm run policy:check", args: [] },
    { script: "rotate", command: "npm run rotate", args: ["redis-password"] },
    { script: "deployer-policy", command: "npm run deployer-policy", args: [] },
];
/** What a script did with the stack: the Pulumi --stack, the stack Docker was asked about, or the offline command's argument. */
const stackUsed = (r: Run): string[] => [
    ...r.calls.flatMap((c) => [...c.matchAll(/^pulumi .*?(?:--stack|select(?: --create --secrets-provider passphrase)?) (\S+)/g)].map((m) => m[1])),
    ...r.calls.flatMap((c) => [...c.matchAll(/^docker .*label=llm-platform\.stack=llm-platform-(\S+)/g)].map((m) => m[1])),
    ...r.calls.flatMap((c) => [...c.matchAll(/^npx ts-node --swc scripts\/(?:render|policy-check|deployer-policy)\.ts (\S+)/g)].map((m) => m[1])),
];
const stubsFor = { pulumi: "exit 0", docker: dockerWithSchedulers };

describe("one rule for the stack in every script (scripts/stack-arg.sh)", function () {
    this.timeout(120000);

    it("every script takes the first argument, else LLM_PLATFORM_STACK, else dev, and names it in its first line", () => {
        for (const { script, command, args } of SCRIPTS) {
            const byDefault = runScript(script, args, stubsFor, {}, withStacks);
            assert.equal(byDefault.status, 0, `${script}: ${byDefault.out}`);
            assert.equal(firstLine(byDefault), `${command}: stack dev (the default; name another as the first argument or in LLM_PLATFORM_STACK)`, script);
            assert.ok(stackUsed(byDefault).length > 0 && stackUsed(byDefault).every((s) => s === "dev"), `${script}: ${byDefault.calls.join("\n")}`);

            const byVariable = runScript(script, args, stubsFor, { LLM_PLATFORM_STACK: "qa", ...passphrase }, withStacks);
            assert.equal(byVariable.status, 0, `${script}: ${byVariable.out}`);
            assert.equal(firstLine(byVariable), `${command}: stack qa (LLM_PLATFORM_STACK)`, script);
            assert.ok(stackUsed(byVariable).every((s) => s === "qa"), `${script}: ${byVariable.calls.join("\n")}`);

            const byArgument = runScript(script, ["qa", ...args], stubsFor, { LLM_PLATFORM_STACK: "dev", ...passphrase }, withStacks);
            assert.equal(byArgument.status, 0, `${script}: ${byArgument.out}`);
            assert.equal(firstLine(byArgument), `${command}: stack qa (the first argument; LLM_PLATFORM_STACK=dev is overridden)`, script);
            assert.ok(stackUsed(byArgument).length > 0 && stackUsed(byArgument).every((s) => s === "qa"), `${script}: ${byArgument.calls.join("\n")}`);
        }
    });

    it("every script refuses a stack without a stack file, from the argument or the variable, before doing anything", () => {
        for (const { script, command, args } of SCRIPTS) {
            for (const [argv, env] of [[["stagign", ...args], {}], [args, { LLM_PLATFORM_STACK: "stagign" }]] as const) {
                const r = runScript(script, [...argv], stubsFor, env, withStacks);
                // backup, restore, pulumi and rotate read a first word that is no stack as their own (a store, a Pulumi command, a secret).
                if (argv[0] === "stagign" && ["backup", "restore", "pulumi", "rotate"].includes(script)) continue;
                assert.equal(r.status, 2, `${script} ${argv.join(" ")}: ${r.out}`);
                assert.match(r.stderr, new RegExp(`^${command}: unknown stack 'stagign' \\(from (the first argument|LLM_PLATFORM_STACK)\\): there is no Pulumi\\.stagign\\.yaml; stacks here: dev prod qa staging\\nusage: ${command.replace(/[:]/g, ".")} -- `), script);
                assert.deepEqual(r.calls.filter((c) => !c.startsWith("node ")), [], script);
            }
        }
    });

    it("every script refuses arguments it does not know, with its usage line", () => {
        const cases: [string, string[], RegExp][] = [
            ["up", ["dev", "--target", "x"], /unknown option '--target' \(options for Pulumi itself go after a second '--'\)\nusage: npm run up -- \[<stack>\] \[--yes\] \[-- <pulumi up options>\]/],
            ["preview", ["--diff"], /unknown option '--diff'.*\nusage: npm run preview -- \[<stack>\] \[-- <pulumi preview options>\]/],
            ["down", ["dev", "prod"], /unknown argument 'prod' \(stacks here: dev prod qa staging\)\nusage: npm run down -- /],
            ["delete-data", ["dev", "--force"], /unknown option '--force'/],
            ["outputs", ["--json"], /unknown option '--json'/],
            ["status", ["dev", "redis"], /unknown argument 'redis'/],
            ["backup", ["dev", "redis", "extra"], /unknown argument 'extra'/],
            ["render", ["dev", "out", "more"], /unknown argument 'more'/],
            ["policy-check", ["dev", "prod"], /unknown argument 'prod'/],
            ["rotate", ["dev", "redis-password", "--force"], /unknown option '--force'/],
            ["rotate", ["dev"], /name the secret to rotate\nusage: npm run rotate -- \[<stack>\] <secret> \[--revoke\] \[--yes\]/],
            ["rotate", ["redis-password", "--revoke"], /--revoke is for API keys: redis-password \(configured\) has one valid value at a time/],
        ];
        for (const [script, args, message] of cases) {
            const r = runScript(script, args, stubsFor, {}, withStacks);
            assert.equal(r.status, 2, `${script}: ${r.out}`);
            assert.match(r.stderr, message, script);
            assert.ok(!r.calls.some((c) => /^(pulumi|npx|npm|docker) /.test(c)), `${script}: ${r.calls.join("\n")}`);
        }
    });

    it("prints the usage and the stack rule with --help", () => {
        const r = runScript("up", ["--help"], stubsFor, {}, withStacks);
        assert.equal(r.status, 0);
        assert.match(r.stderr, /^usage: npm run up -- \[<stack>\] \[--yes\] \[-- <pulumi up options>\]\nThe stack: the first argument, else \$LLM_PLATFORM_STACK, else dev \(stacks here: dev prod qa staging\)\./);
    });

    it("passes Pulumi's own options after a second --, and refuses one that names another stack", () => {
        const up = runScript("up", ["dev", "--yes", "--", "--target", "urn:pulumi:dev::llm-platform::x", "--diff"], stubsFor);
        assert.equal(up.status, 0, up.out);
        assert.deepEqual(pulumiCalls(up).at(-2), "pulumi up --stack dev --policy-pack policies --yes --target urn:pulumi:dev::llm-platform::x --diff");
        const down = runScript("down", ["--", "--target", "urn:x"], stubsFor);
        assert.deepEqual(pulumiCalls(down), ["pulumi destroy --stack dev --exclude-protected --target urn:x"]);
        const outputs = runScript("outputs", ["--", "--json"], stubsFor);
        assert.deepEqual(pulumiCalls(outputs), ["pulumi stack output --stack dev --json"]);
        for (const [script, args] of [["up", ["--", "-s", "prod"]], ["preview", ["dev", "--", "--stack=prod"]], ["pulumi", ["preview", "--stack", "prod"]]] as const) {
            const r = runScript(script, [...args], stubsFor);
            assert.equal(r.status, 2, `${script}: ${r.out}`);
            assert.match(r.stderr, /name the stack as the first argument, not with Pulumi's '(-s|--stack=prod|--stack)': the backend, passphrase and Docker host are set up for stack 'dev'/);
            assert.deepEqual(pulumiCalls(r), [], script);
        }
    });

    it("npm run pulumi takes a stack first, and a -- after it", () => {
        const r = runScript("pulumi", ["prod", "--", "config", "get", "tls"], { pulumi: "exit 0" }, passphrase);
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(pulumiCalls(r), ["pulumi stack select --create --secrets-provider passphrase prod", "pulumi config get tls"]);
        assert.deepEqual(dockerCalls(r), [], "prod runs on Kubernetes: no Docker engine asked");
        // Only Pulumi's own output reaches stdout: `$(npm run -s pulumi -- stack output ...)` reads it.
        const output = runScript("pulumi", ["stack", "output", "proxyUrl"], {
            docker: healthyDocker,
            pulumi: 'if [ "$1" = stack ] && [ "$2" = select ]; then echo "Created stack dev"; else echo https://localhost:8443; fi',
        });
        assert.equal(output.status, 0, output.out);
        assert.equal(output.stdout, "https://localhost:8443\n");
        const none = runScript("pulumi", [], { pulumi: "exit 0" });
        assert.equal(none.status, 2);
        assert.match(none.stderr, /name the Pulumi command to run\nusage: npm run pulumi -- \[<stack>\] \[--\] <pulumi arguments>/);
    });
});

describe("npm run backup on a Kubernetes stack (a Job from each backup CronJob, scripts/kube.sh)", () => {
    /** A cluster with these backup CronJobs; each Job ends with `outcome` (succeeded/failed) unless it is named in `failing`. */
    const kubectl = (cronjobs: string, failing = "") => `case "$*" in
    *"get cronjobs"*) printf '${cronjobs}' ;;
    *"get job "*) case "$5" in ${failing || "none"}-*) echo "/1" ;; *) echo "1/" ;; esac ;;
    *"logs "*) echo "backup verified against its manifest" ;;
esac
exit 0`;
    const kubectlCalls = (r: Run) => r.calls.filter((c) => c.startsWith("kubectl ")).map((c) => c.slice(0, c.indexOf(" |")));

    it("runs every backup CronJob of the stack's namespace now and waits for each", () => {
        const r = runScript("backup", ["prod"], { kubectl: kubectl("cronjob.batch/qdrant-backup-snapshot\\ncronjob.batch/timescale-backup-full\\n") }, { LLM_PLATFORM_POLL_SECONDS: "0" });
        assert.equal(r.status, 0, r.out);
        const calls = kubectlCalls(r);
        assert.equal(calls[0], "kubectl --namespace llm-platform get cronjobs --selector llm-platform.role=backup -o name");
        const created = calls.filter((c) => c.includes(" create job "));
        assert.equal(created.length, 2, calls.join("\n"));
        assert.match(created[0], /^kubectl --namespace llm-platform create job --from=cronjob\/qdrant-backup-snapshot qdrant-backup-snapshot-now-\d{14}$/);
        assert.match(created[1], /^kubectl --namespace llm-platform create job --from=cronjob\/timescale-backup-full timescale-backup-full-now-\d{14}$/);
        assert.ok(calls.indexOf(created[0]) < calls.findIndex((c) => c.includes("get job qdrant-backup-snapshot-now-")), "waits for the Job it created");
        assert.match(r.out, /backup verified against its manifest/);
    });

    it("one store by its label; a failed Job fails the command, naming it; the namespace from the stack file", () => {
        const one = runScript("backup", ["prod", "redis"], { kubectl: kubectl("cronjob.batch/redis-backup-full\\n") }, { LLM_PLATFORM_POLL_SECONDS: "0" });
        assert.equal(kubectlCalls(one)[0], "kubectl --namespace llm-platform get cronjobs --selector llm-platform.role=backup,app.kubernetes.io/name=redis -o name");
        const failed = runScript("backup", ["staging"], { kubectl: kubectl("cronjob.batch/redis-backup-full\\ncronjob.batch/qdrant-backup-snapshot\\n", "redis-backup-full") }, { LLM_PLATFORM_POLL_SECONDS: "0" }, (dir) =>
            fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.staging.yaml"), path.join(dir, "Pulumi.staging.yaml")),
        );
        assert.equal(failed.status, 1, failed.out);
        assert.match(failed.out, /redis-backup-full: FAILED/);
        assert.ok(kubectlCalls(failed).some((c) => c.startsWith("kubectl --namespace llm-platform-staging create job --from=cronjob/qdrant-backup-snapshot")), "the other stores still run");
        const none = runScript("backup", ["prod"], { kubectl: kubectl("") });
        assert.equal(none.status, 1);
        assert.match(none.out, /no backup CronJob in namespace llm-platform \(stack 'prod'\)/);
        const missing = runScript("backup", ["prod"], {});
        assert.match(missing.out, /kubectl is not installed/);
    });
});

describe("npm run smoke on a Kubernetes stack (a Job from the stack's smoke template, scripts/smoke.sh)", () => {
    const LOG = "check             result      ms  detail\\ntls               ok          12  certificate valid 80 more days\\nredis             FAILED       3  SET answered \\\"NOAUTH\\\"\\n--- smoke report (JSON) ---\\n{\\n  \\\"passed\\\": false,\\n  \\\"checks\\\": []\\n}\\nsmoke checks failed: redis\\n";
    /** A cluster with these smoke templates; the Job ends `outcome` and its checks container logs `log`. */
    const kubectl = (templates: string, outcome: string, log: string) => `case "$*" in
    *"get cronjob "*) case " ${templates} " in *" $5 "*) exit 0 ;; *) exit 1 ;; esac ;;
    *"get job "*) echo "${outcome}" ;;
    *"logs "*) printf "${log}" ;;
esac
exit 0`;
    const kubectlCalls = (r: Run) => r.calls.filter((c) => c.startsWith("kubectl ")).map((c) => c.slice(0, c.indexOf(" |")));
    const reportDirs: string[] = [];
    const report = () => {
        reportDirs.push(fs.mkdtempSync(path.join(os.tmpdir(), "llm-smoke-report-")));
        return path.join(reportDirs[reportDirs.length - 1], "smoke.json");
    };
    after(() => reportDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    it("runs the checks in the cluster, waits, prints the table, writes the report, and fails naming the failed checks", () => {
        const file = report();
        const r = runScript("smoke", ["prod", "--report", file], { kubectl: kubectl("smoke", "/1", LOG) }, { LLM_PLATFORM_POLL_SECONDS: "0" });
        assert.equal(r.status, 1, r.out);
        const calls = kubectlCalls(r);
        assert.equal(calls[0], "kubectl --namespace llm-platform get cronjob smoke");
        assert.match(calls[1], /^kubectl --namespace llm-platform create job --from=cronjob\/smoke smoke-\d{14}$/);
        assert.ok(calls.some((c) => /^kubectl --namespace llm-platform logs job\/smoke-\d{14} --container checks$/.test(c)), calls.join("\n"));
        assert.match(r.stderr, /redis +FAILED +3 +SET answered "NOAUTH"/);
        assert.match(r.stderr, /\nsmoke checks failed: redis\n$/);
        assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), { passed: false, checks: [] });
        assert.deepEqual(pulumiCalls(r), [], "no Pulumi: nothing secret leaves the cluster");
    });

    it("a passing Job exits 0 with the JSON report on stdout; --canary runs the canary's template", () => {
        const ok = "check  result  ms  detail\\ntls  ok  5  fine\\n--- smoke report (JSON) ---\\n{\\\"passed\\\": true}\\n";
        const r = runScript("smoke", ["staging", "--canary"], { kubectl: kubectl("smoke smoke-canary", "1/", ok) }, { LLM_PLATFORM_POLL_SECONDS: "0" }, (dir) =>
            fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.staging.yaml"), path.join(dir, "Pulumi.staging.yaml")),
        );
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(JSON.parse(r.stdout), { passed: true });
        assert.match(kubectlCalls(r)[1], /^kubectl --namespace llm-platform-staging create job --from=cronjob\/smoke-canary smoke-canary-\d{14}$/);
    });

    it("says why when the stack has no template (no canary), or the Job ended before the checks reported", () => {
        const none = runScript("smoke", ["prod", "--canary"], { kubectl: kubectl("smoke", "1/", "") });
        assert.equal(none.status, 1);
        assert.match(none.stderr, /stack 'prod' has no smoke Job template smoke-canary in namespace llm-platform \(a canary runs only while proxy\.canary\.weight is above 0\)/);
        const file = report();
        const early = runScript("smoke", ["prod", "--report", file], { kubectl: kubectl("smoke", "/1", "") }, { LLM_PLATFORM_POLL_SECONDS: "0" });
        assert.equal(early.status, 1);
        assert.match(early.stderr, /the smoke Job smoke-\d{14} failed before the checks reported: kubectl -n llm-platform describe job smoke-\d{14}/);
        assert.equal(JSON.parse(fs.readFileSync(file, "utf8")).passed, false);
        const docker = runScript("smoke", ["dev", "--canary"], {});
        assert.equal(docker.status, 2);
        assert.match(docker.stderr, /--canary: stack 'dev' runs on Docker, where there is no canary/);
    });
});

describe("npm run down and delete-data on stacks that do not run on Docker (#16 item 12)", () => {
    it("npm run down -- prod refuses, naming why and what to run instead, before touching anything", () => {
        const r = runScript("down", ["prod"], { pulumi: "exit 0", docker: healthyDocker }, passphrase);
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            /stack 'prod' runs on kubernetes \(llm-platform:platform in Pulumi\.prod\.yaml\), and this command serves Docker stacks only\. There, 'pulumi destroy --exclude-protected' \(what npm run down runs\) would delete the hardening of the retained S3 buckets .* Change the stack with 'npm run preview -- prod' and 'npm run up -- prod'; taking it down is a deliberate, reviewed change: docs\/prod\.md, 'Taking prod down'\./,
        );
        assert.deepEqual(r.calls, [], "no pulumi, no npm ci");
    });

    it("refuses by the stack's platform, not its name: a Kubernetes stack called staging, or prod from the variable", () => {
        for (const [args, env] of [[["staging"], passphrase], [[], { LLM_PLATFORM_STACK: "prod", ...passphrase }]] as const) {
            const r = runScript("down", [...args], { pulumi: "exit 0" }, env, withStacks);
            assert.equal(r.status, 1, r.out);
            assert.match(r.stderr, /runs on kubernetes .* serves Docker stacks only/);
            assert.deepEqual(pulumiCalls(r), []);
        }
        const docker = runScript("down", ["qa", "--yes"], { pulumi: "exit 0", docker: healthyDocker }, passphrase, withStacks);
        assert.deepEqual(pulumiCalls(docker), ["pulumi destroy --stack qa --exclude-protected --yes"]);
        assert.match(docker.stderr, /data kept: volumes labelled llm-platform\.stack=llm-platform-qa .*'npm run up -- qa' brings the stack back onto them, 'npm run delete-data -- qa' deletes them/);
    });

    it("npm run delete-data follows the same rule: any Docker stack, never a Kubernetes one", () => {
        const prod = runScript("delete-data", ["prod", "--yes"], { pulumi: "exit 0", docker: healthyDocker }, passphrase);
        assert.equal(prod.status, 1);
        assert.match(prod.stderr, /stack 'prod' runs on kubernetes .*deleted by hand, deliberately: docs\/prod\.md/);
        assert.deepEqual(prod.calls, []);
        const qa = runScript("delete-data", ["--yes"], { pulumi: "exit 0", docker: healthyDocker }, { LLM_PLATFORM_STACK: "qa", ...passphrase }, withStacks);
        assert.equal(qa.status, 0, qa.out);
        assert.deepEqual(pulumiCalls(qa), ["pulumi state unprotect --stack qa --all --yes", "pulumi destroy --stack qa --yes"]);
        assert.ok(dockerCalls(qa).includes("docker volume ls --quiet --filter label=llm-platform.stack=llm-platform-qa"), qa.calls.join("\n"));
    });

    it("status and restore name the Kubernetes way for prod", () => {
        for (const [script, args, hint] of [
            ["status", ["prod"], /kubectl -n <kubernetes\.namespace, default llm-platform> get pods,jobs,pvc/],
            ["restore", ["prod", "redis"], /the restore Job template of the store \(docs\/backups\.md\)/],
        ] as const) {
            const r = runScript(script, [...args], { docker: healthyDocker });
            assert.equal(r.status, 1, `${script}: ${r.out}`);
            assert.match(r.stderr, hint, script);
            assert.deepEqual(dockerCalls(r), [], script);
        }
    });
});

describe("npm run up says everything that is missing in one run", () => {
    it("reports a missing Pulumi CLI and a missing Docker CLI together, and stops before changing anything", () => {
        const r = runScript("up", [], {});
        assert.equal(r.status, 1);
        assert.match(r.stderr, /the Pulumi CLI is not installed\. Install it/);
        assert.match(r.stderr, /the Docker CLI is not installed\. Install Docker Engine/);
        assert.match(r.stderr, /stopped before changing anything: 2 problem\(s\) above\./);
        assert.ok(!r.calls.some((c) => c.startsWith("npm ")), "no npm ci either");
    });

    it("reports an unsupported Node.js with the other problems", () => {
        const r = runScript("up", [], { docker: "exit 1", node: 'echo "Node.js 18.19.0 cannot run this project: it needs Node.js ^20.17.0 || >=22.9.0"; exit 1' });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /npm run up: Node\.js 18\.19\.0 cannot run this project/);
        assert.match(r.stderr, /the Pulumi CLI is not installed/);
        assert.match(r.stderr, /the Docker engine is not reachable/);
        assert.match(r.stderr, /3 problem\(s\) above/);
    });

    it("checks the real Node.js against package.json's range with the project's semver", () => {
        const r = runScript("up", [], { pulumi: "exit 0", docker: healthyDocker }, {}, (dir) => {
            fs.mkdirSync(path.join(dir, "node_modules"), { recursive: true });
            fs.symlinkSync(path.join(PROJECT_DIR, "node_modules", "semver"), path.join(dir, "node_modules", "semver"));
            const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
            fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ ...pkg, engines: { node: ">=99" } }));
        });
        assert.equal(r.status, 1);
        assert.match(r.stderr, new RegExp(`Node\\.js ${process.versions.node.replace(/\./g, "\\.")} cannot run this project: it needs Node\\.js >=99`));
    });

    it("needs no Docker for a Kubernetes stack", () => {
        const r = runScript("up", ["prod", "--yes"], { pulumi: "exit 0" }, passphrase);
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(pulumiCalls(r), ["pulumi stack select --create --secrets-provider passphrase prod", "pulumi up --stack prod --policy-pack policies --yes"]);
        assert.ok(npxCalls(r).includes("npx ts-node --swc scripts/preflight.ts prod"));
    });
});

describe("npm run preview (scripts/preview.sh)", () => {
    it("previews with the policy pack in the same environment as npm run up", () => {
        const r = runScript("preview", [], { pulumi: "exit 0", docker: healthyDocker });
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(pulumiCalls(r), ["pulumi stack select --create --secrets-provider passphrase dev", "pulumi preview --stack dev --policy-pack policies"]);
        const env = `backend=file://${r.project}/.pulumi-state passphrase=llm-platform-dev docker_host= info=set`;
        assert.ok(r.calls.filter((c) => c.startsWith("pulumi ")).every((c) => c.includes(env)), r.calls.join("\n"));
        assert.ok(r.calls.some((c) => c.startsWith("npm ci")), "installs the dependencies, policy pack included");
    });

    it("previews another stack, with Pulumi's options after --", () => {
        const r = runScript("preview", ["prod", "--", "--diff"], { pulumi: "exit 0" }, passphrase);
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(pulumiCalls(r).at(-1), "pulumi preview --stack prod --policy-pack policies --diff");
    });
});

describe("npm run render and npm run policy:check (offline commands)", () => {
    it("render: dev into rendered/dev by default, a relative folder from where the command was typed", () => {
        const r = runScript("render", [], {});
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(npxCalls(r), [`npx ts-node --swc scripts/render.ts dev ${r.project}/rendered/dev`]);
        const out = runScript("render", ["prod", "review"], {}, { INIT_CWD: "/home/me/work" });
        assert.deepEqual(npxCalls(out), ["npx ts-node --swc scripts/render.ts prod /home/me/work/review"]);
        const absolute = runScript("render", ["prod", "/srv/review"], {});
        assert.deepEqual(npxCalls(absolute), ["npx ts-node --swc scripts/render.ts prod /srv/review"]);
        assert.ok(![...r.calls, ...out.calls].some((c) => /^(pulumi|docker) /.test(c)), "no Pulumi CLI or Docker");
    });

    it("policy:check: the stack by the same rule; installs dependencies first", () => {
        const r = runScript("policy-check", [], {}, { LLM_PLATFORM_STACK: "prod" });
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(npxCalls(r), ["npx ts-node --swc scripts/policy-check.ts prod"]);
        assert.ok(r.calls.some((c) => c.startsWith("npm ci")));
    });
});

describe("the stores of npm run backup and npm run restore", () => {
    it("refuses an unknown store with the list of stores, before asking Docker", () => {
        for (const script of ["restore", "backup"]) {
            const r = runScript(script, ["postgres"], { docker: healthyDocker });
            assert.equal(r.status, 2, r.out);
            assert.match(r.stderr, /unknown store 'postgres': the stores are sqlserver, timescale, redis, qdrant \(stacks here: dev prod\)\nusage: npm run (restore|backup) -- \[<stack>\]/);
            assert.deepEqual(dockerCalls(r), [], script);
        }
        const none = runScript("restore", [], { docker: healthyDocker });
        assert.equal(none.status, 2);
        assert.match(none.stderr, /name the store to restore\nusage: npm run restore -- \[<stack>\] <store> \[<backup id>\|latest/);
    });

    it("lists exactly the stores the dev stack runs a backup scheduler for", async () => {
        const env = fs.readFileSync(path.join(PROJECT_DIR, "scripts", "env.sh"), "utf8");
        const listed = /^llm_backup_stores="([^"]*)"$/m.exec(env)![1].split(" ").sort();
        const run = await runStack("dev");
        const label = (c: any, name: string) => c.inputs.labels.find((l: any) => l.label === name)?.value;
        const scheduled = run
            .ofType("docker:index/container:Container")
            .filter((c) => label(c, "llm-platform.role") === "backup")
            .map((c) => label(c, "llm-platform.service"));
        assert.deepEqual([...new Set(scheduled)].sort(), listed);
    });
});

describe("npm run rotate (scripts/rotate.sh)", function () {
    this.timeout(60000);
    const URN = "urn:pulumi:prod::llm-platform::llm-platform:stack:Platform$llm-platform:data:Timescale$random:index/randomPassword:RandomPassword";
    /** pulumi for the prod stack: the rotation's generation in the config (none: never rotated), the URNs and outputs of a deployed stack. */
    const pulumiWith = (generation?: number) => `case "$*" in
  "config get --stack prod --path rotation."*) ${generation === undefined ? "exit 1" : `echo ${generation}`} ;;
  "stack --stack prod --show-urns") echo "    URN: ${URN.replace(/\$/g, "\\$")}::timescale-password-r1"; echo "    URN: urn:pulumi:prod::llm-platform::llm-platform:stack:Platform\\$tls:index/privateKey:PrivateKey::tls-server-key" ;;
  "stack output --stack prod aws --json") echo '{"database":{"masterUserSecretArn":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds-abc"}}' ;;
esac
exit 0`;
    const rotate = (args: string[], generation?: number) => runScript("rotate", ["prod", ...args, "--yes"], { pulumi: pulumiWith(generation), aws: "exit 0" }, passphrase);
    const UP = "pulumi up --stack prod --policy-pack policies --yes";
    const changes = (r: Run) => pulumiCalls(r).filter((c) => !/^pulumi (stack select|stack --stack prod --show-urns|config get|stack output)/.test(c));

    it("an API key: raises its generation, keeps the previous key accepted, then revokes it; each through npm run up", () => {
        const r = rotate(["proxy-api-key-default"]);
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(changes(r), [
            "pulumi config set --stack prod --path rotation.proxy-api-key-default.generation 1",
            "pulumi config set --stack prod --path rotation.proxy-api-key-default.previousAccepted true",
            UP,
        ]);
        assert.ok(npxCalls(r).includes("npx ts-node --swc scripts/preflight.ts prod"), "the preflight of npm run up");
        assert.match(r.stderr, /then: npm run rotate -- prod proxy-api-key-default --revoke/);
        const revoke = rotate(["proxy-api-key-default", "--revoke"], 1);
        assert.equal(revoke.status, 0, revoke.out);
        assert.deepEqual(changes(revoke), ["pulumi config set --stack prod --path rotation.proxy-api-key-default.previousAccepted false", UP]);
    });

    it("a stored secret: unprotects the generation that leaves the state, then raises its generation", () => {
        const r = rotate(["timescale-password"], 2);
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(changes(r), [`pulumi state unprotect --stack prod --yes ${URN}::timescale-password-r1`, "pulumi config set --stack prod --path rotation.timescale-password.generation 3", UP]);
        const first = rotate(["timescale-password"]);
        assert.deepEqual(changes(first), ["pulumi config set --stack prod --path rotation.timescale-password.generation 1", UP], "the first rotation keeps every generation");
    });

    it("a failed update says to finish it with npm run up, not to rotate again", () => {
        const r = runScript("rotate", ["prod", "redis-password"], { pulumi: `${pulumiWith(0).replace(/exit 0$/, "")}[ "$1" = up ] && exit 255; exit 0`, aws: "exit 0" }, passphrase);
        assert.equal(r.status, 1, r.out);
        assert.match(r.stderr, /the rotation of redis-password is configured \(generation 1\) but the update did not finish: fix the cause, then npm run up -- prod \(not npm run rotate again/);
    });

    it("a private key: replaced with what it signs, in one npm run up", () => {
        const r = rotate(["tls-server-key"]);
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(changes(r), [`${UP} --replace urn:pulumi:prod::llm-platform::llm-platform:stack:Platform$tls:index/privateKey:PrivateKey::tls-server-key`]);
    });

    it("RDS's master password: rotated by Secrets Manager, no update", () => {
        const r = rotate(["rds-master-password"]);
        assert.equal(r.status, 0, r.out);
        assert.ok(r.calls.some((c) => c.startsWith("aws secretsmanager rotate-secret --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds-abc |")), r.calls.join("\n"));
        assert.deepEqual(changes(r), []);
    });
});

describe("npm run up ends with the smoke checks on Docker stacks (dev parity)", () => {
    it("a failed smoke check fails npm run up, after pulumi up; the outputs file is gone", () => {
        const r = runScript("up", ["--yes"], { pulumi: 'if [ "$1 $2" = "stack output" ]; then echo "{}"; fi; exit 0', docker: healthyDocker, npx: 'case "$*" in *smoke.ts*) echo "smoke checks failed: redis" >&2; exit 1;; esac; exit 0' });
        assert.equal(r.status, 1, r.out);
        assert.match(r.stderr, /smoke checks failed: redis\n$/);
        const outputsFile = /scripts\/smoke\.ts dev --outputs (\S+)/.exec(npxCalls(r).at(-1)!)![1];
        assert.ok(!fs.existsSync(outputsFile), "the stack's outputs (secrets) are not left behind");
    });

    it("a Kubernetes stack's up runs no smoke checks from the workstation", () => {
        const r = runScript("up", ["prod", "--yes"], { pulumi: "exit 0" }, passphrase);
        assert.equal(r.status, 0, r.out);
        assert.equal(pulumiCalls(r).at(-1), "pulumi up --stack prod --policy-pack policies --yes");
        assert.ok(!npxCalls(r).some((c) => c.includes("smoke.ts")));
    });
});
