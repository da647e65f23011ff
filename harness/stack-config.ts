/**
 * A stack's config as the Pulumi CLI hands it to the program: the project defaults in
 * Pulumi.yaml overlaid with Pulumi.<stack>.yaml. Light on purpose (no Pulumi program, no
 * providers): scripts that only read config (the preflight of `npm run up`) load just this.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { CONFIG_NAMESPACE, rawConfig } from "../components/config/load";

export const PROJECT_DIR = path.resolve(__dirname, "..");

export type ConfigValues = Record<string, unknown>;

/** The stack's effective config: Pulumi.yaml defaults overlaid with Pulumi.<stack>.yaml. */
export function stackConfigValues(stack: string, projectDir = PROJECT_DIR): ConfigValues {
    const project = readYaml(path.join(projectDir, "Pulumi.yaml"));
    const values: ConfigValues = {};
    for (const [key, decl] of Object.entries<any>(project.config ?? {})) {
        if (decl && typeof decl === "object" && "default" in decl) values[`${CONFIG_NAMESPACE}:${key}`] = decl.default;
    }
    const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) throw new Error(`no such stack: ${stackFile} does not exist`);
    Object.assign(values, readYaml(stackFile)?.config ?? {});
    return values;
}

/** A YAML file; a syntax error names the file. */
function readYaml(file: string): any {
    try {
        return parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new Error(`${path.basename(file)} is not valid YAML: ${(e as Error).message}`);
    }
}

/** Config values as the engine hands them to the program: `namespace:key` -> text. */
export function engineConfig(values: ConfigValues): Record<string, string> {
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/** The stack's `llm-platform` keys, as the program reads them from its stack files. */
export function stackRawConfig(stack: string, projectDir = PROJECT_DIR): Record<string, unknown> {
    return rawConfig(engineConfig(stackConfigValues(stack, projectDir)));
}

/** Sets `patch` into structured config values: `{ "llm-platform:ollama": { gpu: true } }` merges one key. */
export function withOverrides(values: ConfigValues, patch: ConfigValues): ConfigValues {
    const merged: ConfigValues = { ...values };
    for (const [key, value] of Object.entries(patch)) {
        const base = merged[key];
        merged[key] =
            value && typeof value === "object" && !Array.isArray(value) && base && typeof base === "object"
                ? { ...(base as object), ...(value as object) }
                : value;
    }
    return merged;
}
