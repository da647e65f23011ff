import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../components/config/load";

/** The problems a config produces, or [] when it is valid. */
export function problems(raw: Record<string, unknown>): string[] {
    try {
        parseConfig(raw);
        return [];
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
        return (e as ConfigError).problems.flatMap((p) => p.split("\n  - "));
    }
}

/** Asserts a problem with `llm-platform:<key>` that mentions every fragment. */
export function rejects(raw: Record<string, unknown>, key: string, ...fragments: string[]) {
    const found = problems(raw);
    const match = found.find((p) => p.startsWith(`llm-platform:${key}`));
    assert.ok(match, `expected a problem with llm-platform:${key}; got:\n${found.join("\n")}`);
    for (const f of fragments) assert.ok(match.includes(f), `"${match}" should mention "${f}"`);
}
