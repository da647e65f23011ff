import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../../harness/stack-config";
import * as crypto from "crypto";
import { spawnSync } from "child_process";
import { SQLSERVER_MIGRATIONS } from "../../components/sqlserver/migration-plan";


/** npm's liquibase package holds the 4.28.0 distribution the migrate step's image pins. */
const DISTRIBUTION = path.join(PROJECT_DIR, "node_modules", "liquibase", "dist", "liquibase");

/**
 * The jars the tests' Liquibase runs need: the core and its libraries, and the two JDBC drivers
 * the tests speak (PostgreSQL for the runner, SQL Server's for offline SQL). The distribution
 * also ships Oracle, DB2, Snowflake, H2, HSQLDB, SQLite, MariaDB, Firebird drivers and the
 * commercial extension, which every JVM start would open and scan: about 40% of a start's CPU,
 * and the tests start one JVM per Liquibase command (`npm run bench -- --tests`).
 */
const JARS = ["liquibase-core", "picocli", "snakeyaml", "opencsv", "commons-collections4", "commons-io", "commons-lang3", "commons-text", "jaxb-api", "jaxb-core", "jaxb-runtime", "postgresql", "mssql-jdbc"];

/**
 * A short-lived JVM: C1 only and the serial collector (as the migrate step sets), and a small
 * heap to start with, since zeroing the default initial heap (1/64 of the machine) costs more
 * than a Liquibase command's whole collection work.
 */
const JAVA_OPTS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xms16m -Xmx512m -XX:-UsePerfData";

/** Where the home is kept between runs, by what it holds: Liquibase, the jars, and the JVM that dumped its class archive. */
const CACHE = path.join(PROJECT_DIR, "node_modules", ".cache", "llm-platform");

let home: string | undefined;

/**
 * A Liquibase home: the distribution's launcher and the jars above, linked, and a class-data
 * archive of the classes a Liquibase command loads (JDK's AppCDS: about a fifth less CPU per
 * JVM start, `npm run bench -- --tests`). The archive is valid only for the same jar paths and
 * JVM, so the home has a fixed place, named by both; the first process to need it makes it.
 */
export function liquibaseHome(): string {
    if (home) return home;
    const java = whichJava();
    const key = crypto
        .createHash("sha256")
        .update(JSON.stringify([fs.readFileSync(path.join(DISTRIBUTION, "..", "..", "package.json"), "utf8"), JARS, java, java && fs.statSync(java).mtimeMs]))
        .digest("hex")
        .slice(0, 12);
    const dir = path.join(CACHE, `liquibase-${key}`);
    if (!fs.existsSync(path.join(dir, ARCHIVE))) {
        fs.mkdirSync(CACHE, { recursive: true });
        const draft = fs.mkdtempSync(path.join(CACHE, "liquibase-draft-"));
        fs.mkdirSync(path.join(draft, "internal", "lib"), { recursive: true });
        fs.mkdirSync(path.join(draft, "lib"));
        fs.copyFileSync(path.join(DISTRIBUTION, "liquibase"), path.join(draft, "liquibase"));
        fs.chmodSync(path.join(draft, "liquibase"), 0o755);
        for (const jar of JARS) fs.symlinkSync(path.join(DISTRIBUTION, "internal", "lib", `${jar}.jar`), path.join(draft, "internal", "lib", `${jar}.jar`));
        // Another worker may have made it meanwhile: then its home is used and this draft goes.
        try {
            fs.renameSync(draft, dir);
        } catch {
            fs.rmSync(draft, { recursive: true, force: true });
        }
        // Without java the tests that need it stop at their requireTool, as before.
        if (java) dumpClassArchive(dir);
    }
    return (home = dir);
}

const ARCHIVE = "classes.jsa";

/** JAVA_OPTS for the home's Liquibase: the archive when it is there (a JVM that cannot use it runs without, silently). */
export function liquibaseJavaOpts(): string {
    const archive = path.join(liquibaseHome(), ARCHIVE);
    return fs.existsSync(archive) ? `${JAVA_OPTS} -XX:SharedArchiveFile=${archive} -Xlog:cds=off -Xlog:cds+dynamic=off` : JAVA_OPTS;
}

/** One offline update-sql of the SQL Server plan, archiving the classes it loaded; written aside, then renamed into place. */
function dumpClassArchive(dir: string): void {
    if (fs.existsSync(path.join(dir, ARCHIVE))) return;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "llm-liquibase-archive-"));
    const draft = path.join(dir, `${ARCHIVE}.${process.pid}`);
    try {
        fs.cpSync(SQLSERVER_MIGRATIONS.dir, work, { recursive: true });
        const r = spawnSync(path.join(dir, "liquibase"), ["--url=offline:mssql?outputLiquibaseSql=none", "--changelog-file=changelog.yaml", "update-sql"], {
            cwd: work,
            encoding: "utf8",
            env: { ...process.env, JAVA_OPTS: `${JAVA_OPTS} -XX:ArchiveClassesAtExit=${draft} -Xlog:cds=off -Xlog:cds+dynamic=off`, LIQUIBASE_SHOW_BANNER: "false" },
        });
        if (r.status === 0 && fs.existsSync(draft)) fs.renameSync(draft, path.join(dir, ARCHIVE));
    } finally {
        fs.rmSync(draft, { force: true });
        fs.rmSync(work, { recursive: true, force: true });
    }
}

/** The `java` the launcher runs (JAVA_HOME's, else the first on PATH), its links resolved; undefined without one. */
function whichJava(): string | undefined {
    const candidates = process.env.JAVA_HOME ? [path.join(process.env.JAVA_HOME, "bin", "java")] : (process.env.PATH ?? "").split(path.delimiter).map((d) => path.join(d, "java"));
    const found = candidates.find((f) => fs.existsSync(f));
    return found && fs.realpathSync(found);
}
