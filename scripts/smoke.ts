/**
 * The smoke checks against a stack (scripts/smoke/checks.ts), printed as a table on stderr and as
 * JSON on stdout (or into --report <file>); exits 1 naming every check that failed.
 *
 *   npx ts-node --swc scripts/smoke.ts <stack> --outputs <file>   # `pulumi stack output --json --show-secrets`
 *   npx ts-node --swc scripts/smoke.ts --target <file>            # a SmokeTarget as JSON (tests)
 *
 * `npm run smoke -- <stack>` (scripts/smoke.sh) writes the outputs file and calls this.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseConfig } from "../components/config/load";
import { EXTERNAL_MODEL_NAME } from "../components/sqlserver/sqlserver";
import { stackRawConfig } from "../harness/run-stack";
import { failureLine, formatTable, runChecks, SmokeTarget } from "./smoke/checks";

const hostPort = (endpoint: string | undefined, what: string) => {
    const match = /^(.+):(\d+)$/.exec(endpoint ?? "");
    if (!match) throw new Error(`the stack publishes no host port for ${what} (hostEndpoints.${what}): set ${what}.hostPort`);
    return { host: match[1], port: Number(match[2]) };
};

/** A Docker stack's target, from its outputs and config: the entry and the stores' loopback ports. */
export function targetFromOutputs(stack: string, outputs: any): SmokeTarget {
    const config = parseConfig(stackRawConfig(stack));
    const h = outputs.hostEndpoints ?? {};
    const sqlserver = hostPort(h.sqlserver, "sqlserver");
    const qdrant = hostPort(h.qdrant, "qdrant");
    const timescale = hostPort(h.timescale, "timescale");
    const redis = hostPort(h.redis, "redis");
    const client = config.proxy.clients[0];
    // The stores serve TLS with the stack's CA: psql and redis-cli read it from a file.
    const caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "llm-smoke-")), "ca.pem");
    fs.writeFileSync(caFile, outputs.caCertificatePem);
    return {
        proxyUrl: outputs.proxyUrl,
        caCertPem: outputs.caCertificatePem,
        apiKey: outputs.apiKeys[client],
        minCertificateDays: config.tls.renewBeforeDays,
        embeddingModel: config.ollama.embeddingModel,
        embeddingDimensions: outputs.embeddingDimensions,
        chatModel: config.ollama.chatModel,
        sqlserver: { server: `${sqlserver.host},${sqlserver.port}`, user: "sa", password: outputs.credentials.sqlserverSaPassword, database: outputs.sqlserverDatabase, model: EXTERNAL_MODEL_NAME },
        timescale: { ...timescale, user: "postgres", password: outputs.credentials.timescalePassword, database: outputs.timescaleDatabase, caFile },
        redis: { ...redis, password: outputs.credentials.redisPassword, tls: true, caFile },
        // Qdrant serves HTTPS with a certificate from the stack's CA that names localhost (not the address).
        qdrant: { url: `https://${qdrant.host}:${qdrant.port}`, tlsServerName: "localhost", apiKey: outputs.credentials.qdrantApiKey, collection: outputs.qdrantCollection },
    };
}

function option(args: string[], name: string): string | undefined {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: string[]): Promise<number> {
    const targetFile = option(args, "--target");
    const outputsFile = option(args, "--outputs");
    const report = option(args, "--report");
    let target: SmokeTarget;
    if (targetFile) target = JSON.parse(fs.readFileSync(targetFile, "utf8"));
    else if (outputsFile && args[0] && !args[0].startsWith("--")) target = targetFromOutputs(args[0], JSON.parse(fs.readFileSync(outputsFile, "utf8")));
    else {
        console.error("usage: smoke.ts <stack> --outputs <file> | --target <file> [--report <file>]");
        return 2;
    }
    const results = await runChecks(target);
    console.error(formatTable(results));
    const json = JSON.stringify({ entry: target.proxyUrl, at: new Date().toISOString(), passed: results.every((r) => r.ok), checks: results }, null, 2);
    if (report) fs.writeFileSync(report, json + "\n");
    else console.log(json);
    const failed = failureLine(results);
    if (failed) console.error(failed);
    return failed ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            console.error(`smoke: ${(e as Error).message}`);
            process.exit(2);
        },
    );
}
