/**
 * Checks before `npm run up` hands over to `pulumi up`, so a problem stops it with the key
 * to change instead of a Docker error halfway through: the stack's config (the program's
 * own validation, which holds the whole stack against what the Docker engine can give) and
 * free host ports. Prints what `size: auto` and `ollama.gpu: auto` resolve to, in the words
 * `pulumi up` uses (config/notices.ts).
 *
 *   npx ts-node --swc scripts/preflight.ts dev
 */
import { spawnSync } from "child_process";
import { ConfigError, parseConfig, PlatformConfig } from "../components/config/load";
import { configNotices } from "../components/config/notices";
import { hostPorts } from "../components/config/host-ports";
import { readEngineFacts } from "../components/platform/docker/engine";
import { stackRawConfig } from "../harness/stack-config";
import { busyPorts, portsOfOwnContainers } from "./preflight-ports";

async function main(stack: string): Promise<number> {
    const engine = readEngineFacts();
    let raw: Record<string, unknown>;
    let config: PlatformConfig;
    try {
        raw = stackRawConfig(stack);
        config = parseConfig(raw, { dockerEngine: engine, stack });
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        console.error(`npm run up: ${e.message}`);
        return 1;
    }
    if (config.platform !== "docker") return 0;

    console.log(`npm run up: Docker ${engine?.serverVersion ?? "(unknown)"}, ${engine?.cpus ?? "?"} CPUs, ${engine?.memoryMb ?? "?"} MB`);
    // Only what was decided for this machine: the warnings come again, once, from `pulumi up`.
    for (const n of configNotices(raw, config, stack).filter((x) => x.level === "info")) console.log(`npm run up: ${n.text}`);
    const own = portsOfOwnContainers(`llm-platform-${stack}`, (args) => spawnSync("docker", args, { encoding: "utf8" }).stdout ?? "");
    const busy = await busyPorts(hostPorts(config), own);
    for (const p of busy) {
        console.error(
            `npm run up: port ${p.port} on ${p.ip} (${p.service}) is already in use by another program` +
                `${p.port === 11434 ? " (a natively installed Ollama?)" : ""}: stop it, or move the stack's port with ` +
                `npm run pulumi -- config set --path ${p.key} <free port>`,
        );
    }
    return busy.length > 0 ? 1 : 0;
}

main(process.argv[2] ?? "dev").then(
    (code) => process.exit(code),
    (e) => {
        console.error(e);
        process.exit(2);
    },
);
