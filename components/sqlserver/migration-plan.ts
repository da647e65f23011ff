import * as path from "path";
import { MigrationPlan } from "../migrations/plan";

/** The `llm` database's schema as a Liquibase changelog (migrations/ beside this file; docs/migrations.md). */
export const SQLSERVER_MIGRATIONS: MigrationPlan = { engine: "liquibase", dir: path.join(__dirname, "migrations") };
