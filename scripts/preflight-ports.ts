import * as net from "net";
import { HostPort } from "../components/config/host-ports";

/** Can a listener bind this address now? */
export function portIsFree(port: number, ip: string): Promise<boolean> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.once("error", () => resolve(false));
        server.listen({ port, host: ip, exclusive: true }, () => server.close(() => resolve(true)));
    });
}

/**
 * Host ports the stack's own containers publish (`docker ps` of its label): a second
 * `npm run up` finds them taken by itself, which is fine.
 */
export function portsOfOwnContainers(stackLabel: string, docker: (args: string[]) => string): Set<number> {
    const out = docker(["ps", "--filter", `label=llm-platform.stack=${stackLabel}`, "--format", "{{.Ports}}"]);
    const ports = new Set<number>();
    for (const m of out.matchAll(/:(\d+)->/g)) ports.add(Number(m[1]));
    return ports;
}

/** The stack's host ports that another program holds. */
export async function busyPorts(ports: readonly HostPort[], own: ReadonlySet<number>): Promise<HostPort[]> {
    const busy: HostPort[] = [];
    for (const p of ports) {
        if (own.has(p.port)) continue;
        if (!(await portIsFree(p.port, p.ip))) busy.push(p);
    }
    return busy;
}
