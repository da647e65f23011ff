import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { allowedKeysAt, ConfigError, SCALAR_KEYS } from "../components/config/load";
import { configKeys } from "../components/config/schema";
import { PROJECT_DIR, RegisteredResource, runProgram, runStack, stackConfigValues, withOverrides } from "../harness/run-stack";

/** Runs the program expecting failure; returns the error and what it had registered. */
async function failedRun(stack: string, values: Record<string, unknown>) {
    const registered: RegisteredResource[] = [];
    const error = await runProgram(stack, values, 0, registered).then(
        () => assert.fail("the program should have failed"),
        (e: Error) => e,
    );
    return { error, registered };
}

describe("configuration read from the stack files", () => {
    it("declares the scalar keys in Pulumi.yaml and documents every field of every service object there", () => {
        const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8");
        const project = parse(text);
        assert.deepEqual(Object.keys(project.config), [...SCALAR_KEYS]);
        assert.equal(project.config.platform.type, "string");
        assert.equal(project.config.platform.default, "docker");
        assert.equal(project.config.size.default, "auto");
        for (const key of SCALAR_KEYS) assert.ok(project.config[key].description.length > 20, key);
        // The comment block lists each object with its fields; lines may wrap.
        const comment = text.split("\nconfig:")[0];
        const sections = comment.split(/\n#\s{3}(?=\w+:)/).slice(1);
        const documented = new Map(sections.map((s) => [s.slice(0, s.indexOf(":")), s.slice(s.indexOf(":") + 1)]));
        for (const key of configKeys.filter((k) => !(SCALAR_KEYS as readonly string[]).includes(k))) {
            const doc = documented.get(key);
            assert.ok(doc, `Pulumi.yaml documents ${key}`);
            for (const field of allowedKeysAt([key])) assert.match(doc, new RegExp(`\\b${field}\\b`), `${key}.${field} documented`);
        }
    });

    it("sets only known keys in every stack file", () => {
        for (const file of fs.readdirSync(PROJECT_DIR).filter((f) => /^Pulumi\.[a-z0-9-]+\.yaml$/.test(f))) {
            const stack = file.split(".")[1];
            for (const key of Object.keys(stackConfigValues(stack))) {
                assert.ok(configKeys.includes(key.replace("llm-platform:", "") as any), `${file}: ${key}`);
            }
        }
    });

    it("stops on an unknown top-level key before registering anything", async () => {
        const values = withOverrides(stackConfigValues("dev"), { "llm-platform:sqlsever": { cpu: 2 } });
        const { error, registered } = await failedRun("dev", values);
        assert.equal(registered.length, 0);
        assert.match(String(error), /llm-platform:sqlsever: unknown key \(did you mean sqlserver\?\); allowed keys: platform, size, docker, kubernetes, backup, aws, sqlserver/);
    });

    it("stops on a key in a namespace that is neither the program's nor a provider's", async () => {
        const values = withOverrides(stackConfigValues("dev"), { "llm-platfrom:sqlserver": { cpu: 2 } });
        const { error, registered } = await failedRun("dev", values);
        assert.equal(registered.length, 0);
        assert.match(String(error), /llm-platfrom:sqlserver: unknown config namespace "llm-platfrom" \(did you mean llm-platform\?\)/);
        // Provider namespaces pass.
        await runProgram("dev", withOverrides(stackConfigValues("dev"), { "docker:host": "unix:///var/run/docker.sock" }));
    });

    it("names the stack file that is not valid YAML", () => {
        const dir = fs.mkdtempSync(path.join(require("os").tmpdir(), "llm-yaml-"));
        try {
            fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
            fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  llm-platform:redis:\n    cpu: 1\n   memoryMb: 512\n");
            assert.throws(() => stackConfigValues("dev", dir), /^Error: Pulumi\.dev\.yaml is not valid YAML: /);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("stops on a service given as a scalar instead of an object", async () => {
        const { error } = await failedRun("dev", { "llm-platform:redis": "big" });
        assert.match(String(error), /llm-platform:redis = "big": must be an object/);
    });

    it("creates no resource when the config is invalid", async () => {
        const values = withOverrides(stackConfigValues("dev"), { "llm-platform:sqlserver": { memoryMb: 1024 } });
        const { error, registered } = await failedRun("dev", values);
        assert.match(String(error), /llm-platform:sqlserver\.memoryMb = 1024: must be at least 2048/);
        assert.equal(registered.length, 0);
        // The valid dev stack registers resources under the same mocks: the zero above is real.
        assert.ok((await runStack("dev")).resources.length > 20);
    });
});

/** The keys Pulumi.<stack>.yaml marks `# REQUIRED: <key>: ...`, as paths (`kubernetes.awsRegion`), from the comment's place in the file. */
function requiredKeys(stack: string): string[] {
    const parents: { indent: number; key: string }[] = [];
    const required: string[] = [];
    for (const line of fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8").split("\n")) {
        const m = /^(\s*)(# REQUIRED: )?([\w.-]+(?::[\w.-]+)?):/.exec(line);
        if (!m || (line.trimStart().startsWith("#") && !m[2])) continue;
        const indent = m[1].length;
        while (parents.length > 0 && parents[parents.length - 1].indent >= indent) parents.pop();
        const key = m[3].replace(/^llm-platform:/, "");
        if (m[2]) required.push([...parents.slice(1).map((p) => p.key), key].join("."));
        else parents.push({ indent, key });
    }
    return required;
}

describe("prod stack file", () => {
    it("stops before any resource, reporting each thing only its owner knows once, in the stack file's own keys", async () => {
        const required = requiredKeys("prod");
        assert.deepEqual(required, ["kubernetes.eksClusterName", "kubernetes.awsRegion", "tls.hostnames", "aws.loadBalancer.route53ZoneId"]);
        const { error, registered } = await failedRun("prod", stackConfigValues("prod"));
        assert.equal(registered.length, 0);
        assert.match(error.message, /nothing was created/);
        const problems = (error as ConfigError).problems;
        // Three things: the cluster (its name and region), the domain, the domain's zone.
        assert.equal(problems.length, 3, problems.join("\n"));
        assert.match(problems[0], /^llm-platform:kubernetes\.eksClusterName = \(not set\): must be set to your EKS cluster's name, with kubernetes\.awsRegion its region/);
        assert.match(problems[1], /^llm-platform:tls\.hostnames = \(not set\): must name the proxy's public DNS name\(s\)/);
        assert.match(problems[2], /^llm-platform:aws\.loadBalancer\.route53ZoneId = \(not set\)/);
        // Each problem is about a key the stack file shows its owner, no two about the same one;
        // a required key that is no problem's own (the region) is asked for in exactly one.
        const subjects = problems.map((p) => /^llm-platform:([\w.]+) =/.exec(p)![1]);
        assert.equal(new Set(subjects).size, subjects.length);
        for (const key of subjects) assert.ok(required.includes(key), key);
        for (const key of required.filter((k) => !subjects.includes(k))) {
            assert.equal(problems.filter((p) => p.includes(key)).length, 1, `${key} is asked for once:\n${problems.join("\n")}`);
        }
    });

    it("still names the region under the aws object when the cluster is reached through a kubeconfig context", async () => {
        const values = withOverrides(stackConfigValues("prod"), {
            "llm-platform:kubernetes": { context: "prod" },
            "llm-platform:tls": { hostnames: ["llm.example.com"] },
        });
        const { error } = await failedRun("prod", values);
        const problems = (error as ConfigError).problems;
        assert.ok(problems.some((p) => p.startsWith("llm-platform:aws.region = (not set): must be set (or kubernetes.awsRegion)")), problems.join("\n"));
        assert.ok(problems.some((p) => p.startsWith("llm-platform:aws.network.eksClusterName = (not set)")), problems.join("\n"));
    });

    it("reports a bad value in Pulumi.prod.yaml with the key, the value and what is allowed", async () => {
        const values = withOverrides(stackConfigValues("prod"), {
            "llm-platform:ollama": { gpu: "yes" },
            "llm-platform:kubernetes": { eksClusterName: "prod-eks", awsRegion: "eu-west-1", proxyServiceType: "NodePort" },
            "llm-platform:tls": { hostnames: ["llm.example.com"] },
        });
        const { error, registered } = await failedRun("prod", values);
        assert.match(error.message, /llm-platform:ollama\.gpu = "yes": must be one of "auto", true or false/);
        assert.match(error.message, /llm-platform:kubernetes\.proxyServiceType = "NodePort": must be one of "LoadBalancer", "ClusterIP"/);
        assert.equal(registered.length, 0);
    });

    it("needs the region with an EKS cluster name, one way to reach the cluster, an explicit GPU choice and the load balancer's ports", async () => {
        const values = withOverrides(stackConfigValues("prod"), {
            "llm-platform:kubernetes": { eksClusterName: "prod-eks", context: "prod" },
            "llm-platform:tls": { hostnames: ["llm.example.com"] },
            "llm-platform:proxy": { httpsPort: 8443 },
            "llm-platform:ollama": { gpu: "auto" },
        });
        const { error } = await failedRun("prod", values);
        assert.match(error.message, /llm-platform:proxy\.httpsPort = 8443: must be 443 on Kubernetes/);
        assert.match(error.message, /llm-platform:kubernetes\.awsRegion = \(not set\): must be set to the region/);
        assert.match(error.message, /llm-platform:kubernetes\.context = "prod": must not be set together with kubernetes\.eksClusterName/);
        assert.match(error.message, /llm-platform:ollama\.gpu = "auto": must be true or false on kubernetes/);
    });
});
