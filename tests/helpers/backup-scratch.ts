/**
 * A backups root in a temp directory and ways to run a store's backup script there (under
 * real sh), as the schedulers and jobs run it.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface Result {
    status: number | null;
    out: string;
    err: string;
}

export interface Scratch {
    root: string;
    run(script: string, args: string[], env?: Record<string, string>): Result;
    /** For scripts that call a server in this process: spawnSync would block it. */
    runAsync(script: string, args: string[], env?: Record<string, string>): Promise<Result>;
    backups(store: string): string[];
}

export function scratch(): Scratch {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "llm-backup-"));
    fs.chmodSync(root, 0o777);
    const prepare = (script: string, env: Record<string, string>) => {
        const file = path.join(root, "backup.sh");
        fs.writeFileSync(file, script);
        return { file, env: { PATH: process.env.PATH!, BACKUP_ROOT: path.join(root, "backups"), ...env } };
    };
    return {
        root,
        run(script, args, env = {}) {
            const p = prepare(script, env);
            const r = spawnSync("sh", [p.file, ...args], { encoding: "utf8", env: p.env });
            return { status: r.status, out: r.stdout, err: r.stderr };
        },
        runAsync(script, args, env = {}) {
            const p = prepare(script, env);
            return new Promise((resolve) => {
                const child = spawn("sh", [p.file, ...args], { env: p.env });
                let out = "";
                let err = "";
                child.stdout.on("data", (d) => (out += d));
                child.stderr.on("data", (d) => (err += d));
                child.on("close", (status) => resolve({ status, out, err }));
            });
        },
        backups(store) {
            const dir = path.join(root, "backups", store);
            return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
        },
    };
}

