/**
 * The apps' Redis ACL users in the generated redis.conf under a real redis-server: each app's
 * user logs in with its password and works under its key prefix only; the others' keys, the
 * dangerous commands and a wrong password are refused; the platform's own password still works.
 */
import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { appRedisPrefix } from "../components/config/apps";
import { parseConfig } from "../components/config/load";
import { renderRedisConf } from "../components/redis/redis-conf";
import { freePort } from "./helpers/ports";
import { requireTool } from "./helpers/tools";

const PLATFORM_PASSWORD = "Platform-Password_1";
const PASSWORDS: Record<string, string> = { "courses-api": "Courses-Redis_Pass.1", lab: "Lab-Redis_Pass.2" };

describe("apps' Redis ACL users under a real redis-server", function () {
    this.timeout(20000);
    let server: ChildProcess | undefined;
    let dir: string;
    let port: number;
    let cli: string;
    const config = parseConfig({
        apps: [
            { name: "courses-api", upstream: { address: "a:1" }, routes: [{ pathPrefix: "/courses" }], databases: { redis: {} } },
            { name: "lab", upstream: { address: "b:1" }, routes: [{ pathPrefix: "/lab" }], databases: { redis: { keyPrefix: "labs:v2:" } } },
        ],
    });

    const redis = (args: string[], user?: string, password = PLATFORM_PASSWORD) =>
        spawnSync(cli, ["-h", "127.0.0.1", "-p", String(port), ...(user ? ["--user", user] : []), "--no-auth-warning", ...args], {
            encoding: "utf8",
            env: { ...process.env, REDISCLI_AUTH: password },
        });
    const as = (app: string, args: string[]) => redis(args, `app-${app}`, PASSWORDS[app]);
    const reply = (r: ReturnType<typeof redis>) => `${r.stdout}${r.stderr}`.trim();

    before(async function () {
        const redisServer = requireTool(this, "redis-server", "redis-server");
        cli = requireTool(this, "redis-cli", "redis-tools");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-apps-redis-"));
        port = await freePort();
        const conf = renderRedisConf({
            port,
            bind: "127.0.0.1",
            dataDir: dir,
            password: PLATFORM_PASSWORD,
            maxMemoryMb: 64,
            evictionPolicy: "allkeys-lru",
            appendfsync: "everysec",
            appUsers: config.apps.map((a) => ({
                name: `app-${a.name}`,
                keyPrefix: appRedisPrefix(a)!,
                passwordSha256: createHash("sha256").update(PASSWORDS[a.name]).digest("hex"),
            })),
        });
        assert.doesNotMatch(conf, new RegExp(PASSWORDS["courses-api"]), "only the password's hash is in the file");
        fs.writeFileSync(path.join(dir, "redis.conf"), conf);
        server = spawn(redisServer, [path.join(dir, "redis.conf")], { stdio: ["ignore", "pipe", "pipe"] });
        let log = "";
        server.stdout!.on("data", (d) => (log += d));
        server.stderr!.on("data", (d) => (log += d));
        const deadline = Date.now() + 10000;
        while (redis(["ping"]).stdout.trim() !== "PONG") {
            if (server.exitCode !== null) throw new Error(`redis-server rejected the generated config:\n${log}`);
            if (Date.now() > deadline) throw new Error(`redis-server did not answer within 10 s:\n${log}`);
            await new Promise((r) => setTimeout(r, 100));
        }
    });

    after(async () => {
        if (server && server.exitCode === null) {
            const exited = new Promise((r) => server!.once("exit", r));
            server.kill("SIGTERM");
            const timer = setTimeout(() => server!.kill("SIGKILL"), 5000);
            await exited;
            clearTimeout(timer);
        }
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("prefixes an app's keys with its name unless the config names a prefix", () => {
        assert.deepEqual(config.apps.map((a) => appRedisPrefix(a)), ["courses-api:", "labs:v2:"]);
    });

    it("lets each app's user work under its prefix with its password", () => {
        assert.equal(reply(as("courses-api", ["set", "courses-api:session:1", "x"])), "OK");
        assert.equal(reply(as("courses-api", ["get", "courses-api:session:1"])), "x");
        assert.equal(reply(as("lab", ["set", "labs:v2:ide", "vscode"])), "OK");
    });

    it("refuses another app's keys, keys outside the prefix, dangerous commands and a wrong password", () => {
        assert.match(reply(as("lab", ["get", "courses-api:session:1"])), /NOPERM/);
        assert.match(reply(as("courses-api", ["set", "platform:cache", "x"])), /NOPERM/);
        assert.match(reply(as("courses-api", ["flushall"])), /NOPERM/);
        assert.match(reply(as("courses-api", ["keys", "*"])), /NOPERM/);
        assert.match(reply(as("courses-api", ["config", "get", "requirepass"])), /NOPERM/);
        assert.match(reply(redis(["get", "courses-api:session:1"], "app-courses-api", "wrong")), /WRONGPASS/);
        assert.equal(reply(redis(["get", "courses-api:session:1"])), "x", "the platform's own login still reaches everything");
    });
});
