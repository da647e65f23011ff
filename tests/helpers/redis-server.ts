/**
 * A throwaway redis-server on loopback running a generated redis.conf, in a directory of its own:
 * started once its default user answers PONG, stopped (and its directory removed) after its final save.
 */
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RedisConfArgs, renderRedisConf } from "../../components/redis/redis-conf";
import { freePort } from "./ports";
import { requireTool } from "./tools";

export interface TestRedis {
    readonly dir: string;
    readonly port: number;
    /** redis-cli against it, as `user` (default: the default user) with `password` through REDISCLI_AUTH. */
    cli(args: string[], password: string, user?: string): SpawnSyncReturns<string>;
    stop(): Promise<void>;
}

/** The generated redis.conf of a loopback test server: the port and folder it is given, LRU eviction and fsync every second, and the test's own settings. */
export function loopbackRedisConf(port: number, dataDir: string, settings: Omit<RedisConfArgs, "port" | "dataDir" | "bind" | "evictionPolicy" | "appendfsync">): string {
    return renderRedisConf({ port, bind: "127.0.0.1", dataDir, evictionPolicy: "allkeys-lru", appendfsync: "everysec", ...settings });
}

/**
 * `render` gets the port and data directory the server must use and returns the redis.conf to run;
 * `clientArgs` go before every CLI call (a TLS server: `--tls --cacert <file>`).
 */
export async function startRedis(ctx: Mocha.Context, render: (port: number, dataDir: string) => string, defaultPassword: string, clientArgs: readonly string[] = []): Promise<TestRedis> {
    const redisServer = requireTool(ctx, "redis-server", "redis-server");
    const cliPath = requireTool(ctx, "redis-cli", "redis-tools");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-redis-"));
    const port = await freePort();
    fs.writeFileSync(path.join(dir, "redis.conf"), render(port, dir));
    const server: ChildProcess = spawn(redisServer, [path.join(dir, "redis.conf")], { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    server.stdout!.on("data", (d) => (log += d));
    server.stderr!.on("data", (d) => (log += d));
    const cli = (args: string[], password: string, user?: string) =>
        spawnSync(cliPath, ["-h", "127.0.0.1", "-p", String(port), ...clientArgs, ...(user ? ["--user", user, "--no-auth-warning"] : []), ...args], {
            encoding: "utf8",
            env: { ...process.env, REDISCLI_AUTH: password },
        });
    const deadline = Date.now() + 10000;
    while (cli(["ping"], defaultPassword).stdout.trim() !== "PONG") {
        if (server.exitCode !== null) throw new Error(`redis-server rejected the generated config:\n${log}`);
        if (Date.now() > deadline) throw new Error(`redis-server did not answer within 10 s:\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
    }
    return {
        dir,
        port,
        cli,
        async stop() {
            // Redis refuses to exit while it cannot write its final save: stop it before removing its directory.
            if (server.exitCode === null) {
                const exited = new Promise((r) => server.once("exit", r));
                server.kill("SIGTERM");
                const timer = setTimeout(() => server.kill("SIGKILL"), 5000);
                await exited;
                clearTimeout(timer);
            }
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
