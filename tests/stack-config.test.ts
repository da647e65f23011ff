import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { allowedKeysAt, SCALAR_KEYS } from "../components/config/load";
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
        assert.equal(project.config.size.default, "default");
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
        assert.match(String(error), /llm-platform:sqlsever: unknown key; allowed keys: platform, size, docker, kubernetes, backup, maintenance, aws, sqlserver/);
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

describe("prod stack file", () => {
    it("stops before any resource, naming each key only its owner can set (cluster, domain)", async () => {
        const { error, registered } = await failedRun("prod", stackConfigValues("prod"));
        assert.match(error.message, /llm-platform:kubernetes\.eksClusterName = \(not set\): must be set to your EKS cluster's name/);
        assert.match(error.message, /llm-platform:tls\.hostnames = \(not set\): must name the proxy's public DNS name\(s\)/);
        assert.match(error.message, /nothing was created/);
        assert.equal(registered.length, 0);
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
