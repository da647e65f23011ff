import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MIGRATION_STORES } from "../scripts/migration-stores";
import { PROJECT_DIR } from "../harness/run-stack";

/** What scripts/migrate.sh may use from the system; docker and kubectl come from the stubs. */
const SYSTEM_TOOLS = ["bash", "dirname", "mkdir", "grep", "cat", "sed", "head", "date", "sleep", "node"];

interface Run {
    status: number | null;
    out: string;
    /** Every call of a stub: its name and arguments. */
    calls: string[];
    /** What `kubectl create -f -` read, one JSON document per Job created. */
    created: any[];
}

/**
 * Runs `npm run migrate -- <args>` (scripts/migrate.sh) from a scratch copy of the scripts and
 * stack files, with a PATH of the system tools it needs and stub docker/kubectl CLIs that log
 * their arguments. `kubectl` answers from `cluster`: the CronJobs it has, and each Job's outcome.
 */
function migrate(args: string[], stubs: { docker?: string; kubectl?: string }, input = "", env: Record<string, string> = {}): Run {
    return runScript("migrate", args, stubs, input, env);
}

/** The same for any script of the stack's day two (migrate, restore). */
function runScript(script: string, args: string[], stubs: { docker?: string; kubectl?: string }, input = "", env: Record<string, string> = {}): Run {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-migrate-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.cpSync(path.join(PROJECT_DIR, "scripts"), path.join(dir, "scripts"), { recursive: true });
    for (const stack of ["dev", "prod"]) fs.copyFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), path.join(dir, `Pulumi.${stack}.yaml`));
    for (const tool of SYSTEM_TOOLS) fs.symlinkSync(spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim(), path.join(bin, tool));
    const log = path.join(dir, "calls.log");
    const created = path.join(dir, "created.jsonl");
    for (const [name, body] of Object.entries(stubs)) {
        fs.writeFileSync(path.join(bin, name), `#!/bin/bash\necho "${name} $*" >> ${log}\nCREATED=${created}\n${body}\n`, { mode: 0o755 });
    }
    const r = spawnSync("bash", [path.join(dir, "scripts", `${script}.sh`), ...args], {
        encoding: "utf8",
        env: { PATH: bin, HOME: dir, LLM_PLATFORM_POLL_SECONDS: "0", ...env },
        input,
    });
    const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8").trim().split("\n") : []);
    const result = { status: r.status, out: r.stdout + r.stderr, calls: read(log), created: read(created).map((l) => JSON.parse(l)) };
    fs.rmSync(dir, { recursive: true, force: true });
    return result;
}

/** A Docker engine with a dev stack whose TimescaleDB and SQL Server have migrate steps and backup schedulers. */
const docker = (runExit = 0) => `case "$1 $2" in
    info*) echo '{"NCPU":8,"MemTotal":17179869184,"SwapLimit":true}' ;;
    context*) echo 'unix:///var/run/docker.sock' ;;
    "container commit") echo "sha256:0123" ;;
    "container inspect") case "$3" in *-timescale-migrate | *-sqlserver-migrate) ;; *) exit 1 ;; esac ;;
    network*) echo llm-platform-dev ;;
    ps*) case "$*" in *service=timescale*) echo llm-platform-dev-timescale-backup-full ;; *service=sqlserver*) echo llm-platform-dev-sqlserver-backup-full ;; esac ;;
    run*) exit ${runExit} ;;
esac
exit 0`;

/** A cluster with the migrate templates of TimescaleDB, SQL Server and the app database, and TimescaleDB's backup CronJob. */
const kubectl = (outcome = "1/") => `args="$*"
case "$args" in
    *"get cronjob "*) case "$args" in *timescale-migrate*|*sqlserver-migrate*|*app-database-migrate*|*timescale-backup-full*) exit 0 ;; *) exit 1 ;; esac ;;
    *"create job --from=cronjob/"*"-migrate "*"--dry-run=client -o json"*)
        echo '{"kind":"Job","metadata":{"name":"x"},"spec":{"template":{"spec":{"initContainers":[{"name":"password"},{"name":"backup-first"}],"containers":[{"name":"migrate","args":["deploy"]}]}}}}' ;;
    *"create -f -"*) cat >> "$CREATED"; echo >> "$CREATED" ;;
    *"get job "*) echo "${outcome}" ;;
    *"logs "*) echo "log lines of the job" ;;
esac
exit 0`;

const runs = (r: Run) => r.calls.filter((c) => c.startsWith("docker run "));

describe("npm run migrate (scripts/migrate.sh)", () => {
    it("knows the stores that have migrations, as the program does", () => {
        const script = fs.readFileSync(path.join(PROJECT_DIR, "scripts", "migrate.sh"), "utf8");
        assert.equal(/^stores="([^"]+)"$/m.exec(script)![1], Object.keys(MIGRATION_STORES).join(" "));
    });

    it("refuses what it does not know, with its usage line, before touching anything", () => {
        for (const [args, message] of [
            [["dev"], /name the command: status, plan, deploy, verify or revert\nusage: npm run migrate -- \[<stack>\] status\|plan\|deploy\|verify\|revert/],
            [["dev", "upgrade"], /unknown command 'upgrade'/],
            // The first argument is the stack only when it names one (scripts/stack-arg.sh): here it is the command.
            [["staging", "status"], /unknown command 'staging'/],
            [["dev", "status", "postgres"], /unknown store 'postgres': the stores are timescale, sqlserver, app-database/],
            [["dev", "plan", "--to", "llm_logs"], /--to names a change of one store: name the store too/],
            [["dev", "revert"], /revert one store at a time: name it/],
            [["dev", "deploy", "timescale", "--force"], /unknown option '--force'/],
        ] as const) {
            const r = migrate([...args], { docker: docker() });
            assert.equal(r.status, 2, r.out);
            assert.match(r.out, message);
            assert.deepEqual(r.calls, [], `${args.join(" ")}: nothing ran`);
        }
    });

    it("takes the stack by the one rule of every script, naming it first", () => {
        const fromVariable = migrate(["status"], { docker: docker() }, "", { LLM_PLATFORM_STACK: "staging" });
        assert.equal(fromVariable.status, 2);
        assert.match(fromVariable.out, /^npm run migrate: unknown stack 'staging' \(from LLM_PLATFORM_STACK\): there is no Pulumi\.staging\.yaml/);
        assert.deepEqual(fromVariable.calls, []);
        assert.match(migrate(["status"], { docker: docker() }).out, /^npm run migrate: stack dev \(the default; name another as the first argument or in LLM_PLATFORM_STACK\)\n/);
    });

    it("dev: runs each store's migrate step again, as it ended, with the command; stores without one are skipped", () => {
        const r = migrate(["dev", "status"], { docker: docker() });
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, /^npm run migrate: stack dev \(the first argument\)\n/);
        assert.deepEqual(r.calls.filter((c) => /^docker container commit/.test(c)), [
            "docker container commit llm-platform-dev-timescale-migrate llm-platform-dev-timescale-migrate:manual",
            "docker container commit llm-platform-dev-sqlserver-migrate llm-platform-dev-sqlserver-migrate:manual",
        ]);
        assert.deepEqual(runs(r), [
            "docker run --rm --network llm-platform-dev --entrypoint /bin/sh sha256:0123 /opt/llm-platform/migrate.sh status",
            "docker run --rm --network llm-platform-dev --entrypoint /bin/sh sha256:0123 /opt/llm-platform/migrate.sh status",
        ]);
        assert.equal(r.calls.filter((c) => c.startsWith("docker image rm")).length, 2, "the images go again");
        assert.ok(!r.calls.some((c) => c.startsWith("docker exec")), "status takes no backup");
    });

    it("dev: takes a fresh backup before a deploy, and passes --to", () => {
        const r = migrate(["dev", "deploy", "timescale", "--to", "llm_logs"], { docker: docker() });
        assert.equal(r.status, 0, r.out);
        const backup = r.calls.indexOf("docker exec llm-platform-dev-timescale-backup-full sh /opt/llm-platform/backup.sh backup full");
        assert.ok(backup >= 0, r.calls.join("\n"));
        assert.deepEqual(runs(r), ["docker run --rm --network llm-platform-dev --entrypoint /bin/sh sha256:0123 /opt/llm-platform/migrate.sh deploy --to llm_logs"]);
        assert.ok(backup < r.calls.findIndex((c) => c.startsWith("docker run")));
    });

    it("asks before a revert: the store's name goes on, anything else stops; --yes does not ask", () => {
        const no = migrate(["dev", "revert", "sqlserver", "--to", "documents"], { docker: docker() }, "y\n");
        assert.equal(no.status, 1);
        assert.match(no.out, /revert sqlserver of stack dev to documents\. What the reverted changes made is dropped, with its data/);
        assert.match(no.out, /not reverted/);
        assert.deepEqual(runs(no), []);
        const yes = migrate(["dev", "revert", "sqlserver", "--to", "documents"], { docker: docker() }, "sqlserver\n");
        assert.equal(yes.status, 0, yes.out);
        assert.deepEqual(runs(yes), ["docker run --rm --network llm-platform-dev --entrypoint /bin/sh sha256:0123 /opt/llm-platform/migrate.sh revert --to documents --yes"]);
        const unasked = migrate(["dev", "revert", "timescale", "--yes"], { docker: docker() });
        assert.equal(unasked.status, 0, unasked.out);
        assert.doesNotMatch(unasked.out, /Type the store name/);
        assert.deepEqual(runs(unasked), ["docker run --rm --network llm-platform-dev --entrypoint /bin/sh sha256:0123 /opt/llm-platform/migrate.sh revert --yes"]);
    });

    it("dev: fails when the engine fails, and names a missing step", () => {
        const failed = migrate(["dev", "deploy", "sqlserver"], { docker: docker(1) });
        assert.equal(failed.status, 1, failed.out);
        // The stack from LLM_PLATFORM_STACK, as every script takes it.
        const missing = migrate(["status", "app-database"], { docker: docker() }, "", { LLM_PLATFORM_STACK: "dev" });
        assert.equal(missing.status, 1);
        assert.match(missing.out, /stack 'dev' has no app-database migrate step \(llm-platform-dev-app-database-migrate\)/);
    });

    it("prod: a Job from the step's suspended CronJob with the command; a read-only command skips the pod's own backup", () => {
        const r = migrate(["prod", "plan", "app-database", "--to", "app_schema"], { kubectl: kubectl() });
        assert.equal(r.status, 0, r.out);
        assert.ok(r.calls.some((c) => /^kubectl --namespace llm-platform create job --from=cronjob\/app-database-migrate app-database-migrate-plan-\d{14} --dry-run=client -o json$/.test(c)), r.calls.join("\n"));
        assert.equal(r.created.length, 1);
        const pod = r.created[0].spec.template.spec;
        assert.deepEqual(pod.containers[0].args, ["plan", "--to", "app_schema"]);
        assert.deepEqual(pod.initContainers.map((c: any) => c.name), ["password"], "no snapshot for a dry run");
        assert.match(r.out, /log lines of the job/);
        assert.ok(!r.calls.some((c) => c.includes("cronjob/app-database-backup")), "the app database's backup is its own init container");
    });

    it("prod: a deploy waits for a fresh backup Job of the store first, then runs the migrate Job with its backup init container kept", () => {
        const r = migrate(["prod", "deploy", "timescale"], { kubectl: kubectl() });
        assert.equal(r.status, 0, r.out);
        const backup = r.calls.findIndex((c) => /^kubectl --namespace llm-platform create job --from=cronjob\/timescale-backup-full timescale-backup-before-deploy-\d{14}$/.test(c));
        const job = r.calls.findIndex((c) => c.includes("create -f -"));
        assert.ok(backup >= 0 && backup < job, r.calls.join("\n"));
        assert.deepEqual(r.created[0].spec.template.spec.containers[0].args, ["deploy"]);
        assert.deepEqual(r.created[0].spec.template.spec.initContainers.map((c: any) => c.name), ["password", "backup-first"]);
    });

    it("prod: fails, with the Job's logs, when the Job fails", () => {
        const r = migrate(["prod", "verify", "sqlserver"], { kubectl: kubectl("/1") });
        assert.equal(r.status, 1, r.out);
        assert.match(r.out, /log lines of the job/);
    });
});

/** A cluster with the restore templates of SQL Server and Qdrant (download + restore containers, BACKUP_ID/RESTORE_TO in each). */
const restoreCluster = (outcome = "1/") => `args="$*"
case "$args" in
    *"get cronjob "*) case "$args" in *sqlserver-restore*|*qdrant-restore*) exit 0 ;; *) exit 1 ;; esac ;;
    *"create job --from=cronjob/"*"-restore "*"--dry-run=client -o json"*)
        echo '{"kind":"Job","metadata":{"name":"x"},"spec":{"template":{"spec":{"initContainers":[{"name":"download","env":[{"name":"BACKUP_ID","value":"latest"},{"name":"RESTORE_TO","value":""},{"name":"RESTORE_TIER","value":"Standard"}]}],"containers":[{"name":"restore","env":[{"name":"BACKUP_ID","value":"latest"},{"name":"RESTORE_TO","value":""}]}]}}}}' ;;
    *"create -f -"*) cat >> "$CREATED"; echo >> "$CREATED" ;;
    *"get job "*) echo "${outcome}" ;;
    *"logs "*) echo "log lines of the job" ;;
esac
exit 0`;

describe("npm run restore on a Kubernetes stack (scripts/restore.sh)", () => {
    const envOf = (job: any, container: string) =>
        Object.fromEntries([...job.spec.template.spec.initContainers, ...job.spec.template.spec.containers].find((c: any) => c.name === container).env.map((e: any) => [e.name, e.value]));

    it("restores SQL Server to a point in time: a Job from its restore template with RESTORE_TO, from the newest full backup before it", () => {
        const r = runScript("restore", ["prod", "sqlserver", "--to", "2026-11-23T09:30:00"], { kubectl: restoreCluster() });
        assert.equal(r.status, 0, r.out);
        assert.equal(r.created.length, 1);
        for (const c of ["download", "restore"]) assert.deepEqual({ ...envOf(r.created[0], c), RESTORE_TIER: undefined }, { BACKUP_ID: "latest", RESTORE_TO: "2026-11-23T09:30:00", RESTORE_TIER: undefined }, c);
        assert.equal(envOf(r.created[0], "download").RESTORE_TIER, "Standard", "the template's other settings stay");
        assert.ok(r.calls.some((c) => /^kubectl --namespace llm-platform create job --from=cronjob\/sqlserver-restore sqlserver-restore-\d{14} --dry-run=client -o json$/.test(c)), r.calls.join("\n"));
        assert.match(r.out, /log lines of the job/);
        const given = runScript("restore", ["prod", "sqlserver", "20261123T020000Z-full", "--to", "2026-11-23T09:30:00"], { kubectl: restoreCluster() });
        assert.equal(envOf(given.created[0], "restore").BACKUP_ID, "20261123T020000Z-full");
        // RFC 3339 with its offset, as TimescaleDB's --to takes it: STOPAT gets the same instant in UTC.
        const offset = runScript("restore", ["prod", "sqlserver", "--to", "2026-11-23T10:30:00+01:00"], { kubectl: restoreCluster() });
        assert.equal(offset.status, 0, offset.out);
        assert.equal(envOf(offset.created[0], "restore").RESTORE_TO, "2026-11-23T09:30:00");
    });

    it("restores Qdrant's newest snapshot into the cluster, and fails when the Job fails", () => {
        const r = runScript("restore", ["prod", "qdrant", "latest"], { kubectl: restoreCluster() });
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(envOf(r.created[0], "restore"), { BACKUP_ID: "latest", RESTORE_TO: "" });
        const failed = runScript("restore", ["prod", "qdrant", "latest"], { kubectl: restoreCluster("/1") });
        assert.equal(failed.status, 1);
        assert.match(failed.out, /the restore Job qdrant-restore-\d{14} failed \(logs above\)/);
    });

    it("refuses a malformed time, --to on a store without logs, and a store without a restore template, before creating anything", () => {
        for (const [args, message] of [
            [["prod", "sqlserver", "--to", "23/11/2026 09:30"], /--to must be an RFC 3339 time .* or a UTC time as YYYY-MM-DDTHH:MM:SS/],
            [["prod", "sqlserver", "--to", "2026-13-23T09:30:00Z"], /--to '2026-13-23T09:30:00Z' is not a real time/],
            [["prod", "qdrant", "--to", "2026-11-23T09:30:00"], /--to is SQL Server's point in time/],
            [["prod", "redis", "latest"], /no restore template for redis .*ElastiCache restores from its snapshots/],
        ] as const) {
            const r = runScript("restore", [...args], { kubectl: restoreCluster() });
            assert.ok(r.status === 1 || r.status === 2, r.out);
            assert.match(r.out, message);
            assert.equal(r.created.length, 0);
        }
    });
});
