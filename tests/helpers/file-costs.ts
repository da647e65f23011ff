/**
 * What each test file costs, measured in the mocha worker that runs it (.mocharc.js loads
 * this plugin). A worker charges a file with the CPU it spent since its previous file ended
 * (loading the modules the file is the first to import included) and the CPU of the child
 * processes the file ran and waited for (Linux: /proc/self/stat). At the end of the run the
 * main process keeps each file's CPU in COSTS_FILE, by which .mocharc.js hands out the
 * heaviest files first next time; `npm run bench -- --tests` reads the run's record itself.
 */
import * as fs from "fs";
import * as path from "path";
import { RunRecord } from "./run-record";

/** Each file's CPU seconds in the last run that ran it, by path from the project folder (read by .mocharc.js). */
export const COSTS_FILE = path.resolve(__dirname, "..", "..", "node_modules", ".cache", "llm-platform", "test-file-costs.json");

export interface FileCost {
    /** Absolute path of the test file. */
    readonly file: string;
    /** The worker process. */
    readonly pid: number;
    readonly wallS: number;
    readonly cpuS: number;
    /** CPU of the child processes the file waited for; undefined where /proc is not there. */
    readonly childCpuS?: number;
}

export const fileCosts = new RunRecord<FileCost>("LLM_PLATFORM_FILE_COSTS");

/** CPU seconds (user + sys) of the child processes this process has waited for: cutime + cstime of /proc/self/stat, in Linux's 1/100 s ticks. */
export function childCpuSeconds(): number | undefined {
    try {
        const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
        return (Number(fields[13]) + Number(fields[14])) / 100;
    } catch {
        return undefined;
    }
}

function cpuSeconds(): number {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
}

export const totalCpuS = (cost: FileCost) => cost.cpuS + (cost.childCpuS ?? 0);

/** Where this worker stood when its previous file ended (at first: when the process started). */
let since = { wall: performance.timeOrigin, cpu: 0, children: 0 as number | undefined };

export const mochaHooks = {
    afterAll(this: Mocha.Context) {
        // Root hooks run around each file only in a worker; in a serial run they would wrap all files at once.
        const root = this.test?.parent;
        if (process.env.MOCHA_WORKER_ID === undefined || !root) return;
        const file = root.suites.find((s) => s.file)?.file ?? root.tests.find((t) => t.file)?.file;
        if (!file) return;
        const now = { wall: performance.timeOrigin + performance.now(), cpu: cpuSeconds(), children: childCpuSeconds() };
        fileCosts.append({
            file,
            pid: process.pid,
            wallS: (now.wall - since.wall) / 1000,
            cpuS: now.cpu - since.cpu,
            childCpuS: now.children === undefined || since.children === undefined ? undefined : now.children - since.children,
        });
        since = now;
    },
};

export function mochaGlobalSetup() {
    fileCosts.open(true);
}

/** Each test file's CPU seconds in the last run recorded here (by its path from the project), or nothing. */
export function keptCosts(): Record<string, number> {
    try {
        return JSON.parse(fs.readFileSync(COSTS_FILE, "utf8"));
    } catch {
        return {}; // first run here, or npm ci emptied node_modules
    }
}

export function mochaGlobalTeardown() {
    const costs = fileCosts.close();
    if (costs.length === 0) return;
    const kept = keptCosts();
    const projectDir = path.resolve(__dirname, "..", "..");
    for (const cost of costs) kept[path.relative(projectDir, cost.file)] = Number(totalCpuS(cost).toFixed(2));
    fs.mkdirSync(path.dirname(COSTS_FILE), { recursive: true });
    fs.writeFileSync(COSTS_FILE, JSON.stringify(kept, null, 1) + "\n");
}
