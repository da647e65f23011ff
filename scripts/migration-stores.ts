import { APP_DATABASE_MIGRATIONS } from "../components/aws/app-database-plan";
import { SQLSERVER_MIGRATIONS } from "../components/sqlserver/migration-plan";
import { TIMESCALE_MIGRATIONS } from "../components/timescale/migration-plan";

/** The stores with migrations, by the names `npm run migrate` and `npm run migration:add` take. */
export const MIGRATION_STORES = {
    timescale: TIMESCALE_MIGRATIONS,
    sqlserver: SQLSERVER_MIGRATIONS,
    "app-database": APP_DATABASE_MIGRATIONS,
};
