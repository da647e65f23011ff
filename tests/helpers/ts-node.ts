import * as path from "path";
import { PROJECT_DIR } from "../../harness/stack-config";


/**
 * `npx ts-node --swc <script> <args>` as the npm scripts run it, without npx: node runs
 * ts-node's own entry point. npx is an npm CLI start of its own (about 0.8 s of CPU against
 * ts-node's 0.6, `npm run bench -- --tests`) that only finds node_modules/.bin/ts-node.
 * The command and arguments for spawn/spawnSync.
 */
export function tsNode(script: string, args: readonly string[] = []): [string, string[]] {
    return [process.execPath, [path.join(PROJECT_DIR, "node_modules", "ts-node", "dist", "bin.js"), "--swc", path.resolve(PROJECT_DIR, script), ...args]];
}
