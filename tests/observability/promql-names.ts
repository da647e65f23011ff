/**
 * The metric names a PromQL expression reads: every identifier that is not a function,
 * aggregation, keyword, label or duration. Strings, label matchers, ranges and grouping
 * lists go first; what is left of an identifier list is names (promtool has checked the syntax).
 */
const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"]);

export function metricNames(expr: string): string[] {
    const stripped = expr
        .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
        .replace(/\{[^}]*\}/g, " ")
        .replace(/\[[^\]]*\]/g, " ")
        .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
    const names = new Set<string>();
    for (const m of stripped.matchAll(/(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)(?![A-Za-z0-9_:]|\s*\()/g)) {
        if (!KEYWORDS.has(m[1].toLowerCase())) names.add(m[1]);
    }
    return [...names];
}
