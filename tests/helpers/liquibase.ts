import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");

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
export const LIQUIBASE_JAVA_OPTS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xms16m -Xmx512m -XX:-UsePerfData";

let home: string | undefined;

/** A Liquibase home of this process: the distribution's launcher and the jars above, linked. */
export function liquibaseHome(): string {
    if (home) return home;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-liquibase-"));
    fs.mkdirSync(path.join(dir, "internal", "lib"), { recursive: true });
    fs.mkdirSync(path.join(dir, "lib"));
    fs.copyFileSync(path.join(DISTRIBUTION, "liquibase"), path.join(dir, "liquibase"));
    fs.chmodSync(path.join(dir, "liquibase"), 0o755);
    for (const jar of JARS) fs.symlinkSync(path.join(DISTRIBUTION, "internal", "lib", `${jar}.jar`), path.join(dir, "internal", "lib", `${jar}.jar`));
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    return (home = dir);
}
