import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { freePort } from "./helpers/ports";
import { requireTool } from "./helpers/tools";
import { renderStack, SECRET_DATA_MASK, stackFiles, stackSecrets } from "../harness/render";
import { PROJECT_DIR, runStack, StackRun } from "../harness/run-stack";
import { INDEX, MARKER, prepareFolder } from "../scripts/render";

/** Every file under a folder, by path relative to it. */
function readTree(dir: string): Map<string, string> {
    const files = new Map<string, string>();
    const walk = (d: string) => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
            const full = path.join(d, entry.name);
            if (entry.isDirectory()) walk(full);
            else files.set(path.relative(dir, full), fs.readFileSync(full, "utf8"));
        }
    };
    walk(dir);
    return files;
}

/**
 * `npm run render -- <stack> <dir>` as a user without any deployment tool runs it: a PATH with
 * bash, node, npm, npx and the few system tools the script uses — no pulumi, docker, kubectl or
 * aws — and no AWS or Kubernetes variables.
 */
function render(stack: string, dir: string) {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "llm-render-bin-"));
    try {
        const which = (tool: string) => spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
        fs.symlinkSync(process.execPath, path.join(bin, "node"));
        for (const tool of ["npm", "npx"]) fs.symlinkSync(path.join(path.dirname(process.execPath), tool), path.join(bin, tool));
        for (const tool of ["bash", "sh", "dirname", "mkdir", "grep", "cat", "mv"]) fs.symlinkSync(which(tool), path.join(bin, tool));
        const env = { PATH: bin, HOME: os.tmpdir() };
        for (const tool of ["pulumi", "docker", "kubectl", "aws"]) assert.equal(spawnSync("bash", ["-c", `command -v ${tool}`], { env }).status, 1, tool);
        return spawnSync(path.join(bin, "bash"), [path.join(PROJECT_DIR, "scripts", "render.sh"), stack, dir], { cwd: PROJECT_DIR, encoding: "utf8", env });
    } finally {
        fs.rmSync(bin, { recursive: true, force: true });
    }
}

for (const stack of ["dev", "prod"]) {
    describe(`npm run render -- ${stack} (offline, secrets masked)`, function () {
        this.timeout(180000);
        let dir: string;
        let run: StackRun;
        let output: ReturnType<typeof render>;
        let written: Map<string, string>;

        before(async () => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), `llm-render-${stack}-`));
            output = render(stack, dir);
            written = fs.existsSync(dir) ? readTree(dir) : new Map();
            run = await runStack(stack, { exampleUserValues: true });
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("runs without a Pulumi CLI, Docker, a cluster or AWS keys, and says what stood in for them", () => {
            assert.equal(output.status, 0, output.stdout + output.stderr);
            assert.match(output.stderr, new RegExp(`^npm run render: stack ${stack} \\(the first argument\\)`));
            assert.match(output.stdout, /^Offline: the program ran under Pulumi's mocks/);
            if (stack === "prod") {
                assert.match(output.stdout, /Example values stand in for what only the stack's owner knows: kubernetes\.eksClusterName = example-cluster, kubernetes\.awsRegion = eu-west-1, tls\.hostnames = \[llm\.example\.com\], aws\.loadBalancer\.route53ZoneId = Z0EXAMPLE1234567890AB\./);
                assert.match(output.stdout, /kubernetes\/\s+\d+ Kubernetes manifests/);
            } else {
                assert.match(output.stdout, /no example values were needed/);
                assert.match(output.stdout, /No Docker engine was asked: what depends on it \(ollama\.gpu: auto\)/);
            }
            assert.match(output.stdout, /Secrets are masked: \d+ generated passwords/);
            assert.match(written.get("RENDERED.md")!, /^<!-- written by npm run render/);
        });

        it("writes exactly what the rendering code gives for the same run: one source for the command and the tests", () => {
            const expected = renderStack(run).files;
            assert.deepEqual([...written.keys()].filter((f) => f !== "RENDERED.md").sort(), [...expected.keys()].sort());
            for (const [file, content] of expected) assert.equal(written.get(file), content, file);
        });

        it("writes every generated file where its container sees it, every Kubernetes object as a manifest, every other resource's inputs", () => {
            const files = stackFiles(run);
            assert.ok(files.length > 40, `${files.length} files`);
            for (const f of files) assert.ok(written.has(`files/${f.owner}${f.path}`), `files/${f.owner}${f.path}`);
            const objects = run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.inputs.metadata);
            assert.equal([...written.keys()].filter((f) => f.startsWith("kubernetes/")).length, objects.length);
            const others = run.resources.filter((r) => r.custom && !objects.includes(r));
            assert.equal([...written.keys()].filter((f) => f.startsWith("resources/")).length, others.length);
            const expected =
                stack === "dev"
                    ? ["files/proxy/etc/nginx/nginx.conf", "files/prometheus/etc/prometheus/prometheus.yml", "files/alertmanager/etc/alertmanager/alertmanager.yml", "files/redis/usr/local/etc/valkey/valkey.conf", "files/sqlserver-settings/tmp/llm-platform-settings.sql", "files/timescale-migrate/opt/llm-platform/migrations/sqitch.plan", "files/grafana/etc/grafana/dashboards/llm-overview.json", "files/fluent-bit/fluent-bit/etc/llm-fluent-bit.conf", "files/logstash/usr/share/logstash/pipeline/logstash.conf", "resources/docker/Container/proxy.yaml"]
                    : ["files/llm-platform/Deployment-proxy/proxy/etc/nginx/nginx.conf", "files/llm-platform/StatefulSet-prometheus/prometheus/etc/prometheus/prometheus.yml", "files/llm-platform-node-agents/DaemonSet-fluent-bit/fluent-bit/fluent-bit/etc/llm-fluent-bit.conf", "kubernetes/llm-platform/StatefulSet-sqlserver.yaml", "kubernetes/_cluster/Namespace-llm-platform.yaml", "resources/aws/s3.BucketPolicy/aws-backups-policy.yaml", "kubernetes/llm-platform/ObjectStore-timescale-archive.yaml", "resources/kubernetes/helm.sh.Release/cert-manager.yaml", "resources/kubernetes/helm.sh.Release/plugin-barman-cloud.yaml"];
            for (const file of expected) assert.ok(written.has(file), `${file}; have e.g. ${[...written.keys()].slice(0, 5).join(", ")}`);
        });

        it("masks every generated secret in every written file, and every value of every Kubernetes Secret", () => {
            const secrets = [
                ...run.ofType("random:index/randomPassword:RandomPassword").map((r) => r.state.result as string),
                ...run.ofType("tls:index/privateKey:PrivateKey").map((r) => r.state.privateKeyPem as string),
            ];
            assert.ok(secrets.length >= 20, `${secrets.length} secrets`);
            const forms = secrets.flatMap((s) => [s, Buffer.from(s).toString("base64")]);
            for (const [file, content] of written) {
                for (const s of forms) assert.ok(!content.includes(s), `${file} holds a secret value`);
            }
            // What masked files look like: the secret's place, named (prod's Valkey is ElastiCache: no redis.conf there).
            if (stack === "dev") {
                const redis = [...written].find(([f]) => f.endsWith("/usr/local/etc/valkey/valkey.conf"))![1];
                assert.match(redis, /^requirepass MASKED-redis-password$/m);
            }
            const keys = [...written].find(([f]) => f.endsWith("/etc/nginx/auth/api-keys.map"))![1];
            assert.match(keys, /^"Bearer MASKED-proxy-api-key-default" default;$/m);
            const secretManifests = [...written].filter(([f]) => /^kubernetes\/.*\/Secret-/.test(f));
            assert.equal(secretManifests.length, run.ofType("kubernetes:core/v1:Secret").length);
            for (const [file, content] of secretManifests) {
                const secret = parse(content);
                const values = [...Object.values(secret.stringData ?? {}), ...Object.values(secret.data ?? {}).map((v) => Buffer.from(v as string, "base64").toString())];
                assert.ok(values.length > 0 && values.every((v) => v === SECRET_DATA_MASK), file);
            }
        });

        it("writes manifests that read back as the objects the program registered", () => {
            const mask = stackSecrets(run);
            for (const o of run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.inputs.metadata && !r.type.endsWith(":Secret"))) {
                const file = `kubernetes/${o.inputs.metadata.namespace ?? "_cluster"}/${o.type.split(":").at(-1)}-${o.inputs.metadata.name}.yaml`;
                let expected = JSON.stringify(o.inputs);
                for (const [value, m] of mask) expected = expected.split(JSON.stringify(value).slice(1, -1)).join(m);
                assert.deepEqual(parse(written.get(file)!), JSON.parse(expected), file);
            }
        });

        if (stack === "prod") {
            it("writes a prometheus.yml and rules that promtool accepts, read from the written folder", function () {
                const promtool = requireTool(this, "promtool", "prometheus");
                const base = path.join(dir, "files/llm-platform/StatefulSet-prometheus/prometheus/etc/prometheus");
                const conf = path.join(base, "prometheus.yml");
                // The container's paths, pointed at the written folder.
                for (const f of ["prometheus.yml"]) fs.writeFileSync(path.join(base, f), fs.readFileSync(path.join(base, f), "utf8").split("/etc/prometheus/").join(`${base}/`));
                const r = spawnSync(promtool, ["check", "config", conf], { cwd: base, encoding: "utf8" });
                assert.equal(r.status, 0, r.stdout + r.stderr);
                assert.match(r.stdout, /SUCCESS: \d+ rules found/);
            });
        }

        // Prod's Valkey is ElastiCache (redis.engine): only the dev stack renders a redis.conf.
        if (stack === "dev") it("writes a redis.conf a real redis-server runs, with the masked password as its password", async function () {
            const redisServer = requireTool(this, "redis-server", "redis-server");
            const cli = requireTool(this, "redis-cli", "redis-tools");
            const file = [...written.keys()].find((f) => f.endsWith("/usr/local/etc/valkey/valkey.conf"))!;
            requireTool(this, "openssl", "openssl");
            const port = await freePort();
            const data = fs.mkdtempSync(path.join(os.tmpdir(), "llm-render-redis-"));
            // The rendered certificate is the mocks' placeholder: a real one, self-signed, stands in for it and its CA.
            const cert = path.join(data, "server.pem");
            const key = path.join(data, "server.key");
            const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=redis", "-addext", "subjectAltName=DNS:redis,IP:127.0.0.1"], { encoding: "utf8" });
            assert.equal(made.status, 0, made.stderr);
            // Only where it listens, writes and finds its TLS files changes; everything else is the written file.
            const conf = written
                .get(file)!
                .replace(/^tls-port \d+$/m, `tls-port ${port}`)
                .replace(/^tls-(cert|ca-cert)-file .*$/gm, (_, which) => `tls-${which}-file ${cert}`)
                .replace(/^tls-key-file .*$/m, `tls-key-file ${key}`)
                .replace(/^bind .*$/m, "bind 127.0.0.1")
                .replace(/^dir .*$/m, `dir ${data}`);
            assert.match(conf, /^port 0$/m, "TLS only");
            fs.writeFileSync(path.join(data, "redis.conf"), conf);
            let server: ChildProcess | undefined;
            try {
                server = spawn(redisServer, [path.join(data, "redis.conf")], { stdio: "ignore" });
                const ping = (password: string) => spawnSync(cli, ["-p", String(port), "--tls", "--cacert", cert, "--no-auth-warning", "-a", password, "ping"], { encoding: "utf8" }).stdout.trim();
                const deadline = Date.now() + 10000;
                while (ping("MASKED-redis-password") !== "PONG") {
                    assert.ok(Date.now() < deadline && server.exitCode === null, "redis-server did not start with the written redis.conf");
                    await new Promise((r) => setTimeout(r, 100));
                }
                assert.match(ping("wrong"), /WRONGPASS|NOAUTH|invalid/i);
            } finally {
                if (server && server.exitCode === null) {
                    const exited = new Promise((r) => server!.once("exit", r));
                    server.kill("SIGKILL");
                    await exited;
                }
                fs.rmSync(data, { recursive: true, force: true });
            }
        });
    });
}

describe("npm run render's folder", () => {
    it("is replaced when this command wrote it, and refused when it did not", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-render-folder-"));
        try {
            fs.writeFileSync(path.join(dir, "notes.txt"), "mine");
            assert.match(prepareFolder(dir)!, /is not empty and was not written by npm run render \(no RENDERED\.md\): choose another folder or empty it/);
            assert.equal(fs.readFileSync(path.join(dir, "notes.txt"), "utf8"), "mine");
            fs.writeFileSync(path.join(dir, INDEX), `${MARKER}\n# an earlier rendering\n`);
            fs.mkdirSync(path.join(dir, "files"));
            fs.writeFileSync(path.join(dir, "files", "stale.conf"), "from an earlier run");
            assert.equal(prepareFolder(dir), undefined);
            assert.deepEqual(fs.readdirSync(dir), []);
            assert.equal(prepareFolder(path.join(dir, "new")), undefined, "a folder that does not exist yet");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("is git-ignored by default (rendered/<stack>)", () => {
        const r = spawnSync("git", ["check-ignore", "-q", "rendered/dev/files/proxy/etc/nginx/nginx.conf"], { cwd: PROJECT_DIR });
        assert.equal(r.status, 0);
    });
});

describe("npm run render masks the alert receivers' credentials from config", () => {
    it("keeps alertmanager.yml readable with the webhook and routing key masked", async function () {
        this.timeout(60000);
        const slack = "https://hooks.slack.com/services/T000/B000/abcdefghijklmnop";
        const pagerduty = "0123456789abcdef0123456789abcdef";
        const run = await runStack("dev", { overrides: { "llm-platform:observability": { alertReceivers: { slackWebhookUrl: slack, slackChannel: "#alerts", pagerdutyRoutingKey: pagerduty } } } });
        const files = renderStack(run).files;
        const conf = files.get("files/alertmanager/etc/alertmanager/alertmanager.yml")!;
        assert.match(conf, /MASKED-observability\.alertReceivers\.slackWebhookUrl/);
        assert.match(conf, /MASKED-observability\.alertReceivers\.pagerdutyRoutingKey/);
        assert.match(conf, /#alerts/, "what is not a secret stays");
        for (const [file, content] of files) assert.ok(!content.includes(slack) && !content.includes(pagerduty), file);
    });
});
