import * as path from "path";
import { MigrationPlan } from "../migrations/plan";

/** The RDS app database's roles and schema as a Sqitch project (app-database-migrations/ beside this file; docs/migrations.md). */
export const APP_DATABASE_MIGRATIONS: MigrationPlan = { engine: "sqitch", dir: path.join(__dirname, "app-database-migrations") };
