import * as path from "path";
import { MigrationPlan } from "../migrations/plan";

/** The observability schema as a Sqitch project (migrations/ beside this file; docs/migrations.md). */
export const TIMESCALE_MIGRATIONS: MigrationPlan = { engine: "sqitch", dir: path.join(__dirname, "migrations") };
