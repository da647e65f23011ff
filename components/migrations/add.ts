import * as fs from "fs";
import * as path from "path";
import { MigrationPlan } from "./plan";

export interface NewChange {
    readonly name: string;
    /** What the change does, one line: the plan's note (Sqitch) or the changeSet's comment (Liquibase). */
    readonly note: string;
    /** Sqitch: changes this one needs deployed first. */
    readonly requires?: readonly string[];
    /** Sqitch: who plans the change, as `Name <email>`. */
    readonly planner?: string;
    /** The plan date (Sqitch); now by default. */
    readonly at?: Date;
}

/** A change name both engines accept: letters, digits, `_` and `-`, starting and ending with a letter or digit. */
const CHANGE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?$/;
const TEMPLATES = path.join(__dirname, "templates");
const DEFAULT_PLANNER = "llm-platform <migrations@llm-platform.local>";

/** The change names of a plan, in deployment order. */
export function planChanges(plan: MigrationPlan): string[] {
    if (plan.engine === "sqitch") {
        return fs
            .readFileSync(path.join(plan.dir, "sqitch.plan"), "utf8")
            .split("\n")
            .filter((line) => /^[A-Za-z0-9]/.test(line))
            .map((line) => line.split(/\s/)[0]);
    }
    return [...fs.readFileSync(path.join(plan.dir, "changelog.yaml"), "utf8").matchAll(/^ {6}id: (\S+)$/gm)].map((m) => m[1]);
}

/**
 * Adds a change at the end of a plan: the plan's entry and the three scripts from the
 * engine's templates (components/migrations/templates/), which say what goes in each.
 * Returns the files it wrote. Nothing is written when the name is taken or invalid.
 */
export function addChange(plan: MigrationPlan, change: NewChange): string[] {
    if (!CHANGE_NAME.test(change.name)) {
        throw new Error(`'${change.name}' is not a change name: letters, digits, '_' and '-', starting and ending with a letter or digit`);
    }
    const existing = planChanges(plan);
    if (existing.includes(change.name)) throw new Error(`the plan in ${plan.dir} has a change '${change.name}' already`);
    const missing = (change.requires ?? []).filter((r) => !existing.includes(r));
    if (missing.length > 0) throw new Error(`requires unknown change(s): ${missing.join(", ")} (the plan has: ${existing.join(", ")})`);
    if (plan.engine === "liquibase" && (change.requires ?? []).length > 0) throw new Error("a Liquibase changelog runs in order: it has no --requires");
    if (/[\n#]/.test(change.note)) throw new Error("the note is one line without '#'");

    const scripts = ["deploy", "revert", "verify"].map((kind) => path.join(plan.dir, kind, `${change.name}.sql`));
    const taken = scripts.filter((f) => fs.existsSync(f));
    if (taken.length > 0) throw new Error(`${taken.join(", ")} exist(s) already`);

    const project = plan.engine === "sqitch" ? /^%project=(\S+)$/m.exec(fs.readFileSync(path.join(plan.dir, "sqitch.plan"), "utf8"))![1] : "";
    const fill = (text: string) => text.replace(/\{\{project\}\}/g, project).replace(/\{\{change\}\}/g, change.name).replace(/\{\{note\}\}/g, change.note);
    for (const [i, kind] of ["deploy", "revert", "verify"].entries()) {
        fs.mkdirSync(path.dirname(scripts[i]), { recursive: true });
        fs.writeFileSync(scripts[i], fill(fs.readFileSync(path.join(TEMPLATES, plan.engine, `${kind}.sql`), "utf8")));
    }
    if (plan.engine === "sqitch") {
        const file = path.join(plan.dir, "sqitch.plan");
        const at = (change.at ?? new Date()).toISOString().replace(/\.\d+Z$/, "Z");
        const requires = (change.requires ?? []).length > 0 ? ` [${change.requires!.join(" ")}]` : "";
        const text = fs.readFileSync(file, "utf8");
        fs.writeFileSync(file, `${text.endsWith("\n") ? text : `${text}\n`}${change.name}${requires} ${at} ${change.planner ?? DEFAULT_PLANNER} # ${change.note}\n`);
        return [file, ...scripts];
    }
    const file = path.join(plan.dir, "changelog.yaml");
    const text = fs.readFileSync(file, "utf8");
    const sqlFile = (kind: string) => `        - sqlFile: { path: ${kind}/${change.name}.sql, relativeToChangelogFile: true, endDelimiter: GO }`;
    const entry = [
        "  - changeSet:",
        `      id: ${change.name}`,
        "      author: llm-platform",
        `      comment: ${JSON.stringify(change.note)}`,
        "      changes:",
        sqlFile("deploy"),
        "      rollback:",
        sqlFile("revert"),
        "",
    ].join("\n");
    fs.writeFileSync(file, `${text.endsWith("\n") ? text : `${text}\n`}${entry}`);
    return [file, ...scripts];
}
