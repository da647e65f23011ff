import { ChildProcess } from "child_process";
import * as net from "net";

/** A TCP port on 127.0.0.1 that is free right now. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
        server.on("error", reject);
    });
}

/** Waits until something listens on 127.0.0.1:`port`; fails when `child` exits first or after 10 s, with `log()`. */
export async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
    for (let i = 0; i < 100; i++) {
        if (child.exitCode !== null) throw new Error(`exited before listening on ${port}: ${log()}`);
        const open = await new Promise<boolean>((resolve) => {
            const s = net.connect(port, "127.0.0.1");
            s.on("connect", () => (s.end(), resolve(true)));
            s.on("error", () => resolve(false));
        });
        if (open) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`nothing listens on ${port}: ${log()}`);
}
