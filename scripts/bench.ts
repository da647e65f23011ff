/**
 * Timing and footprint figures, kept out of the tests: how long the program and the checks
 * take, and what the dev stack asks of the machine with observability on and off.
 *   npm run bench            (5 rounds of each)
 *   npm run bench -- --tests (npm test phase by phase, and the test files that cost most)
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { describeMb } from "../components/config/footprint";
import { parseConfig } from "../components/config/load";
import { presetNames } from "../components/config/presets";
import { renderNginxConf } from "../components/proxy/nginx-conf";
import { ollamaRoutes } from "../components/proxy/proxy";
import { policyResources } from "../harness/policy-report";
import { PROJECT_DIR, runStack } from "../harness/run-stack";
import { kubernetesTotals } from "../harness/kubernetes-totals";
import { criticalPath } from "../harness/critical-path";
import { stackTotals } from "../harness/stack-totals";
import { OfflineResource, runPolicyPack } from "../policies/rules/offline";
import { childCpuSeconds, FileCost, fileCosts, keptCosts, totalCpuS } from "../tests/helpers/file-costs";
import { readRecord } from "../tests/helpers/run-record";

async function time(label: string, rounds: number, fn: () => unknown | Promise<unknown>) {
    const samples: number[] = [];
    for (let i = 0; i < rounds; i++) {
        const start = performance.now();
        await fn();
        samples.push(performance.now() - start);
    }
    samples.sort((a, b) => a - b);
    const median = samples[Math.floor(samples.length / 2)];
    console.log(`${label.padEnd(44)} median ${median.toFixed(3).padStart(9)} ms   min ${samples[0].toFixed(3).padStart(9)} ms   (${rounds} rounds)`);
}

async function main() {
    if (process.argv.includes("--tests")) return testSuiteFigures();
    const rounds = Number(process.argv[2] ?? 5);
    await time("config validation (all defaults)", rounds * 20, () => parseConfig({}));
    await time("nginx.conf rendering", rounds * 20, () =>
        renderNginxConf({
            nginxVersion: "1.30.5",
            resolver: "127.0.0.11",
            tlsDir: "/etc/nginx/tls",
            publicHttpsPort: 8443,
            upstreams: ollamaRoutes("ollama:11434"),
            clientMaxBodyMb: 50,
            auth: { keysFile: "/etc/nginx/auth/api-keys.map", ratePerSecond: 10, burst: 20 },
            upstreamTimeoutSeconds: 300,
        }),
    );
    await time("dev stack under mocks (program + outputs)", rounds, () => runStack("dev"));
    const prod = await runStack("prod", { exampleUserValues: true });
    const prodCount = prod.resources.filter((r) => r.custom).length;
    await time(`prod stack under mocks (${prodCount} resources)`, rounds, () => runStack("prod", { exampleUserValues: true }));
    // The policy pack over every stack whose program runs under mocks (placeholders filled with example values).
    for (const stack of stackNames()) {
        let resources: OfflineResource[];
        try {
            resources = policyResources(await runStack(stack, { exampleUserValues: true }));
        } catch (e) {
            console.log(`policy pack over the ${stack} stack: skipped, the program does not run (${(e as Error).message.split("\n")[0]})`);
            continue;
        }
        await time(`policy pack over the ${stack} stack (${resources.length} res.)`, rounds, () => runPolicyPack(resources));
    }
    await coldDeployPath();
    await observabilityFootprint();
    await prodObservabilityFootprint();
}

/** Stacks with a Pulumi.<stack>.yaml in the project. */
function stackNames(): string[] {
    return fs
        .readdirSync(PROJECT_DIR)
        .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** The dev stack's critical path on a cold `pulumi up` under harness/critical-path.ts's weighted model. */
async function coldDeployPath() {
    console.log("\ndev stack cold deploy, critical path under the weighted model (harness/critical-path.ts)");
    for (const [label, observability] of [["observability on", {}], ["logs off", { logs: false }], ["observability off", { metrics: false, logs: false }]] as const) {
        const { path, seconds, finish } = criticalPath(await runStack("dev", { overrides: { "llm-platform:observability": observability } }));
        console.log(`  ${label.padEnd(18)} ${String(seconds).padStart(4)} s: ${path.map((p) => `${p.split("::")[1]} (${finish.get(p)} s)`).join(" -> ")}`);
    }
}

/** The dev stack's service limits and reservations per size preset, observability on, off, and each half alone. */
async function observabilityFootprint() {
    const variants: [string, object][] = [
        ["observability on (default)", {}],
        ["metrics only", { metrics: true, logs: false }],
        ["logs only", { metrics: false, logs: true }],
        ["observability off", { metrics: false, logs: false }],
    ];
    console.log("\ndev stack: long-running services, and everything at once (with the backup schedulers and the one-shot steps: what must fit the engine)");
    for (const size of presetNames) {
        for (const [label, observability] of variants) {
            const t = stackTotals(await runStack("dev", { overrides: { "llm-platform:size": size, "llm-platform:observability": observability } }));
            console.log(
                `  ${size.padEnd(8)} ${label.padEnd(27)} services ${String(t.services.containers).padStart(2)} containers  cpu ${String(t.services.cpu).padStart(5)}  ` +
                    `limits ${describeMb(t.services.memoryMb).padStart(17)}  reserved ${String(t.services.memoryReservationMb).padStart(6)} MB   ` +
                    `at once ${String(t.atOnce.containers).padStart(2)} containers  limits ${describeMb(t.atOnce.memoryMb).padStart(17)}`,
            );
        }
    }
}

/** The prod stack's pods (replicas counted) and its per-node DaemonSets, observability on and off. */
async function prodObservabilityFootprint() {
    console.log("\nprod stack (Kubernetes) limits and requests (long-running pods; Jobs excluded)");
    const variants: [string, object][] = [
        ["observability on (Pulumi.prod.yaml)", {}],
        ["observability off", { metrics: false, logs: false }],
    ];
    for (const [label, observability] of variants) {
        const t = kubernetesTotals(await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:observability": observability } }));
        const line = (what: string, x: typeof t.cluster) =>
            `  ${label.padEnd(36)} ${what.padEnd(9)} ${String(x.pods).padStart(2)} pods  cpu ${String(x.cpu).padStart(6)} (req ${String(x.cpuRequest).padStart(6)})  ` +
            `limits ${String(x.memoryMb).padStart(6)} MB (${(x.memoryMb / 1024).toFixed(1)} GB)  requests ${String(x.memoryRequestMb).padStart(6)} MB`;
        console.log(line("cluster", t.cluster));
        console.log(line("per node", t.perNode));
    }
}

/**
 * `npm test` (scripts/test.sh) as a user runs it, and its type check cold and warm: wall time
 * and CPU time (user + sys of every process, child processes included), with the machine's
 * load average, since other work on the same CPUs inflates the wall times. Then the test
 * files by CPU, from tests/helpers/file-costs.ts in each mocha worker.
 */
async function testSuiteFigures() {
    const load = () => os.loadavg()[0].toFixed(1);
    console.log(`npm test on ${os.availableParallelism()} CPUs, load average ${load()} at the start (CPU: user+sys, child processes included)`);
    // As scripts/test.sh runs it: the project's tsc, not through npx.
    const tscBin = path.join(PROJECT_DIR, "node_modules", ".bin", "tsc");
    const tsc = ["--build", ".", "policies", "--noEmit", "--incremental"];
    const row = (label: string, r: Measured, note = "") =>
        console.log(`  ${label.padEnd(52)} wall ${r.wallS.toFixed(1).padStart(6)} s   cpu ${r.cpuS === undefined ? "   n/a" : r.cpuS.toFixed(1).padStart(6)} s${note}`);
    row("tsc --build, cold (--force: no build info)", measure(tscBin, [...tsc, "--force"]));
    const tscWarm = measure(tscBin, tsc);
    row("tsc --build, warm (nothing changed)", tscWarm);

    // The previous run's per-file CPU (tests/helpers/file-costs.ts keeps it; this run replaces it): the "before".
    const previous = keptCosts();
    const costs = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "llm-bench-")), "costs.jsonl");
    const test = measure("bash", ["scripts/test.sh"], { [fileCosts.variable]: costs });
    const counts = [...test.output.matchAll(/^\s+(\d+ (?:passing|failing|pending))/gm)].map((m) => m[1]).join(", ");
    row("npm test, warm (tsc warm, then mocha in parallel)", test, `   ${counts}${test.status === 0 ? "" : `, exit ${test.status}`}`);
    console.log(`  load average ${load()} at the end`);

    const files = readRecord<FileCost>(costs);
    fs.rmSync(path.dirname(costs), { recursive: true, force: true });
    const workers = new Set(files.map((f) => f.pid)).size;
    const before = (f: FileCost) => previous[path.relative(PROJECT_DIR, f.file)];
    const seconds = (s: number | undefined) => (s === undefined ? "     -" : s.toFixed(1).padStart(6));
    console.log(`\ntest files by CPU (${files.length} files in ${workers} workers; a worker's first file also pays for loading what it imports; "before": the previous run recorded here)`);
    for (const f of [...files].sort((a, b) => totalCpuS(b) - totalCpuS(a)).slice(0, 20)) {
        console.log(
            `  ${path.relative(PROJECT_DIR, f.file).padEnd(52)} cpu ${totalCpuS(f).toFixed(1).padStart(6)} s (child processes ${(f.childCpuS ?? 0).toFixed(1).padStart(5)} s)   wall ${f.wallS.toFixed(1).padStart(6)} s   before ${seconds(before(f))} s`,
        );
    }
    // On N CPUs the suite cannot take less than its CPU over N, plus the type check before it.
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const total = sum(files.map(totalCpuS));
    const children = sum(files.map((f) => f.childCpuS ?? 0));
    const cpus = os.availableParallelism();
    const estimate = (cpu: number) => `${(cpu / cpus + tscWarm.wallS).toFixed(0)} s`;
    console.log(`  all ${files.length} files: cpu ${total.toFixed(1)} s (child processes ${children.toFixed(1)} s): at best ${estimate(total)} on ${cpus} CPUs with the warm type check`);
    const previousTotal = sum(Object.values(previous));
    if (previousTotal > 0) console.log(`  before: ${Object.keys(previous).length} files, cpu ${previousTotal.toFixed(1)} s: at best ${estimate(previousTotal)}`);
    if (test.status !== 0) {
        console.log(`\nnpm test failed (exit ${test.status}); its last lines:\n${test.output.split("\n").slice(-40).join("\n")}`);
        process.exitCode = 1;
    }
}

interface Measured {
    wallS: number;
    /** undefined where /proc/self/stat is not there (not Linux). */
    cpuS?: number;
    status: number | null;
    output: string;
}

/** Runs a command in the project folder; its CPU is what this process's waited-for children used meanwhile. */
function measure(command: string, args: string[], env: Record<string, string> = {}): Measured {
    const cpu0 = childCpuSeconds();
    const start = performance.now();
    const r = spawnSync(command, args, { cwd: PROJECT_DIR, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 });
    const wallS = (performance.now() - start) / 1000;
    const cpu1 = childCpuSeconds();
    return { wallS, cpuS: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0, status: r.status, output: (r.stdout ?? "") + (r.stderr ?? "") };
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
