/**
 * Offline rendering: runs a stack's program from Pulumi.<stack>.yaml under mocks and writes
 * what it declares to a folder (harness/render.ts): every generated file, every Kubernetes
 * manifest, every other resource's inputs, secrets masked. Needs no Pulumi CLI, Docker engine,
 * cluster or cloud credentials. Exits 2 when the stack cannot be built or the folder is not one
 * it wrote before.
 *
 *   npx ts-node --swc scripts/render.ts <stack> <dir>   (npm run render -- <stack> [<dir>])
 */
import * as fs from "fs";
import * as path from "path";
import { withExampleUserValues } from "../harness/example-user-values";
import { renderStack } from "../harness/render";
import { PROJECT_DIR, runStack, stackConfigValues } from "../harness/run-stack";

/** The first line of the index file: the folder is one this command wrote, and may be replaced. */
export const MARKER = "<!-- written by npm run render: the whole folder is replaced on the next run -->";
export const INDEX = "RENDERED.md";

/** Empties a folder this command wrote before; refuses any other non-empty folder (returns why). */
export function prepareFolder(dir: string): string | undefined {
    if (!fs.existsSync(dir)) return undefined;
    const entries = fs.readdirSync(dir);
    if (entries.length === 0) return undefined;
    const index = path.join(dir, INDEX);
    if (!fs.existsSync(index) || !fs.readFileSync(index, "utf8").startsWith(MARKER)) {
        return `${dir} is not empty and was not written by npm run render (no ${INDEX}): choose another folder or empty it`;
    }
    for (const entry of entries) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    return undefined;
}

async function main(stack: string | undefined, dir: string | undefined): Promise<number> {
    if (!stack || !dir) {
        console.error("usage: npm run render -- [<stack> [<dir>]]");
        return 2;
    }
    let filled: string[];
    try {
        filled = withExampleUserValues(stackConfigValues(stack), stack).filled;
    } catch (e) {
        console.error(`render: ${(e as Error).message}`);
        return 2;
    }
    const refused = prepareFolder(dir);
    if (refused) {
        console.error(`render: ${refused}`);
        return 2;
    }
    let rendering;
    let platform: string;
    try {
        const run = await runStack(stack, { exampleUserValues: true });
        platform = run.config.platform;
        rendering = renderStack(run);
    } catch (e) {
        console.error(`render: stack ${stack} cannot be built:\n${(e as Error).message}`);
        return 2;
    }
    const { counts } = rendering;
    const shown = path.relative(process.cwd(), dir) || ".";
    const notes = [
        `Offline: the program ran under Pulumi's mocks (harness/run-stack.ts): no Pulumi CLI, cluster, cloud account or Docker engine was asked.`,
        filled.length > 0
            ? `Example values stand in for what only the stack's owner knows: ${filled.join(", ")}.`
            : `Every value comes from Pulumi.${stack}.yaml and Pulumi.yaml: no example values were needed.`,
        platform === "docker"
            ? `No Docker engine was asked: what depends on it (ollama.gpu: auto) is resolved as on a machine without one.`
            : `What only AWS or the cluster computes (ARNs, endpoints, the VPC and subnets, account 123456789012) are the mocks' placeholders.`,
        `Secrets are masked: ${counts.secrets} generated passwords, API keys and private keys (and alert receivers' credentials) read MASKED-<name> wherever they appear` +
            (counts.manifests > 0 ? `; every Kubernetes Secret's values read MASKED.` : "."),
    ];
    const layout = [
        `files/       ${String(counts.generatedFiles).padStart(4)} generated files (configs, SQL and shell scripts, dashboards, pipelines), as each container sees them`,
        ...(counts.manifests > 0 ? [`kubernetes/  ${String(counts.manifests).padStart(4)} Kubernetes manifests, one object per file`] : []),
        `resources/   ${String(counts.resources).padStart(4)} other resources' inputs (${platform === "docker" ? "Docker containers, images, volumes, network" : "AWS, providers"}; certificates; passwords)`,
    ];
    fs.mkdirSync(dir, { recursive: true });
    for (const [file, content] of rendering.files) {
        const target = path.join(dir, file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, content);
    }
    fs.writeFileSync(
        path.join(dir, INDEX),
        [MARKER, `# Stack ${stack} (platform ${platform}), rendered offline`, "", ...notes.map((n) => `- ${n}`), "", "```", ...layout, "```", ""].join("\n"),
    );
    console.log([...notes, "", `wrote ${rendering.files.size + 1} files to ${shown}:`, ...layout.map((l) => `  ${l}`)].join("\n"));
    return 0;
}

if (require.main === module) {
    main(process.argv[2], process.argv[3] && path.resolve(PROJECT_DIR, process.argv[3])).then(
        (code) => process.exit(code),
        (e) => {
            console.error(e);
            process.exit(2);
        },
    );
}
