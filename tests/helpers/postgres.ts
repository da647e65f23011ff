import { spawnSync, SpawnSyncReturns } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { freePort } from "./ports";
import { requireTool, TOOLS_REQUIRED } from "./tools";

/** Debian keeps the server binaries (initdb, pg_ctl) outside PATH. */
export function postgresBinDir(): string | undefined {
    const root = "/usr/lib/postgresql";
    if (!fs.existsSync(root)) return undefined;
    const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
    return versions.length > 0 ? path.join(root, versions[0], "bin") : undefined;
}

/**
 * The server binaries' directory for a suite that runs Debian's PostgreSQL, with `clientTool`
 * (psql, pg_dump) on PATH; the suite is skipped without them, unless tools are required.
 */
export function requirePostgres(ctx: Mocha.Context, clientTool: string): string {
    requireTool(ctx, clientTool, "postgresql-client");
    const bin = postgresBinDir();
    if (!bin) {
        if (TOOLS_REQUIRED) throw new Error("initdb not found: install Debian's postgresql (apt-get install postgresql)");
        ctx.skip();
    }
    return bin!;
}

/** Runs a server binary as the server's user: initdb refuses root, so as root that is Debian's `postgres`. */
export function asServerUser(args: string[]): SpawnSyncReturns<string> {
    return process.getuid?.() === 0 ? spawnSync("runuser", ["-u", "postgres", "--", ...args], { encoding: "utf8" }) : spawnSync(args[0], args.slice(1), { encoding: "utf8" });
}

/** The options every test server's data directory is made with. */
const INITDB_OPTIONS = ["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"];

/**
 * A new data directory at `data`, the cluster `initdb -D <data>` makes with the options above:
 * a copy of one initdb's output, kept in the temp folder by the initdb binary it came from. An
 * initdb costs 1.1 s of CPU here, a copy 0.3 s, and the suite makes a dozen test servers. The
 * copy keeps owners and modes (`cp -a`), so the server user owns it, 0700.
 */
export function initDataDirectory(bin: string, data: string): void {
    const initdb = path.join(bin, "initdb");
    const key = crypto
        .createHash("sha256")
        .update(JSON.stringify([fs.realpathSync(initdb), fs.statSync(initdb).mtimeMs, INITDB_OPTIONS, process.getuid?.()]))
        .digest("hex")
        .slice(0, 12);
    const template = path.join(os.tmpdir(), `llm-pg-template-${key}`);
    if (!fs.existsSync(path.join(template, "data", "PG_VERSION"))) {
        const draft = fs.mkdtempSync(path.join(os.tmpdir(), "llm-pg-template-draft-"));
        fs.chmodSync(draft, 0o777);
        const init = asServerUser([initdb, "-D", path.join(draft, "data"), ...INITDB_OPTIONS]);
        if (init.status !== 0) {
            fs.rmSync(draft, { recursive: true, force: true });
            throw new Error(`initdb failed: ${init.stderr}`);
        }
        // Another worker may have made it meanwhile: then its template is used and this draft goes.
        try {
            fs.renameSync(draft, template);
        } catch {
            fs.rmSync(draft, { recursive: true, force: true });
        }
    }
    const copy = spawnSync("cp", ["-a", path.join(template, "data"), data], { encoding: "utf8" });
    if (copy.status !== 0) throw new Error(`copying the initdb template failed: ${copy.stderr}`);
}

export interface TestPostgres {
    /** libpq environment for clients: socket directory, port, superuser. */
    readonly env: Record<string, string>;
    /** The server's log (its stderr). */
    readonly logFile: string;
    psql(database: string, sql: string): string;
    stop(): void;
}

export interface PostgresOptions {
    /** More server settings (`postgres -c key=value`). */
    readonly settings?: Readonly<Record<string, string>>;
    /** Also listen on 127.0.0.1, where every login needs its password (scram-sha-256). */
    readonly passwordOverTcp?: boolean;
    /** Also listen on 127.0.0.1 with trust auth, for JDBC clients. */
    readonly tcp?: boolean;
}

/**
 * A throwaway PostgreSQL server on a unix socket in a temp directory, trust auth (and, when
 * asked, 127.0.0.1: with trust for JDBC clients, or with password auth). initdb refuses to run as root, so as root the server
 * runs as Debian's `postgres` user.
 */
export async function startPostgres(bin: string, options: PostgresOptions = {}): Promise<TestPostgres> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-pg-"));
    fs.chmodSync(dir, 0o777);
    const data = path.join(dir, "data");
    initDataDirectory(bin, data);
    if (options.passwordOverTcp) {
        fs.writeFileSync(path.join(data, "pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n");
    }
    const port = await freePort();
    const listen = options.passwordOverTcp || options.tcp ? "127.0.0.1" : "''";
    const settings = Object.entries(options.settings ?? {}).map(([k, v]) => `-c ${k}=${v}`);
    const start = asServerUser([path.join(bin, "pg_ctl"), "-D", data, "-l", path.join(dir, "log"), "-w", "-o", [`-k ${dir} -p ${port} -c listen_addresses=${listen}`, ...settings].join(" "), "start"]);
    if (start.status !== 0) throw new Error(`pg_ctl start failed: ${start.stderr} ${fs.existsSync(path.join(dir, "log")) ? fs.readFileSync(path.join(dir, "log"), "utf8") : ""}`);
    // The clients of the server's own version first: Debian's /usr/bin/psql is a Perl wrapper
    // that picks a version on every call, which costs more than the call (npm run bench -- --tests).
    const env = { PATH: `${bin}${path.delimiter}${process.env.PATH}`, PGHOST: dir, PGPORT: String(port), PGUSER: "postgres" };
    return {
        env,
        logFile: path.join(dir, "log"),
        psql(database, sql) {
            const r = spawnSync(path.join(bin, "psql"), ["-v", "ON_ERROR_STOP=1", "-tA", "-d", database, "-c", sql], { encoding: "utf8", env: { ...process.env, ...env } });
            if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
            return r.stdout.trim();
        },
        stop() {
            asServerUser([path.join(bin, "pg_ctl"), "-D", data, "-m", "fast", "stop"]);
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
