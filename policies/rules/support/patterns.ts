/** A `*` pattern (any run of characters, everything else literal) as an anchored regular expression. */
export function globToRegExp(pattern: string): RegExp {
    return new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}
