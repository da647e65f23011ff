/**
 * The Kubernetes backup jobs' upload and download scripts under real `sh`, against a fake
 * `aws` on PATH that records its arguments and keeps the "bucket" in a directory, and a
 * real HTTP server standing in for the Pushgateway.
 */
import assert from "node:assert/strict";
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { backupScript } from "../components/backup/script";
import { DOWNLOAD_SCRIPT, restoreCommand, UPLOAD_SCRIPT } from "../components/backup/transfer";

/**
 * `aws s3 cp SRC DST [flags]`, `aws s3 ls URL` and the two `s3api` calls an archived restore
 * makes, over $FAKE_S3. An object's storage class is in $FAKE_S3/.class/<bucket>/<key>
 * (absent: STANDARD); a restore in $FAKE_S3/.restore/<bucket>/<key> ("ongoing <polls left>"
 * or "done"). As the AWS CLI does (awscli/customizations/s3/fileinfo.py is_glacier_compatible):
 * `s3 cp` of a GLACIER or DEEP_ARCHIVE object without a restored copy is skipped with a
 * warning and exit code 2; HeadObject reports StorageClass and the Restore header
 * (`ongoing-request="true"`, then `ongoing-request="false", expiry-date=...`).
 * FAKE_AWS_FAIL=<substring> fails a cp whose arguments contain it.
 */
const FAKE_AWS = String.raw`#!/bin/sh
echo "$*" >> "$FAKE_AWS_LOG"
local_path() { echo "$FAKE_S3/$(echo "$1" | sed 's#^s3://##')"; }
meta() { echo "$FAKE_S3/.$1/$2/$3"; }
class_of() { f="$(meta class "$1" "$2")"; if [ -f "$f" ]; then cat "$f"; else echo STANDARD; fi; }
restore_of() { f="$(meta restore "$1" "$2")"; if [ -f "$f" ]; then cat "$f"; fi; }
archived() { case "$(class_of "$1" "$2")" in GLACIER|DEEP_ARCHIVE) [ "$(restore_of "$1" "$2")" != done ] ;; *) return 1 ;; esac; }
arg() { name="$1"; shift; while [ $# -gt 0 ]; do [ "$1" = "$name" ] && { echo "$2"; return; }; shift; done; }
case "$1" in
s3)
    case "$2" in
    cp)
        src="$3"; dst="$4"
        if [ -n "$FAKE_AWS_FAIL" ]; then case "$*" in *"$FAKE_AWS_FAIL"*) echo "fake aws: upload failed" >&2; exit 1 ;; esac; fi
        case "$src" in s3://*)
            path="${"$"}{src#s3://}"; b="${"$"}{path%%/*}"; k="${"$"}{path#*/}"
            if archived "$b" "$k"; then
                echo "warning: Skipping file $src. Object is of storage class $(class_of "$b" "$k"). Unable to perform download operations on GLACIER objects. You must restore the object to be able to perform the operation. See aws s3 download help for additional parameter options to ignore or force these transfers." >&2
                exit 2
            fi
            src="$(local_path "$src")" ;;
        esac
        case "$dst" in s3://*) dst="$(local_path "$dst")" ;; esac
        [ -f "$src" ] || { echo "fatal error: An error occurred (404) when calling the HeadObject operation: Key does not exist" >&2; exit 1; }
        mkdir -p "$(dirname "$dst")" && cp "$src" "$dst"
        ;;
    ls)
        p="$(local_path "$3")"
        case "$3" in
        */) [ -d "$p" ] || exit 1
            for d in $(ls -1 "$p"); do
                if [ -d "$p/$d" ]; then echo "                           PRE $d/"; else echo "2026-11-23 02:00:00 $(wc -c < "$p/$d" | tr -d ' ') $d"; fi
            done; exit 0 ;;
        *) [ -f "$p" ] || exit 1; echo "2026-11-23 02:00:00        123 $(basename "$p")" ;;
        esac
        ;;
    *) echo "fake aws: unknown command $2" >&2; exit 2 ;;
    esac
    ;;
s3api)
    b="$(arg --bucket "$@")"; k="$(arg --key "$@")"
    [ -f "$FAKE_S3/$b/$k" ] || { echo "An error occurred (404) when calling the HeadObject operation: Not Found" >&2; exit 254; }
    case "$2" in
    head-object)
        [ "$(arg --query "$@")" = "[StorageClass,Restore]" ] && [ "$(arg --output "$@")" = text ] || { echo "fake aws: unexpected head-object form: $*" >&2; exit 2; }
        class="$(class_of "$b" "$k")"; [ "$class" = STANDARD ] && class=None
        r="$(restore_of "$b" "$k")"
        case "$r" in
        "") restore=None ;;
        done) restore='ongoing-request="false", expiry-date="Fri, 27 Nov 2026 00:00:00 GMT"' ;;
        ongoing*)
            left="${"$"}{r#ongoing }"
            if [ "$left" -le 1 ]; then echo done > "$(meta restore "$b" "$k")"; else echo "ongoing $((left - 1))" > "$(meta restore "$b" "$k")"; fi
            restore='ongoing-request="true"' ;;
        esac
        printf '%s	%s
' "$class" "$restore"
        ;;
    restore-object)
        case "$(class_of "$b" "$k")" in GLACIER|DEEP_ARCHIVE) ;; *) echo "An error occurred (InvalidObjectState) when calling the RestoreObject operation: Restore is not allowed for the object's current storage class" >&2; exit 254 ;; esac
        case "$(restore_of "$b" "$k")" in ongoing*) echo "An error occurred (RestoreAlreadyInProgress) when calling the RestoreObject operation: Object restore is already in progress" >&2; exit 254 ;; esac
        mkdir -p "$(dirname "$(meta restore "$b" "$k")")"
        echo "ongoing ${"$"}{FAKE_RESTORE_POLLS:-2}" > "$(meta restore "$b" "$k")"
        ;;
    *) echo "fake aws: unknown s3api command $2" >&2; exit 2 ;;
    esac
    ;;
*) echo "fake aws: only s3 and s3api" >&2; exit 2 ;;
esac
`;

interface Run {
    status: number | null;
    err: string;
}

/** A store's volume, a bucket and a bin directory with the fake aws first on PATH. */
function world() {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "llm-transfer-"));
    const bin = path.join(root, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "aws"), FAKE_AWS, { mode: 0o755 });
    const backups = path.join(root, "backups");
    const bucket = path.join(root, "s3", "bucket", "backups");
    const log = path.join(root, "aws.log");
    const run = (script: string, env: Record<string, string>, args: string[] = []): Promise<Run> => {
        const file = path.join(root, `script-${Math.random().toString(36).slice(2)}.sh`);
        fs.writeFileSync(file, script);
        return new Promise((resolve) => {
            const child = spawn("sh", [file, ...args], {
                env: {
                    PATH: `${bin}:${process.env.PATH}`,
                    BACKUP_ROOT: backups,
                    FAKE_S3: path.join(root, "s3"),
                    FAKE_AWS_LOG: log,
                    S3_DESTINATION: "s3://bucket/backups/",
                    ...env,
                },
            });
            let err = "";
            child.stderr.on("data", (d) => (err += d));
            child.on("close", (status) => resolve({ status, err }));
        });
    };
    const awsCalls = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []);
    return { root, backups, bucket, run, awsCalls, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** A store whose backup writes the files it is given ($FILES: name=content;...) and whose restore prints them. */
const STORE_SCRIPT = backupScript(String.raw`
do_backup() {
    dir="$(new_backup_dir "$1")"
    echo "$FILES" | tr ';' '\n' | while IFS='=' read -r name content; do [ -n "$name" ] && printf '%s' "$content" > "$dir/$name"; done
    finish_backup "$dir" "$1"
}
do_restore() { dir="$(backup_path "$1")"; for f in "$dir"/*; do [ "$(basename "$f")" = manifest ] || cat "$f"; done; }
`);

describe("backup upload to S3 and download for a restore (sh, fake aws)", function () {
    this.timeout(30000);
    let w: ReturnType<typeof world>;
    beforeEach(() => (w = world()));
    afterEach(() => w.cleanup());

    const backup = async (files: string, kind = "full", store = "demo") => {
        const r = await w.run(STORE_SCRIPT, { STORE: store, FILES: files }, ["backup", kind]);
        assert.equal(r.status, 0, r.err);
        // Ids are per second: keep two backups apart.
        await new Promise((ok) => setTimeout(ok, 1100));
    };

    it("uploads each file with a SHA-256 checksum, the manifest last, and marks the backup uploaded", async () => {
        await backup("data.bin=hello;extra.txt=world");
        const r = await w.run(UPLOAD_SCRIPT, { STORE: "demo", JOB: "full" });
        assert.equal(r.status, 0, r.err);
        const [id] = fs.readdirSync(path.join(w.backups, "demo"));
        const calls = w.awsCalls();
        assert.equal(calls.length, 3);
        for (const c of calls) assert.match(c, /^s3 cp \S+ s3:\/\/bucket\/backups\/demo\/\S+ --only-show-errors --checksum-algorithm SHA256$/);
        assert.match(calls[2], new RegExp(`/demo/${id}/manifest s3://bucket/backups/demo/${id}/manifest `), "the manifest goes last");
        assert.deepEqual(fs.readdirSync(path.join(w.bucket, "demo", id)).sort(), ["data.bin", "extra.txt", "manifest"]);
        assert.ok(fs.existsSync(path.join(w.backups, "demo", id, ".uploaded")));

        const again = await w.run(UPLOAD_SCRIPT, { STORE: "demo", JOB: "full" });
        assert.notEqual(again.status, 0, "a run with nothing new to upload is a failed backup");
        assert.equal(w.awsCalls().length, 3, "nothing is uploaded twice");
    });

    it("refuses to upload a backup whose file was corrupted after its manifest, and uploads nothing of it", async () => {
        await backup("data.bin=hello");
        const [id] = fs.readdirSync(path.join(w.backups, "demo"));
        fs.writeFileSync(path.join(w.backups, "demo", id, "data.bin"), "hellO");
        const r = await w.run(UPLOAD_SCRIPT, { STORE: "demo", JOB: "full" });
        assert.notEqual(r.status, 0);
        assert.match(r.err, /data\.bin does not match its manifest/);
        assert.match(r.err, /refusing to upload/);
        assert.deepEqual(w.awsCalls(), []);
    });

    it("keeps a backup whose upload failed for the next run, without a manifest in the bucket", async () => {
        await backup("data.bin=hello");
        const [id] = fs.readdirSync(path.join(w.backups, "demo"));
        const failed = await w.run(UPLOAD_SCRIPT, { STORE: "demo", JOB: "full", FAKE_AWS_FAIL: "manifest" });
        assert.notEqual(failed.status, 0);
        assert.ok(!fs.existsSync(path.join(w.bucket, "demo", id, "manifest")), "unfinished in the bucket");
        assert.ok(!fs.existsSync(path.join(w.backups, "demo", id, ".uploaded")));
        const retried = await w.run(UPLOAD_SCRIPT, { STORE: "demo", JOB: "full" });
        assert.equal(retried.status, 0, retried.err);
        assert.ok(fs.existsSync(path.join(w.bucket, "demo", id, "manifest")));
    });

    it("never prunes a backup that has not been uploaded, with KEEP_UNTIL_UPLOADED", async () => {
        const dir = path.join(w.backups, "demo");
        for (const id of ["20260101T020000Z-full", "20260102T020000Z-full"]) {
            fs.mkdirSync(path.join(dir, id), { recursive: true });
            fs.writeFileSync(path.join(dir, id, "manifest"), "store demo\n");
            if (id.startsWith("20260102")) fs.writeFileSync(path.join(dir, id, ".uploaded"), "");
            const old = new Date(Date.now() - 300 * 86400_000);
            fs.utimesSync(path.join(dir, id), old, old);
        }
        const r = await w.run(STORE_SCRIPT, { STORE: "demo", FILES: "a=b", RETENTION_DAYS: "30", KEEP_LATEST: "1", KEEP_UNTIL_UPLOADED: "1" }, ["backup", "full"]);
        assert.equal(r.status, 0, r.err);
        const left = fs.readdirSync(dir).sort();
        assert.ok(left.includes("20260101T020000Z-full"), "not uploaded: kept");
        assert.ok(!left.includes("20260102T020000Z-full"), "uploaded and past the retention: pruned");
    });

    it("pushes the last-success metric to the Pushgateway after the upload; a failed push does not fail the backup", async () => {
        const bodies: { method: string; url: string; body: string }[] = [];
        const server = http.createServer((req, res) => {
            let body = "";
            req.on("data", (d) => (body += d));
            req.on("end", () => {
                bodies.push({ method: req.method!, url: req.url!, body });
                res.writeHead(200).end();
            });
        });
        await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
        const port = (server.address() as { port: number }).port;
        try {
            await backup("data.bin=hello", "log", "sqlserver");
            const r = await w.run(UPLOAD_SCRIPT, { STORE: "sqlserver", JOB: "log", PUSHGATEWAY_URL: `http://127.0.0.1:${port}` });
            assert.equal(r.status, 0, r.err);
            assert.equal(bodies.length, 1);
            assert.equal(bodies[0].method, "PUT");
            assert.equal(bodies[0].url, "/metrics/job/llm-platform-backup/store/sqlserver/kind/log");
            assert.match(bodies[0].body, /^llm_platform_backup_last_success_timestamp_seconds\{store="sqlserver",kind="log"\} \d+$/m);
        } finally {
            server.close();
        }
        await backup("data.bin=again", "log", "sqlserver");
        const unreachable = await w.run(UPLOAD_SCRIPT, { STORE: "sqlserver", JOB: "log", PUSHGATEWAY_URL: "http://127.0.0.1:9" });
        assert.equal(unreachable.status, 0, unreachable.err);
        assert.match(unreachable.err, /WARNING: could not push the last-success metric/);
    });

    it("downloads the latest full backup and the later logs, then the store's restore verifies and uses them", async () => {
        await backup("db.bak=full-1", "full");
        await backup("db.trn=log-1", "log");
        await backup("db.bak=full-2", "full");
        await backup("db.trn=log-2", "log");
        await backup("db.trn=log-3", "log");
        for (const kind of ["full", "log"]) assert.equal((await w.run(UPLOAD_SCRIPT, { STORE: "demo", JOB: kind })).status, 0);
        const ids = fs.readdirSync(path.join(w.backups, "demo")).sort();
        fs.rmSync(w.backups, { recursive: true });
        // An unfinished upload in the bucket (no manifest) is never taken.
        fs.mkdirSync(path.join(w.bucket, "demo", "29990101T000000Z-full"), { recursive: true });
        fs.writeFileSync(path.join(w.bucket, "demo", "29990101T000000Z-full", "db.bak"), "half");

        const r = await w.run(DOWNLOAD_SCRIPT, { STORE: "demo", BACKUP_ID: "latest", RESTORE_KIND: "full", CHAIN_KINDS: "log" });
        assert.equal(r.status, 0, r.err);
        assert.deepEqual(fs.readdirSync(path.join(w.backups, "demo")).sort(), ids.slice(2), "the second full and the two logs after it");
        assert.equal(fs.readFileSync(path.join(w.backups, ".restore-id"), "utf8").trim(), ids[2]);
        // The restore container's own command, on what the download left: the store's restore of that id, with the option.
        const storeScript = path.join(w.root, "store.sh");
        fs.writeFileSync(storeScript, STORE_SCRIPT.replace("do_restore() {", 'do_restore() { echo "option: ${2:-none}" >&2;'));
        const [sh, flag, line] = restoreCommand(storeScript, w.backups);
        const restored = await w.run(line, { STORE: "demo", RESTORE_TO: "2026-11-23T09:30:00" });
        assert.equal(restored.status, 0, restored.err);
        assert.match(restored.err, /option: 2026-11-23T09:30:00/);
        assert.deepEqual([sh, flag], ["sh", "-c"]);
        const noOption = await w.run(line, { STORE: "demo", RESTORE_TO: "" });
        assert.match(noOption.err, /option: none/, "an empty RESTORE_TO passes no argument");

        // A point in time before the second full backup (SQL Server's STOPAT): `latest` starts from the first one.
        const [, d, t] = /^(\d{8})T(\d{6})Z/.exec(ids[2])!;
        const beforeSecondFull = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4)}`;
        fs.rmSync(w.backups, { recursive: true });
        const pit = await w.run(DOWNLOAD_SCRIPT, { STORE: "demo", BACKUP_ID: "latest", RESTORE_KIND: "full", CHAIN_KINDS: "log", RESTORE_TO: beforeSecondFull });
        assert.equal(pit.status, 0, pit.err);
        assert.equal(fs.readFileSync(path.join(w.backups, ".restore-id"), "utf8").trim(), ids[0]);
        // A TimescaleDB target database in RESTORE_TO is no time: latest stays the newest.
        fs.rmSync(w.backups, { recursive: true });
        const named = await w.run(DOWNLOAD_SCRIPT, { STORE: "demo", BACKUP_ID: "latest", RESTORE_KIND: "full", CHAIN_KINDS: "log", RESTORE_TO: "drill_check" });
        assert.equal(named.status, 0, named.err);
        assert.equal(fs.readFileSync(path.join(w.backups, ".restore-id"), "utf8").trim(), ids[2]);

        const one = await w.run(DOWNLOAD_SCRIPT, { STORE: "demo", BACKUP_ID: ids[0], RESTORE_KIND: "full" });
        assert.equal(one.status, 0, one.err);
        assert.ok(fs.existsSync(path.join(w.backups, "demo", ids[0], "manifest")));
        assert.ok(!fs.existsSync(path.join(w.backups, "demo", ids[1])), "no chain kinds: only the backup asked for");
    });

    /** Moves objects of a backup in the fake bucket to an archive class, as the lifecycle does after transitionToGlacierDays. */
    const archive = (id: string, names: string[], storageClass = "GLACIER", restore?: string) => {
        for (const name of names) {
            const key = path.join("bucket", "backups", "demo", id, name);
            fs.mkdirSync(path.dirname(path.join(w.root, "s3", ".class", key)), { recursive: true });
            fs.writeFileSync(path.join(w.root, "s3", ".class", key), storageClass);
            if (restore !== undefined) {
                fs.mkdirSync(path.dirname(path.join(w.root, "s3", ".restore", key)), { recursive: true });
                fs.writeFileSync(path.join(w.root, "s3", ".restore", key), restore);
            }
        }
    };
    const restoreCalls = () => w.awsCalls().filter((c) => c.startsWith("s3api restore-object"));

    it("restores backups the lifecycle archived in GLACIER (the whole chain at once), waits for S3, then downloads and verifies them", async () => {
        await backup("db.bak=full-1", "full");
        await backup("db.trn=log-1", "log");
        for (const kind of ["full", "log"]) assert.equal((await w.run(UPLOAD_SCRIPT, { STORE: "demo", JOB: kind })).status, 0);
        const [full, log] = fs.readdirSync(path.join(w.backups, "demo")).sort();
        fs.rmSync(w.backups, { recursive: true });
        archive(full, ["db.bak", "manifest"]);
        archive(log, ["db.trn"]);
        // Instant Retrieval reads at once: no restore for it.
        archive(log, ["manifest"], "GLACIER_IR");

        const r = await w.run(DOWNLOAD_SCRIPT, { STORE: "demo", BACKUP_ID: "latest", RESTORE_KIND: "full", CHAIN_KINDS: "log", RESTORE_POLL_SECONDS: "0", FAKE_RESTORE_POLLS: "3" });
        assert.equal(r.status, 0, r.err);
        const request = '--restore-request {"Days":3,"GlacierJobParameters":{"Tier":"Standard"}}';
        assert.deepEqual(restoreCalls().sort(), [
            `s3api restore-object --bucket bucket --key backups/demo/${full}/db.bak ${request}`,
            `s3api restore-object --bucket bucket --key backups/demo/${full}/manifest ${request}`,
            `s3api restore-object --bucket bucket --key backups/demo/${log}/db.trn ${request}`,
        ]);
        // Asked for together, before the first download waits on any of them.
        const calls = w.awsCalls();
        const lastRestore = calls.map((c) => c.startsWith("s3api restore-object")).lastIndexOf(true);
        const firstCp = calls.findIndex((c) => c.startsWith("s3 cp s3://"));
        assert.ok(lastRestore < firstCp, "every restore is requested before the first download");
        assert.match(r.err, /3 object\(s\) of .* are archived in GLACIER: S3 restores them \(tier Standard\)/);
        assert.match(r.err, /Standard 3-5 hours, Bulk 5-12 hours/);
        assert.match(r.err, /start the restore again and it continues/);
        assert.match(r.err, /still waiting for \d archived object\(s\)/);
        assert.deepEqual(fs.readdirSync(path.join(w.backups, "demo")).sort(), [full, log]);
        assert.equal(fs.readFileSync(path.join(w.backups, "demo", full, "db.bak"), "utf8"), "full-1");
        assert.equal(fs.readFileSync(path.join(w.backups, ".restore-id"), "utf8").trim(), full);
        // The store's own restore then takes what was downloaded.
        const restored = await w.run(STORE_SCRIPT, { STORE: "demo" }, ["restore", full]);
        assert.equal(restored.status, 0, restored.err);
    });

    it("waits for a restore an earlier run already asked for, in the tier given, and refuses an unknown tier", async () => {
        await backup("db.bak=full-1", "full");
        assert.equal((await w.run(UPLOAD_SCRIPT, { STORE: "demo", JOB: "full" })).status, 0);
        const [id] = fs.readdirSync(path.join(w.backups, "demo"));
        fs.rmSync(w.backups, { recursive: true });
        // An earlier Job asked for the manifest, then hit its deadline.
        archive(id, ["manifest"], "GLACIER", "ongoing 2");
        archive(id, ["db.bak"], "DEEP_ARCHIVE");
        const r = await w.run(DOWNLOAD_SCRIPT, { STORE: "demo", BACKUP_ID: id, RESTORE_KIND: "full", RESTORE_TIER: "Bulk", RESTORE_DAYS: "1", RESTORE_POLL_SECONDS: "0" });
        assert.equal(r.status, 0, r.err);
        assert.deepEqual(restoreCalls(), [`s3api restore-object --bucket bucket --key backups/demo/${id}/db.bak --restore-request {"Days":1,"GlacierJobParameters":{"Tier":"Bulk"}}`]);
        assert.equal(fs.readFileSync(path.join(w.backups, "demo", id, "db.bak"), "utf8"), "full-1");

        const bad = await w.run(DOWNLOAD_SCRIPT, { STORE: "demo", BACKUP_ID: id, RESTORE_KIND: "full", RESTORE_TIER: "Fast" });
        assert.notEqual(bad.status, 0);
        assert.match(bad.err, /RESTORE_TIER=Fast: must be Expedited, Standard or Bulk/);
    });

    it("refuses a download whose file does not match the manifest, and a backup id that is not there", async () => {
        await backup("data.bin=hello");
        assert.equal((await w.run(UPLOAD_SCRIPT, { STORE: "demo", JOB: "full" })).status, 0);
        const [id] = fs.readdirSync(path.join(w.backups, "demo"));
        fs.rmSync(w.backups, { recursive: true });
        fs.writeFileSync(path.join(w.bucket, "demo", id, "data.bin"), "hellO");
        const bad = await w.run(DOWNLOAD_SCRIPT, { STORE: "demo", BACKUP_ID: id, RESTORE_KIND: "full" });
        assert.notEqual(bad.status, 0);
        assert.match(bad.err, /data\.bin does not match its manifest/);
        assert.match(bad.err, /refusing .*: the downloaded files do not match its manifest/);
        const restore = await w.run(STORE_SCRIPT, { STORE: "demo" }, ["restore", id]);
        assert.notEqual(restore.status, 0, "the store's restore refuses it too");

        const missing = await w.run(DOWNLOAD_SCRIPT, { STORE: "demo", BACKUP_ID: "20200101T000000Z-full", RESTORE_KIND: "full" });
        assert.notEqual(missing.status, 0);
        assert.match(missing.err, /no backup 20200101T000000Z-full of demo/);
    });
});
