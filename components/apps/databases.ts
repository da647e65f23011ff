import { appDatabase } from "../config/apps";
import type { PlatformConfig } from "../config/load";
import type { AppDatabaseRole } from "../timescale/app-roles-sql";

type AppConfig = PlatformConfig["apps"][number];

/** The PostgreSQL database and role of each app on one store (TimescaleDB or RDS), with the env var its step reads the password from. */
export function appDatabaseRoles(apps: readonly AppConfig[], store: "timescale" | "rds"): (AppDatabaseRole & { readonly app: string })[] {
    return apps.flatMap((app) => {
        const db = appDatabase(app);
        if (!db || db.store !== store) return [];
        return [{ app: app.name, database: db.database, role: db.role, passwordEnv: `APP_PASSWORD_${app.name.toUpperCase().replace(/-/g, "_")}` }];
    });
}
