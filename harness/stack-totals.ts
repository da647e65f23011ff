import { RegisteredResource, StackRun } from "./run-stack";

const CONTAINER = "docker:index/container:Container";

export interface Totals {
    readonly containers: number;
    readonly cpu: number;
    readonly memoryMb: number;
    readonly memoryReservationMb: number;
}

export interface StackTotals {
    /** Long-running services: what the machine must hold at once. */
    readonly services: Totals;
    /** Backup and task schedulers: long-running too, mostly asleep. */
    readonly backups: Totals;
    /** Services and schedulers together: what runs all the time. */
    readonly longRunning: Totals;
    /** One-shot steps: they run after their service and exit. */
    readonly steps: Totals;
    /** Published host ports: `ip:port -> container`. */
    readonly hostPorts: readonly string[];
    readonly gpuContainers: readonly string[];
}

const role = (c: RegisteredResource) => c.inputs.labels?.find((l: any) => l.label === "llm-platform.role")?.value;

function sum(containers: RegisteredResource[]): Totals {
    return {
        containers: containers.length,
        // Rounded: 0.1 + 0.2 sums print as 0.30000000000000004 otherwise.
        cpu: Math.round(containers.reduce((s, c) => s + Number(c.inputs.cpus ?? 0), 0) * 1000) / 1000,
        memoryMb: containers.reduce((s, c) => s + (c.inputs.memory ?? 0), 0),
        memoryReservationMb: containers.reduce((s, c) => s + (c.inputs.memoryReservation ?? 0), 0),
    };
}

/** What a Docker stack asks of the machine: the figures the README's sizing statements come from. */
export function stackTotals(run: StackRun): StackTotals {
    const containers = run.ofType(CONTAINER);
    const services = containers.filter((c) => role(c) === "service" || role(c) === "node-agent");
    const backups = containers.filter((c) => role(c) === "backup" || role(c) === "tasks");
    return {
        services: sum(services),
        backups: sum(backups),
        longRunning: sum([...services, ...backups]),
        steps: sum(containers.filter((c) => role(c) === "init")),
        hostPorts: containers.flatMap((c) => (c.inputs.ports ?? []).map((p: any) => `${p.ip}:${p.external} -> ${c.name}`)).sort(),
        gpuContainers: containers.filter((c) => c.inputs.gpus).map((c) => c.name),
    };
}

export function describeTotals(t: StackTotals): string {
    const line = (what: string, x: Totals) =>
        `  ${what.padEnd(9)} ${String(x.containers).padStart(2)} containers, cpu ${x.cpu}, memory limits ${x.memoryMb} MB (${(x.memoryMb / 1024).toFixed(1)} GB), reserved ${x.memoryReservationMb} MB`;
    return [
        "totals",
        line("services", t.services),
        line("backups", t.backups) + " (schedulers, mostly asleep)",
        line("together", t.longRunning),
        line("steps", t.steps) + " (one at a time per service, then they exit)",
        `  host ports: ${t.hostPorts.join(", ") || "none"}`,
        `  GPU: ${t.gpuContainers.join(", ") || "none"}`,
    ].join("\n");
}
