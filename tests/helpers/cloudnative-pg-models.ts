import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { PROJECT_DIR } from "../../harness/run-stack";
import { skippedChecks, TOOLS_REQUIRED } from "./tools";

/** Where scripts/install-test-tools.sh unpacks @kubernetes-models/cloudnative-pg 1.0.0 (generated from cnpg-1.29.0.yaml). */
export const CNPG_MODELS_DIR = path.join(PROJECT_DIR, ".test-tools", "node_modules", "@kubernetes-models", "cloudnative-pg");

const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<Record<string, any>>;

export type CnpgModel = new (data: unknown) => { validate(): void };

/**
 * A kind's validator, generated from the pinned release's CRD; skips the test when it is not
 * installed, or fails it when tools are required (CI).
 */
export async function cnpgModel(ctx: Mocha.Context, kind: "Cluster" | "ScheduledBackup"): Promise<CnpgModel> {
    if (!fs.existsSync(CNPG_MODELS_DIR)) {
        const message = "@kubernetes-models/cloudnative-pg is not installed: run bash scripts/install-test-tools.sh";
        if (TOOLS_REQUIRED) throw new Error(`${message}; LLM_PLATFORM_REQUIRE_TOOLS=1 makes this a failure`);
        skippedChecks.append({ check: ctx.currentTest?.fullTitle() ?? ctx.test?.parent?.fullTitle() ?? "(unknown)", tool: "@kubernetes-models/cloudnative-pg", install: "bash scripts/install-test-tools.sh" });
        ctx.skip();
    }
    const module = await importEsm(pathToFileURL(path.join(CNPG_MODELS_DIR, "postgresql.cnpg.io", "v1", `${kind}.js`)).href);
    return module[kind];
}
