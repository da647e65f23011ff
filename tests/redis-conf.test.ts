import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { redisFlavor, renderRedisConf } from "../components/redis/redis-conf";
import { redisMaxMemoryMb } from "../components/tuning";
import { loopbackRedisConf, startRedis, TestRedis } from "./helpers/redis-server";
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
    let server: TestRedis | undefined;
    let cli: string;

    before(async function () {
        cli = requireTool(this, "redis-cli", "redis-tools");
        server = await startRedis(
            this,
            (port, dataDir) => loopbackRedisConf(port, dataDir, { password: PASSWORD, maxMemoryMb: redisMaxMemoryMb(CONTAINER_LIMIT_MB) }),
            PASSWORD,
        );
    });

    after(() => server?.stop());

    function redis(args: string[], auth = true) {
        return server!.cli(args, auth ? PASSWORD : "");
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
        const health = spawnSync("sh", ["-c", `[ "$(${cli} -h 127.0.0.1 -p ${server!.port} ping)" = PONG ]`], {
            env: { ...process.env, REDISCLI_AUTH: PASSWORD },
        });
        assert.equal(health.status, 0);
    });
});
