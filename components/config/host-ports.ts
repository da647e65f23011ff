/** A port the stack publishes on the host, with the config key that moves it. */
export interface HostPort {
    readonly service: string;
    readonly key: string;
    readonly port: number;
    readonly ip: string;
}

interface PortConfig {
    readonly proxy: { readonly httpsPort: number; readonly httpPort: number; readonly bindAddress: string };
    readonly [service: string]: unknown;
}

const LOOPBACK_SERVICES = ["sqlserver", "ollama", "timescale", "redis", "qdrant"] as const;

/** Every host port of a Docker stack: the proxy on its bind address, the rest on loopback when asked. */
export function hostPorts(c: PortConfig): HostPort[] {
    const ports: HostPort[] = [
        { service: "proxy", key: "proxy.httpsPort", port: c.proxy.httpsPort, ip: c.proxy.bindAddress },
        { service: "proxy", key: "proxy.httpPort", port: c.proxy.httpPort, ip: c.proxy.bindAddress },
    ];
    for (const service of LOOPBACK_SERVICES) {
        const port = (c[service] as { hostPort?: number } | undefined)?.hostPort;
        if (port !== undefined) ports.push({ service, key: `${service}.hostPort`, port, ip: "127.0.0.1" });
    }
    return ports;
}
