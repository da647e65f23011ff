import { ContainerRole, describeMb, SizedContainer, Totals, totalsOf } from "../components/config/footprint";
import { RegisteredResource, StackRun } from "./run-stack";

const CONTAINER = "docker:index/container:Container";

export interface StackTotals {
    /** Long-running services and node agents. */
    readonly services: Totals;
    /** Backup schedulers: long-running too, mostly asleep. */
    readonly backups: Totals;
    /** One-shot steps: they run during `up`, beside the services. */
    readonly steps: Totals;
    /** Everything at once: what must fit the Docker engine (components/config/sizing.ts). */
    readonly atOnce: Totals;
    /** Published host ports: `ip:port -> container`. */
    readonly hostPorts: readonly string[];
    readonly gpuContainers: readonly string[];
}

const role = (c: RegisteredResource) => c.inputs.labels?.find((l: any) => l.label === "llm-platform.role")?.value as ContainerRole;

/** The containers a Docker stack registered, sized as the engine is asked (CPU reservations are shares / 1024). */
export function registeredContainers(run: StackRun): SizedContainer[] {
    return run.ofType(CONTAINER).map((c) => ({
        name: c.name,
        role: role(c),
        cpu: Number(c.inputs.cpus ?? 0),
        memoryMb: c.inputs.memory ?? 0,
        cpuReservation: (c.inputs.cpuShares ?? 0) / 1024,
        memoryReservationMb: c.inputs.memoryReservation ?? 0,
    }));
}

/** What a Docker stack asks of the machine, from what it registered: the figures the docs' sizing statements come from. */
export function stackTotals(run: StackRun): StackTotals {
    const containers = registeredContainers(run);
    const containersOf = (...roles: ContainerRole[]) => containers.filter((c) => roles.includes(c.role));
    const all = run.ofType(CONTAINER);
    return {
        services: totalsOf(containersOf("service", "node-agent")),
        backups: totalsOf(containersOf("backup")),
        steps: totalsOf(containersOf("init")),
        atOnce: totalsOf(containers),
        hostPorts: all.flatMap((c) => (c.inputs.ports ?? []).map((p: any) => `${p.ip}:${p.external} -> ${c.name}`)).sort(),
        gpuContainers: all.filter((c) => c.inputs.gpus).map((c) => c.name),
    };
}

export function describeTotals(t: StackTotals): string {
    const line = (what: string, x: Totals) =>
        `  ${what.padEnd(9)} ${String(x.containers).padStart(2)} containers, cpu ${x.cpu}, memory limits ${describeMb(x.memoryMb)}, reserved ${x.memoryReservationMb} MB`;
    return [
        "totals",
        line("services", t.services),
        line("backups", t.backups) + " (schedulers, mostly asleep)",
        line("steps", t.steps) + " (one-shot, during `up`, beside the services)",
        line("at once", t.atOnce) + " (what must fit the Docker engine)",
        `  host ports: ${t.hostPorts.join(", ") || "none"}`,
        `  GPU: ${t.gpuContainers.join(", ") || "none"}`,
    ].join("\n");
}
