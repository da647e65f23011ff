/**
 * The apps' Redis ACL users in the generated redis.conf under a real redis-server: each app's
 * user logs in with its password and works under its key prefix only; the others' keys, the
 * dangerous commands and a wrong password are refused; the platform's own password still works.
 */
import assert from "node:assert/strict";
import { createHash } from "crypto";
import { appRedisPrefix } from "../components/config/apps";
import { parseConfig } from "../components/config/load";
import { loopbackRedisConf, startRedis, TestRedis } from "./helpers/redis-server";

const PLATFORM_PASSWORD = "Platform-Password_1";
const PASSWORDS: Record<string, string> = { "courses-api": "Courses-Redis_Pass.1", lab: "Lab-Redis_Pass.2" };

describe("apps' Redis ACL users under a real redis-server", function () {
    this.timeout(20000);
    let server: TestRedis | undefined;
    const config = parseConfig({
        apps: [
            { name: "courses-api", upstream: { address: "a:1" }, routes: [{ pathPrefix: "/courses" }], databases: { redis: {} } },
            { name: "lab", upstream: { address: "b:1" }, routes: [{ pathPrefix: "/lab" }], databases: { redis: { keyPrefix: "labs:v2:" } } },
        ],
    });

    const redis = (args: string[], user?: string, password = PLATFORM_PASSWORD) => server!.cli(args, password, user);
    const as = (app: string, args: string[]) => redis(args, `app-${app}`, PASSWORDS[app]);
    const reply = (r: ReturnType<typeof redis>) => `${r.stdout}${r.stderr}`.trim();

    before(async function () {
        server = await startRedis(
            this,
            (port, dataDir) => {
                const conf = loopbackRedisConf(port, dataDir, {
                    password: PLATFORM_PASSWORD,
                    maxMemoryMb: 64,
                    appUsers: config.apps.map((a) => ({
                        name: `app-${a.name}`,
                        keyPrefix: appRedisPrefix(a)!,
                        passwordSha256: createHash("sha256").update(PASSWORDS[a.name]).digest("hex"),
                    })),
                });
                assert.doesNotMatch(conf, new RegExp(PASSWORDS["courses-api"]), "only the password's hash is in the file");
                return conf;
            },
            PLATFORM_PASSWORD,
        );
    });

    after(() => server?.stop());

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
