import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as net from "net";
import * as path from "path";
import { PROJECT_DIR } from "../harness/run-stack";
import { busyPorts, portIsFree, portsOfOwnContainers } from "../scripts/preflight-ports";
import { tsNode } from "./helpers/ts-node";

const engine = (cpus: number, memoryMb: number, runtimes = "{}") =>
    JSON.stringify({ NCPU: cpus, MemTotal: memoryMb * 1024 * 1024, SwapLimit: true, ServerVersion: "29.1.2", Runtimes: JSON.parse(runtimes) });

function preflight(dockerInfo: string) {
    return spawnSync(...tsNode("scripts/preflight.ts", ["dev"]), {
        cwd: PROJECT_DIR,
        encoding: "utf8",
        // No docker CLI on PATH: the stack's own containers are then none.
        env: { ...process.env, LLM_PLATFORM_DOCKER_INFO: dockerInfo, PATH: path.dirname(process.execPath) + ":/usr/bin:/bin" },
    });
}

function listen(host: string): Promise<net.Server> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.listen({ port: 0, host }, () => resolve(server));
    });
}

describe("npm run up's preflight (scripts/preflight.ts)", function () {
    this.timeout(60000);

    it("stops before pulumi up when the whole stack does not fit the engine, with the numbers", () => {
        // 4 CPUs and 12 GB: every service fits alone, the stack does not.
        const r = preflight(engine(4, 12 * 1024));
        assert.equal(r.status, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /llm-platform:size = auto: no size preset fits: the Docker engine has 4 CPUs and 12288 MB; default asks for \d+ MB .* small asks for \d+ MB/);
        assert.match(r.stderr, /Give Docker more memory/);
    });

    it("says in one line each what size=auto and ollama.gpu=auto became on this engine", () => {
        const r = preflight(engine(16, 64000, '{"nvidia":{},"runc":{}}'));
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /^npm run up: Docker 29\.1\.2, 16 CPUs, 64000 MB$/m);
        assert.match(r.stdout, /^npm run up: size = auto: default, the largest preset whose whole dev stack fits: it asks \d+ MB \(\d+\.\d GB\) of memory limits at once, the Docker engine has 64000 MB and 16 CPUs/m);
        assert.match(r.stdout, /^npm run up: ollama\.gpu = auto: the Docker engine has the NVIDIA runtime: Ollama runs on the GPU/m);
        const laptop = preflight(engine(8, 15 * 1024));
        assert.equal(laptop.status, 0, laptop.stdout + laptop.stderr);
        assert.match(laptop.stdout, /size = auto: small, the largest preset whose whole dev stack fits/);
        assert.match(laptop.stdout, /Ollama runs on the CPU/);
        assert.doesNotMatch(laptop.stdout + laptop.stderr, /alertReceivers/, "warnings are pulumi up's to say, once");
    });

    it("finds a host port another program holds, and ignores the stack's own", async () => {
        const server = await listen("127.0.0.1");
        const port = (server.address() as net.AddressInfo).port;
        try {
            assert.equal(await portIsFree(port, "127.0.0.1"), false);
            const ports = [{ service: "ollama", key: "ollama.hostPort", port, ip: "127.0.0.1" }];
            assert.deepEqual(await busyPorts(ports, new Set()), ports);
            assert.deepEqual(await busyPorts(ports, new Set([port])), [], "held by the stack's own container");
        } finally {
            server.close();
        }
        assert.equal(await portIsFree(port, "127.0.0.1"), true);
    });

    it("reads the stack's own published ports from docker ps", () => {
        const out = "127.0.0.1:1433->1433/tcp\n0.0.0.0:8080->80/tcp, 0.0.0.0:8443->443/tcp\n";
        const ports = portsOfOwnContainers("llm-platform-dev", (args) => {
            assert.deepEqual(args.slice(0, 3), ["ps", "--filter", "label=llm-platform.stack=llm-platform-dev"]);
            return out;
        });
        assert.deepEqual([...ports].sort((a, b) => a - b), [1433, 8080, 8443]);
    });
});
