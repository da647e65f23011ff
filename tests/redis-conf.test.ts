import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { redisFlavor, renderRedisConf } from "../components/redis/redis-conf";
import { redisMaxMemoryMb } from "../components/tuning";
import { freePort } from "./helpers/ports";
import { requireTool } from "./helpers/tools";

const CONTAINER_LIMIT_MB = 2048;
const PASSWORD = "Test-Password_123";

describe("redis.conf generator", () => {
    it("caps memory at 75% of the container limit with the configured eviction policy", () => {
        const conf = renderRedisConf({
            port: 6379,
            dataDir: "/data",
            password: PASSWORD,
            maxMemoryMb: redisMaxMemoryMb(CONTAINER_LIMIT_MB),
            evictionPolicy: "allkeys-lru",
            appendfsync: "everysec",
        });
        assert.match(conf, /^maxmemory 1536mb$/m);
        assert.match(conf, /^maxmemory-policy allkeys-lru$/m);
        assert.match(conf, /^appendonly yes$/m);
        assert.match(conf, /^requirepass Test-Password_123$/m);
    });

    it("knows Valkey from Redis images", () => {
        assert.equal(redisFlavor("valkey/valkey:8.1.7-alpine").server, "valkey-server");
        assert.equal(redisFlavor("redis:7.2.16-alpine").cli, "redis-cli");
    });
});

describe("generated redis.conf in a real redis-server", function () {
    this.timeout(20000);
    let server: ChildProcess | undefined;
    let dir: string;
    let port: number;
    let cli: string;

    before(async function () {
        const redisServer = requireTool(this, "redis-server", "redis-server");
        cli = requireTool(this, "redis-cli", "redis-tools");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-redis-"));
        port = await freePort();
        const conf = renderRedisConf({
            port,
            bind: "127.0.0.1",
            dataDir: dir,
            password: PASSWORD,
            maxMemoryMb: redisMaxMemoryMb(CONTAINER_LIMIT_MB),
            evictionPolicy: "allkeys-lru",
            appendfsync: "everysec",
        });
        fs.writeFileSync(path.join(dir, "redis.conf"), conf);
        server = spawn(redisServer, [path.join(dir, "redis.conf")], { stdio: ["ignore", "pipe", "pipe"] });
        let log = "";
        server.stdout!.on("data", (d) => (log += d));
        server.stderr!.on("data", (d) => (log += d));
        const deadline = Date.now() + 10000;
        while (!(await ping())) {
            if (server.exitCode !== null) throw new Error(`redis-server rejected the generated config:\n${log}`);
            if (Date.now() > deadline) throw new Error(`redis-server did not answer within 10 s:\n${log}`);
            await new Promise((r) => setTimeout(r, 100));
        }
    });

    after(async () => {
        // Redis refuses to exit while it cannot write its final save: stop it before removing its directory.
        if (server && server.exitCode === null) {
            const exited = new Promise((r) => server!.once("exit", r));
            server.kill("SIGTERM");
            const timer = setTimeout(() => server!.kill("SIGKILL"), 5000);
            await exited;
            clearTimeout(timer);
        }
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    function redis(args: string[], auth = true) {
        const env = { ...process.env, REDISCLI_AUTH: auth ? PASSWORD : "" };
        return spawnSync(cli, ["-h", "127.0.0.1", "-p", String(port), ...args], { encoding: "utf8", env });
    }

    async function ping() {
        return redis(["ping"]).stdout.trim() === "PONG";
    }

    it("runs with maxmemory inside the container limit", () => {
        const maxmemory = Number(redis(["config", "get", "maxmemory"]).stdout.trim().split("\n")[1]);
        assert.equal(maxmemory, 1536 * 1024 * 1024);
        assert.ok(maxmemory < CONTAINER_LIMIT_MB * 1024 * 1024);
        assert.equal(redis(["config", "get", "maxmemory-policy"]).stdout.trim().split("\n")[1], "allkeys-lru");
    });

    it("persists with AOF", () => {
        assert.equal(redis(["config", "get", "appendonly"]).stdout.trim().split("\n")[1], "yes");
        assert.equal(redis(["set", "k", "v"]).stdout.trim(), "OK");
    });

    it("refuses clients without the password, which the health check's reply comparison catches", () => {
        const anonymous = redis(["ping"], false);
        assert.notEqual(anonymous.stdout.trim(), "PONG");
        assert.match(anonymous.stdout + anonymous.stderr, /NOAUTH/);
        const health = spawnSync("sh", ["-c", `[ "$(${cli} -h 127.0.0.1 -p ${port} ping)" = PONG ]`], {
            env: { ...process.env, REDISCLI_AUTH: PASSWORD },
        });
        assert.equal(health.status, 0);
    });
});
