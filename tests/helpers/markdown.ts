import * as fs from "fs";
import * as path from "path";

/** The text of a Markdown file outside fenced code blocks and inline code (where links and tables are prose). */
export function prose(markdown: string): string {
    return markdown
        .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "")
        .replace(/`[^`\n]*`/g, "``");
}

/**
 * GitHub's heading anchors, as github-slugger makes them (script/generate-regex.mjs: lower
 * case; punctuation, symbols, controls and separators other than the space and `-` removed,
 * letters kept; spaces become `-`; the n-th repeat of a slug gets `-n`). Markup is not part of
 * the heading's text: links keep their text, code and emphasis lose their marks.
 */
export function headingSlugs(markdown: string): string[] {
    const seen = new Map<string, number>();
    const slugs: string[] = [];
    const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
    for (const m of text.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
        const heading = m[1].replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1");
        const base = heading
            .toLowerCase()
            .replace(/[\p{No}\p{Ps}\p{Pe}\p{Pi}\p{Pf}\p{Po}\p{Pd}\p{S}\p{Cc}\p{Co}\p{Cf}\p{Cn}\p{Z}]/gu, (ch) => (ch === " " || ch === "-" || /\p{Alphabetic}/u.test(ch) ? ch : ""))
            .replace(/ /g, "-");
        let slug = base;
        const count = seen.get(base) ?? 0;
        if (count > 0) slug = `${base}-${count}`;
        seen.set(base, count + 1);
        slugs.push(slug);
    }
    return slugs;
}

export interface Link {
    readonly file: string;
    readonly text: string;
    readonly target: string;
}

/** Every inline link and image of a Markdown file's prose. */
export function linksOf(file: string): Link[] {
    const links: Link[] = [];
    for (const m of prose(fs.readFileSync(file, "utf8")).matchAll(/!?\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        links.push({ file, text: m[1], target: m[2] });
    }
    return links;
}

/** Why a relative link does not resolve (missing file, missing heading), or undefined when it does. */
export function brokenReason(link: Link): string | undefined {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) return undefined;
    const [filePart, anchor] = link.target.split("#", 2);
    const file = filePart === "" ? link.file : path.resolve(path.dirname(link.file), decodeURIComponent(filePart));
    if (!fs.existsSync(file)) return `${filePart} does not exist`;
    if (anchor === undefined) return undefined;
    if (!file.endsWith(".md")) return `#${anchor} points into ${filePart}, which is not Markdown`;
    const slugs = headingSlugs(fs.readFileSync(file, "utf8"));
    return slugs.includes(decodeURIComponent(anchor)) ? undefined : `${path.basename(file)} has no heading #${anchor} (it has: ${slugs.join(", ")})`;
}

export interface Table {
    readonly header: string[];
    readonly rows: string[][];
}

/** Every table of a Markdown file outside code blocks: cells without the outer pipes, trimmed (`\|` stays inside a cell). */
export function tablesOf(markdown: string): Table[] {
    const tables: Table[] = [];
    const cells = (line: string) =>
        line
            .trim()
            .slice(1, -1)
            .split(/(?<!\\)\|/)
            .map((c) => c.trim());
    const lines = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").split("\n");
    for (let i = 0; i + 1 < lines.length; i++) {
        if (!/^\|.*\|\s*$/.test(lines[i]) || !/^\|[\s:|-]+\|\s*$/.test(lines[i + 1])) continue;
        const table: Table = { header: cells(lines[i]), rows: [] };
        for (i += 2; i < lines.length && /^\|.*\|\s*$/.test(lines[i]); i++) table.rows.push(cells(lines[i]));
        tables.push(table);
    }
    return tables;
}
