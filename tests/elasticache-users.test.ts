/**
 * Redis ACL users on ElastiCache (prod with the apps example, under mocks): one ElastiCache user per
 * principal in a user group on the replication group, the apps' access strings the very rules of the
 * platform's own Valkey, loaded into a real redis-server to show what each user may do and that
 * the engine prints each access string back as sent (ElastiCache stores the engine's form of it:
 * terraform-provider-aws#20334, "on allkeys allcommands" read back as a diff), and no password in
 * an output that is not secret.
 */
import assert from "node:assert/strict";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { CACHE_ACCESS } from "../components/aws/cache";
import { appRedisPrefix } from "../components/config/apps";
import { PLATFORM_REDIS_USER } from "../components/redis/redis";
import { appAclRules } from "../components/redis/redis-conf";
import { replicationGroupPlanError } from "../harness/lifecycle/aws-model";
import { runStack, StackRun } from "../harness/run-stack";
import { PROJECT_DIR, stackConfigValues } from "../harness/stack-config";
import { loopbackRedisConf, startRedis, TestRedis } from "./helpers/redis-server";

const EXAMPLE = parse(fs.readFileSync(path.join(PROJECT_DIR, "examples", "Pulumi.apps.yaml"), "utf8")).config as Record<string, unknown>;
const USER = "aws:elasticache/user:User";
const GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";

describe("apps' Redis users on ElastiCache (prod with the apps example, under mocks)", function () {
    this.timeout(120000);
    let run: StackRun;
    const users = () => run.ofType(USER);
    const user = (key: string) => run.named(USER, `aws-valkey-user-${key}`).inputs;
    const k8s = (kind: string, name: string) => run.resources.find((x) => x.type === kind && x.inputs.metadata?.name === name)!;

    before(async () => {
        run = await runStack("prod", { overrides: EXAMPLE, exampleUserValues: true });
    });

    it("declares default (off), the platform's user and the app's user in one group, and the group on the replication group instead of an AUTH token", () => {
        assert.equal(run.config.redis.engine, "elasticache");
        const id = run.named(GROUP, "aws-valkey").inputs.replicationGroupId;
        assert.deepEqual(
            users()
                .map((u) => [u.inputs.userId, u.inputs.userName, u.inputs.engine, u.inputs.accessString])
                .sort((a, b) => a[0].localeCompare(b[0])),
            [
                [`${id}-app-courses-api`, "app-courses-api", "valkey", "on ~courses:* resetchannels &courses:* +@all -@dangerous"],
                [`${id}-default`, "default", "valkey", "off resetchannels -@all"],
                [`${id}-platform`, PLATFORM_REDIS_USER, "valkey", "on ~* &* +@all"],
            ],
        );
        const group = run.named("aws:elasticache/userGroup:UserGroup", "aws-valkey-users").inputs;
        assert.deepEqual([group.userGroupId, group.engine, [...group.userIds].sort()], [id, "valkey", users().map((u) => u.inputs.userId).sort()]);
        const g = run.named(GROUP, "aws-valkey").inputs;
        assert.deepEqual(g.userGroupIds, [id]);
        assert.equal(g.authToken, undefined, "auth_token ConflictsWith user_group_ids");
        assert.equal(g.authTokenUpdateStrategy, "DELETE", "what moves a group made with a token to RBAC in the same ModifyReplicationGroup");
        assert.equal(replicationGroupPlanError(g), undefined, "the provider's plan checks pass");
        // Every password is a generated one within ElastiCache's 16-128 characters, each user its own.
        const passwords = users().map((u) => u.inputs.passwords);
        for (const p of passwords) assert.ok(p.length === 1 && p[0].length >= 16 && p[0].length <= 128);
        assert.equal(new Set(passwords.map((p) => p[0])).size, passwords.length);
    });

    it("gives each app the in-cluster ACL's rules, and the platform's clients their user", () => {
        const prefix = appRedisPrefix(run.config.apps.find((a) => a.name === "courses-api")!)!;
        assert.equal(user("app-courses-api").accessString, `on ${appAclRules(prefix)}`);
        const exporter = k8s("kubernetes:apps/v1:Deployment", "redis-exporter").inputs.spec.template.spec.containers[0].env;
        assert.ok(exporter.some((e: any) => e.name === "REDIS_USER" && e.value === PLATFORM_REDIS_USER), "redis_exporter logs in as the platform's user (main.go:159 REDIS_USER)");
        assert.ok(exporter.some((e: any) => e.name === "REDIS_PASSWORD" && e.valueFrom?.secretKeyRef), "its password from a Secret");
    });

    it("hands the app its user on ElastiCache's endpoint, verified with the system's CAs, and lets its pods reach the cache's subnets", () => {
        const env = Object.fromEntries(k8s("kubernetes:apps/v1:Deployment", "app-courses-api").inputs.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
        const endpoint = run.named(GROUP, "aws-valkey").state.primaryEndpointAddress;
        assert.ok(endpoint, "the mock's primary endpoint");
        assert.deepEqual([env.REDIS_HOST, env.REDIS_PORT, env.REDIS_USERNAME, env.REDIS_KEY_PREFIX, env.REDIS_TLS], [endpoint, "6379", "app-courses-api", "courses:", "true"]);
        assert.equal(env.REDIS_CA_FILE, undefined, "ElastiCache's certificate chains to a public CA, not the stores' CA");
        const credentials = run.outputs.credentials.apps["courses-api"];
        assert.equal(credentials.redisPassword, user("app-courses-api").passwords[0]);
        assert.equal(credentials.redisUrl, `rediss://app-courses-api:${encodeURIComponent(credentials.redisPassword)}@${endpoint}:6379/0`);
        assert.deepEqual(run.outputs.apps["courses-api"].redis, { host: endpoint, port: 6379, user: "app-courses-api", keyPrefix: "courses:" });
        const egress = k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", "app-courses-api").inputs.spec.egress;
        assert.ok(egress.some((e: any) => e.to.every((t: any) => t.ipBlock) && e.ports[0].port === 6379), "the cache's subnets on 6379");
        assert.match(run.outputs.connectionStrings.redis, new RegExp(`^rediss://${PLATFORM_REDIS_USER}:[^@]+@${endpoint.replace(/\./g, "\\.")}:6379/0$`));
    });

    it("puts no password in an output that is not secret", async () => {
        const passwords = users().map((u) => u.inputs.passwords[0] as string);
        const leaks = async (value: unknown, at: string): Promise<string[]> => {
            if (pulumi.Output.isInstance(value)) {
                if (await pulumi.isSecret(value)) return [];
                return leaks(await new Promise((r) => value.apply(r)), at);
            }
            if (value && typeof value === "object") return (await Promise.all(Object.entries(value).map(([k, v]) => leaks(v, `${at}.${k}`)))).flat();
            return passwords.some((p) => String(value).includes(p)) ? [at] : [];
        };
        assert.deepEqual(await leaks(run.rawOutputs, "outputs"), []);
        assert.ok((await leaks({ probe: passwords[1] }, "probe")).length === 1, "the check finds a password where one is");
    });
});

describe("ElastiCache access strings in a real redis-server", function () {
    this.timeout(20000);
    const PLATFORM = "Platform-Password_1";
    const APP = "App-Redis_Password.1";
    const DEFAULT = "Default-Password_.1";
    const prefix = "courses:";
    let server: TestRedis | undefined;
    const cli = (args: string[], user?: string, password = PLATFORM) => {
        const r = server!.cli(args, password, user);
        return `${r.stdout}${r.stderr}`.trim();
    };
    /** What ElastiCache does with an access string: ACL SETUSER with the password the API sets. */
    const create = (name: string, access: string, password: string) => assert.equal(cli(["acl", "setuser", name, `>${password}`, ...access.split(" ")]), "OK");

    before(async function () {
        // The platform's own Valkey with the app's user from redis.conf, beside which the ElastiCache users are created.
        const passwordSha256 = createHash("sha256").update(APP).digest("hex");
        server = await startRedis(this, (port, dataDir) => loopbackRedisConf(port, dataDir, { password: PLATFORM, maxMemoryMb: 64, appUsers: [{ name: "in-cluster", keyPrefix: prefix, passwordSha256 }] }), PLATFORM);
        create("elasticache-app", CACHE_ACCESS.app(prefix), APP);
        create("elasticache-platform", CACHE_ACCESS.platform, PLATFORM);
        create("elasticache-default", CACHE_ACCESS.disabled, DEFAULT);
    });
    after(() => server?.stop());

    it("prints every access string back as sent (the form ElastiCache stores, so a second up has no diff)", () => {
        const listed = cli(["acl", "list"]).split("\n");
        for (const [name, access] of [["elasticache-app", CACHE_ACCESS.app(prefix)], ["elasticache-platform", CACHE_ACCESS.platform], ["elasticache-default", CACHE_ACCESS.disabled]]) {
            const line = listed.find((l) => l.startsWith(`user ${name} `))!;
            // Without the name and the password (ElastiCache keeps passwords apart from the access string).
            assert.equal(line.replace(`user ${name} `, "").replace(/ #[0-9a-f]{64}/, ""), access, line);
        }
    });

    it("grants the ElastiCache app user exactly the in-cluster user's permissions", () => {
        const getuser = (name: string) => cli(["acl", "getuser", name]).replace(/#[0-9a-f]{64}/, "");
        assert.equal(getuser("elasticache-app"), getuser("in-cluster"));
    });

    it("keeps the app in its prefix, refuses the dangerous commands, and refuses default", () => {
        assert.equal(cli(["set", "courses:session:1", "x"], "elasticache-app", APP), "OK");
        assert.equal(cli(["get", "courses:session:1"], "elasticache-app", APP), "x");
        assert.match(cli(["set", "other:key", "x"], "elasticache-app", APP), /NOPERM/);
        assert.match(cli(["flushall"], "elasticache-app", APP), /NOPERM/);
        assert.match(cli(["keys", "*"], "elasticache-app", APP), /NOPERM/);
        assert.equal(cli(["get", "courses:session:1"], "elasticache-platform"), "x", "the platform's user reaches every key");
        assert.match(cli(["get", "courses:session:1"], "elasticache-default", DEFAULT), /WRONGPASS|disabled/i, "a user that is off cannot log in");
    });
});

describe("aws.cache.acceptAuthToken is said at every up while it is on (default then takes the old token with full access)", function () {
    this.timeout(120000);
    const warnings = (run: StackRun) => run.notices.filter((n) => n.level === "warning" && n.text.startsWith("aws.cache.acceptAuthToken"));

    it("warns, with the command that turns it off, only while it is set", async () => {
        const aws = stackConfigValues("prod")["llm-platform:aws"] as { cache?: Record<string, unknown> };
        const handover = await runStack("prod", { overrides: { "llm-platform:aws": { ...aws, cache: { ...aws.cache, acceptAuthToken: true } } }, exampleUserValues: true });
        assert.equal(warnings(handover).length, 1);
        assert.match(warnings(handover)[0].text, /full access.*npm run pulumi -- prod config rm --path aws\.cache\.acceptAuthToken/);
        assert.deepEqual(warnings(await runStack("prod", { exampleUserValues: true })), []);
    });
});
