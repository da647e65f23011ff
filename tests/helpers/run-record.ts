/**
 * A record for one mocha run that every process of the run appends to, parallel workers
 * included (they inherit the variable naming the file), and that mocha's main process reads
 * once at the end. Opened and closed by global fixtures, which run in the main process only.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export class RunRecord<T> {
    private owned?: string;

    /** `variable` names the record's file in the environment of the run's processes. */
    constructor(readonly variable: string) {}

    /** Before the workers start: a new record, or the one the environment already names when `keepGiven` (a caller that reads it afterwards). */
    open(keepGiven = false): void {
        if (keepGiven && process.env[this.variable]) return;
        this.owned = fs.mkdtempSync(path.join(os.tmpdir(), "llm-run-record-"));
        process.env[this.variable] = path.join(this.owned, "record.jsonl");
    }

    /** From any process of the run; nothing when no record is open. One line per write: appends from parallel workers do not interleave. */
    append(entry: T): void {
        const file = process.env[this.variable];
        if (file) fs.appendFileSync(file, JSON.stringify(entry) + "\n");
    }

    /** At the end of the run: every entry; a record this run opened is removed. */
    close(): T[] {
        const file = process.env[this.variable];
        const entries = file ? readRecord<T>(file) : [];
        if (this.owned) {
            fs.rmSync(this.owned, { recursive: true, force: true });
            delete process.env[this.variable];
            this.owned = undefined;
        }
        return entries;
    }
}

/** The entries of a record file (none if nothing was written). */
export function readRecord<T>(file: string): T[] {
    if (!fs.existsSync(file)) return [];
    return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line));
}
