/**
 * Adds a migration: the plan's entry and its deploy, revert and verify scripts from the
 * engine's templates, beside the store's component. Then write the three scripts, run
 * `npm test`, and `npm run up` (or `npm run migrate -- <stack> deploy <store>`) deploys it.
 *
 *   npm run migration:add -- <store> <change> --note "what it does" [--requires <change>]...
 *   npm run migration:add -- timescale llm_traces_user_id --note "Who made each call" --requires llm_traces
 */
import { addChange } from "../components/migrations/add";
import { MIGRATION_STORES } from "./migration-stores";

const USAGE = `usage: npm run migration:add -- <store> <change> --note "what it does" [--requires <change>]... [--plan-dir <dir>]
  stores: ${Object.keys(MIGRATION_STORES).join(", ")}`;

function main(args: string[]): number {
    const [store, name, ...rest] = args;
    const plan = MIGRATION_STORES[store as keyof typeof MIGRATION_STORES];
    if (!plan || !name || name.startsWith("-")) {
        console.error(plan || !store ? USAGE : `unknown store '${store}'\n${USAGE}`);
        return 2;
    }
    let note = "";
    let dir = plan.dir;
    const requires: string[] = [];
    for (let i = 0; i < rest.length; i += 2) {
        const [flag, value] = [rest[i], rest[i + 1]];
        if (value === undefined) {
            console.error(`${flag} needs a value\n${USAGE}`);
            return 2;
        }
        if (flag === "--note") note = value;
        else if (flag === "--requires") requires.push(value);
        // Another copy of the plan (a branch's checkout, a test's scratch copy).
        else if (flag === "--plan-dir") dir = value;
        else {
            console.error(`unknown option '${flag}'\n${USAGE}`);
            return 2;
        }
    }
    if (!note) {
        console.error(`--note is required: one line saying what the change does\n${USAGE}`);
        return 2;
    }
    try {
        const written = addChange({ ...plan, dir }, { name, note, requires });
        console.log(`added ${store} change ${name}:\n${written.map((f) => `  ${f}`).join("\n")}`);
        console.log(`write deploy, revert and verify; then npm test, and npm run up (or npm run migrate -- <stack> deploy ${store}) deploys it`);
        return 0;
    } catch (e) {
        console.error(`migration:add: ${(e as Error).message}`);
        return 1;
    }
}

process.exitCode = main(process.argv.slice(2));
