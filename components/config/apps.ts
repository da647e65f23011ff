import { z } from "zod";
import { PLATFORM_HOSTS, PLATFORM_PATH_PREFIXES, prefixesCollide } from "../reserved-routes";
import { MONITOR_LOGIN, MONITOR_ROLE } from "../monitor-logins";
import { unpinnedReason } from "./images";

/**
 * The `apps` list: the users' own services behind the platform's proxy (docs/apps.md). Each
 * app says where it runs, its routes, its metrics endpoint and the databases it needs; the
 * proxy's locations, the app's workload, scrape job, alerts and database roles follow from it.
 */

/** An app's name: a DNS label short enough for every object named after it (`app-<name>-flows`). */
const appName = z.string().regex(/^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/, "must be a DNS label: lower-case letters, digits and -, starting with a letter, at most 40 characters");
const port = z.number().int().min(1).max(65535);
/** `host:port`, the host a DNS name or an IPv4 address. */
const address = z
    .string()
    .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})?:\d{1,5}$/, "must be host:port, e.g. host.docker.internal:3000")
    .refine((a) => Number(a.slice(a.lastIndexOf(":") + 1)) >= 1 && Number(a.slice(a.lastIndexOf(":") + 1)) <= 65535, "must have a port from 1 to 65535");
/** `name.namespace:port` of a Kubernetes Service. */
const serviceAddress = z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?:\d{1,5}$/, "must be <service>.<namespace>:<port> of a Kubernetes Service")
    .refine((a) => Number(a.split(":")[1]) >= 1 && Number(a.split(":")[1]) <= 65535, "must have a port from 1 to 65535");
const image = z.string().superRefine((value, ctx) => {
    const reason = unpinnedReason(value);
    if (reason) ctx.addIssue({ code: "custom", message: `must be pinned to an exact version: it ${reason}` });
});
const hostName = z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/, "must be a fully qualified lower-case DNS name such as courses.example.com");
const pathPrefix = z
    .string()
    .regex(/^(\/[A-Za-z0-9._~-]+)+$/, "must be a path prefix such as /courses: / then segments of letters, digits . _ ~ -, no trailing /");
const identifier = z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case SQL identifier: a letter or _, then letters, digits or _ (at most 63 characters)");

const route = z.strictObject({
    /** Requests whose path is this prefix or below it. */
    pathPrefix: pathPrefix.optional(),
    /** Requests for this host name (its own server block, every path). */
    host: hostName.optional(),
    /** Pass the path on without the prefix (`/courses/x` -> `/x`). */
    stripPrefix: z.boolean().default(false),
    /** Require one of the proxy's API keys (`proxy.clients`), as the model routes do. */
    apiKey: z.boolean().default(false),
    rateLimit: z
        .strictObject({
            perSecond: z.number().int().min(1).max(100000),
            burst: z.number().int().min(0).max(100000).default(0),
            /** What a request beyond the rate gets. */
            status: z.union([z.literal(429), z.literal(503)]).default(429),
        })
        .optional(),
    maxBodyMb: z.number().int().min(1).max(10240).default(10),
    timeouts: z
        .strictObject({
            connectSeconds: z.number().int().min(1).max(75).default(10),
            readSeconds: z.number().int().min(1).max(3600).default(60),
            sendSeconds: z.number().int().min(1).max(3600).default(60),
        })
        .prefault({}),
    /** Responses pass on as they come (server-sent events, token streams): no buffering at the proxy. */
    streaming: z.boolean().default(false),
    /** WebSocket upgrades pass through. */
    websocket: z.boolean().default(false),
});

const upstream = z.strictObject({
    /** A `host:port` the proxy reaches (Docker only: on Kubernetes a NetworkPolicy cannot name it). */
    address: address.optional(),
    /** A Kubernetes Service `<name>.<namespace>:<port>` (Kubernetes only). */
    service: serviceAddress.optional(),
    /** A pinned image the platform runs for the app. */
    image: image.optional(),
    port: port.optional(),
    cpu: z.number().positive().max(64).optional(),
    memoryMb: z.number().int().positive().max(256 * 1024).optional(),
    cpuReservation: z.number().positive().optional(),
    memoryReservationMb: z.number().int().positive().optional(),
    replicas: z.number().int().min(1).max(50).optional(),
    /** The unprivileged user the image runs as (Kubernetes: runAsUser/runAsGroup, runAsNonRoot). */
    runAsUid: z.number().int().min(1).max(2147483647).optional(),
    runAsGid: z.number().int().min(1).max(2147483647).optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"), z.string()).optional(),
    /** Health: an HTTP GET on the app's port (Kubernetes probes) and a command in the image (Docker's health check). */
    healthPath: z.string().regex(/^\/[^\s]*$/, "must be a path such as /health").optional(),
    healthCommand: z.array(z.string().min(1)).min(1).optional(),
});

/** The fields only an image upstream takes. */
const IMAGE_FIELDS = ["port", "cpu", "memoryMb", "cpuReservation", "memoryReservationMb", "replicas", "runAsUid", "runAsGid", "env", "healthPath", "healthCommand"] as const;

export const appSchema = z.strictObject({
    name: appName,
    upstream,
    routes: z.array(route).min(1),
    /** The app's own Prometheus endpoint: scraped as job `app-<name>`. */
    metrics: z.strictObject({ path: z.string().regex(/^\/[^\s]*$/, "must be a path such as /metrics").default("/metrics"), port }).optional(),
    databases: z
        .strictObject({
            postgres: z
                .strictObject({
                    /** `timescale`: a database on the platform's TimescaleDB; `rds`: on the RDS instance of the `aws` object. */
                    store: z.enum(["timescale", "rds"]),
                    database: identifier.optional(),
                    role: identifier.optional(),
                })
                .optional(),
            /** A database of its own on the platform's SQL Server and a login whose user there reads and writes rows (db_datareader, db_datawriter). */
            sqlserver: z
                .strictObject({
                    database: identifier.optional(),
                    login: identifier.optional(),
                })
                .optional(),
            /** A Redis (Valkey) ACL user `app-<name>` limited to keys and channels under this prefix. */
            redis: z
                .strictObject({
                    keyPrefix: z
                        .string()
                        .regex(/^[A-Za-z0-9][A-Za-z0-9:_.-]{0,127}$/, "must be a key prefix of letters, digits and : _ . - (no glob characters), e.g. courses:")
                        .optional(),
                })
                .optional(),
            /** A collection of its own on the platform's Qdrant, reached with a token that opens only it. */
            qdrant: z
                .strictObject({
                    collection: z
                        .string()
                        .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, "must be a Qdrant collection name of letters, digits, _ and - (at most 63, no / or spaces), e.g. courses")
                        .optional(),
                })
                .optional(),
        })
        .prefault({}),
});

export const appsSchema = z.array(appSchema).default([]);

export type AppConfig = z.output<typeof appSchema>;
export type AppRoute = z.output<typeof route>;

/** The service (container, Deployment, log label, scrape job) of an app the platform runs, or the access-log route of any app. */
export const appServiceName = (app: string) => `app-${app}`;

/** The image defaults of an app the platform runs. */
export const APP_DEFAULTS = { cpu: 0.5, memoryMb: 512, replicas: 1, runAsUid: 10001 } as const;

/** The limits and reservations of an app the platform runs (reservations half the limits unless set). */
export function appResources(u: Pick<AppConfig["upstream"], "cpu" | "memoryMb" | "cpuReservation" | "memoryReservationMb">) {
    const cpu = u.cpu ?? APP_DEFAULTS.cpu;
    const memoryMb = u.memoryMb ?? APP_DEFAULTS.memoryMb;
    return { cpu, memoryMb, cpuReservation: u.cpuReservation ?? cpu / 2, memoryReservationMb: u.memoryReservationMb ?? Math.floor(memoryMb / 2) };
}

/** The database and role an app's postgres entry gets: `<name>` with - as _, unless named. */
export function appDatabase(app: Pick<AppConfig, "name" | "databases">) {
    const pg = app.databases.postgres;
    if (!pg) return undefined;
    const base = app.name.replace(/-/g, "_");
    return { store: pg.store, database: pg.database ?? base, role: pg.role ?? base };
}

/** The SQL Server database and login an app's sqlserver entry gets: `<name>` with - as _, unless named. */
export function appSqlServerDatabase(app: Pick<AppConfig, "name" | "databases">) {
    const s = app.databases.sqlserver;
    if (!s) return undefined;
    const base = app.name.replace(/-/g, "_");
    return { database: s.database ?? base, login: s.login ?? base };
}

/** The Qdrant collection an app's qdrant entry gets: `<name>` unless named. */
export function appQdrantCollection(app: Pick<AppConfig, "name" | "databases">): string | undefined {
    const q = app.databases.qdrant;
    return q ? (q.collection ?? app.name) : undefined;
}

/** SQL Server's system databases and the platform's logins on it (sa, the exporter's). */
const SQLSERVER_SYSTEM_DATABASES = ["master", "model", "msdb", "tempdb"] as const;
const SQLSERVER_PLATFORM_LOGINS = ["sa", MONITOR_LOGIN] as const;

/** Roles TimescaleDB's server already has (the superuser, the exporter's login) and PostgreSQL's PUBLIC. */
const PLATFORM_ROLES = ["postgres", MONITOR_ROLE, "public"] as const;
/** Roles the RDS app database's migrations create (components/aws/app-database-migrations/), beside the master user and RDS's own `rds*` roles. */
const RDS_APP_DATABASE_ROLES = ["app", "app_owner", "app_readwrite", "app_readonly"] as const;
/** Databases every RDS instance has. */
const RDS_DATABASES = ["postgres", "rdsadmin", "template0", "template1"] as const;

/** The key prefix of an app's Redis user: `<name>:` unless the config names one. */
export function appRedisPrefix(app: Pick<AppConfig, "name" | "databases">): string | undefined {
    const redis = app.databases.redis;
    return redis ? (redis.keyPrefix ?? `${app.name}:`) : undefined;
}

interface AppsCheckInput {
    readonly platform: "docker" | "kubernetes";
    readonly apps: readonly AppConfig[];
    readonly tls: { readonly hostnames: readonly string[] };
    readonly timescale: { readonly database: string };
    readonly redis: { readonly engine: "statefulset" | "elasticache" };
    readonly sqlserver: { readonly database: string };
    readonly qdrant: { readonly collection: string };
    readonly aws?: { readonly database: { readonly databaseName: string; readonly masterUsername: string } };
    /** The platform's own services by their host names on the network (`node-exporter`, `timescale`). */
    readonly platformServices: readonly string[];
}

/** Rules across apps and the rest of the config: upstream forms per platform, route collisions, stores. */
export function checkAppsConfig(c: AppsCheckInput, issue: (path: (string | number)[], message: string) => void) {
    const names = new Map<string, number>();
    const prefixes: { prefix: string; at: (string | number)[]; app: string }[] = [];
    const hosts = new Map<string, string>();
    const roles = new Map<string, string>();
    const redisPrefixes: { prefix: string; app: string }[] = [];
    const qdrantCollections = new Map<string, string>();
    const sqlserverNames = { database: new Map<string, string>(), login: new Map<string, string>() };
    c.apps.forEach((app, i) => {
        const at = (...rest: (string | number)[]) => ["apps", i, ...rest];
        if (names.has(app.name)) issue(at("name"), `is ${JSON.stringify(app.name)}, already the name of apps[${names.get(app.name)}]: every app needs its own name`);
        else names.set(app.name, i);

        const u = app.upstream;
        const forms = (["address", "service", "image"] as const).filter((k) => u[k] !== undefined);
        if (forms.length !== 1) {
            issue(at("upstream"), `must have exactly one of address (host:port), service (<name>.<namespace>:<port>) or image; it has ${forms.length === 0 ? "none" : forms.join(" and ")}`);
        }
        if (u.image === undefined) {
            for (const k of IMAGE_FIELDS) if (u[k] !== undefined) issue(at("upstream", k), "is for an image the platform runs: set upstream.image, or remove it");
        } else {
            if (u.port === undefined) issue(at("upstream", "port"), "is required with upstream.image: the port the app listens on");
            if (c.platform === "docker" && u.healthCommand === undefined) {
                issue(at("upstream", "healthCommand"), 'is required on docker: a command in the image that exits 0 when the app is healthy, e.g. ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8000/health"]');
            }
            if (c.platform === "kubernetes" && u.healthPath === undefined && u.healthCommand === undefined) {
                issue(at("upstream", "healthPath"), "is required on kubernetes (or healthCommand): the readiness and liveness probes");
            }
            const cpu = u.cpu ?? APP_DEFAULTS.cpu;
            const memoryMb = u.memoryMb ?? APP_DEFAULTS.memoryMb;
            if (u.cpuReservation !== undefined && u.cpuReservation > cpu) issue(at("upstream", "cpuReservation"), `must not exceed upstream.cpu (${cpu})`);
            if (u.memoryReservationMb !== undefined && u.memoryReservationMb > memoryMb) issue(at("upstream", "memoryReservationMb"), `must not exceed upstream.memoryMb (${memoryMb})`);
            if (u.runAsGid !== undefined && u.runAsUid === undefined) issue(at("upstream", "runAsGid"), "must come with runAsUid");
            if (u.port !== undefined && app.metrics && app.metrics.port === u.port && app.metrics.path === "/") {
                issue(at("metrics", "path"), "must not be / on the app's own port: it would scrape the app's home page");
            }
        }
        const addressHost = u.address?.slice(0, u.address.lastIndexOf(":"));
        if (addressHost !== undefined && (c.platformServices.includes(addressHost) || c.platformServices.some((s) => addressHost === `${s}-exporter`))) {
            issue(at("upstream", "address"), `is ${JSON.stringify(u.address)}, one of the platform's own services: an app route would open it past the proxy's checks`);
        }
        if (u.address !== undefined && c.platform !== "docker") {
            issue(at("upstream", "address"), "is for docker stacks: on kubernetes give the app's Service (upstream.service) or its image, so a NetworkPolicy can name what the proxy reaches");
        }
        if (u.service !== undefined && c.platform !== "kubernetes") {
            issue(at("upstream", "service"), "is a Kubernetes Service: on docker give upstream.address (host:port) or an image");
        }

        app.routes.forEach((r, j) => {
            const rat = (...rest: (string | number)[]) => at("routes", j, ...rest);
            if ((r.pathPrefix === undefined) === (r.host === undefined)) {
                issue(rat(), "must have exactly one of pathPrefix (e.g. /courses) or host (e.g. courses.example.com)");
                return;
            }
            if (r.stripPrefix && r.pathPrefix === undefined) issue(rat("stripPrefix"), "needs a pathPrefix to strip");
            if (r.pathPrefix !== undefined) {
                const reserved = PLATFORM_PATH_PREFIXES.find((p) => prefixesCollide(p, r.pathPrefix!));
                if (reserved) issue(rat("pathPrefix"), `is ${JSON.stringify(r.pathPrefix)}, which overlaps the platform's own route ${reserved}: pick another prefix`);
                const other = prefixes.find((p) => prefixesCollide(p.prefix, r.pathPrefix!));
                if (other) issue(rat("pathPrefix"), `is ${JSON.stringify(r.pathPrefix)}, which overlaps ${other.prefix} of app ${other.app} (${other.at.join(".")}): path prefixes must not contain one another`);
                prefixes.push({ prefix: r.pathPrefix, at: rat("pathPrefix"), app: app.name });
            }
            if (r.host !== undefined) {
                if ((PLATFORM_HOSTS as readonly string[]).includes(r.host) || c.tls.hostnames.includes(r.host)) {
                    issue(rat("host"), `is ${JSON.stringify(r.host)}, a name the platform's own server answers to (tls.hostnames, proxy, localhost): give the app a host of its own`);
                }
                const owner = hosts.get(r.host);
                if (owner) issue(rat("host"), `is ${JSON.stringify(r.host)}, already routed to app ${owner}: a host name goes to one app`);
                else hosts.set(r.host, app.name);
            }
        });

        const prefix = appRedisPrefix(app);
        if (prefix !== undefined && c.redis.engine === "elasticache" && app.name.includes("--")) {
            issue(at("name"), `is ${JSON.stringify(app.name)}: its Redis user becomes an ElastiCache user, whose id may not contain "--" (redis.engine elasticache): rename the app`);
        }
        if (prefix !== undefined) {
            const other = redisPrefixes.find((p) => p.prefix.startsWith(prefix) || prefix.startsWith(p.prefix));
            if (other) issue(at("databases", "redis", "keyPrefix"), `is ${JSON.stringify(prefix)}, which overlaps ${JSON.stringify(other.prefix)} of app ${other.app}: one app's keys must not be another's`);
            redisPrefixes.push({ prefix, app: app.name });
        }

        const collection = appQdrantCollection(app);
        if (collection !== undefined) {
            // The backup drill restores a collection as `<collection>-drill`: that name is taken too.
            if (collection === c.qdrant.collection || collection.endsWith("-drill")) {
                issue(at("databases", "qdrant", "collection"), `is ${collection}, the platform's own collection (qdrant.collection) or a name ending in -drill (the backup drill's scratch collections): give the app a collection of its own`);
            }
            const owner = qdrantCollections.get(collection);
            if (owner) issue(at("databases", "qdrant", "collection"), `is ${collection}, already the collection of app ${owner}: every app gets its own`);
            else qdrantCollections.set(collection, app.name);
        }

        const mssql = appSqlServerDatabase(app);
        if (mssql) {
            if (mssql.database === c.sqlserver.database || (SQLSERVER_SYSTEM_DATABASES as readonly string[]).includes(mssql.database)) {
                issue(at("databases", "sqlserver", "database"), `is ${mssql.database}, the platform's own SQL Server database (sqlserver.database) or a system one (${SQLSERVER_SYSTEM_DATABASES.join(", ")}): give the app a database of its own`);
            }
            if ((SQLSERVER_PLATFORM_LOGINS as readonly string[]).includes(mssql.login)) {
                issue(at("databases", "sqlserver", "login"), `is ${mssql.login}, one of the platform's own SQL Server logins (${SQLSERVER_PLATFORM_LOGINS.join(", ")}): give the app a login of its own`);
            }
            for (const key of ["database", "login"] as const) {
                const owner = sqlserverNames[key].get(mssql[key]);
                if (owner) issue(at("databases", "sqlserver", key), `is ${mssql[key]}, already the ${key} of app ${owner} on SQL Server: every app gets its own`);
                else sqlserverNames[key].set(mssql[key], app.name);
            }
        }

        const db = appDatabase(app);
        if (db) {
            if (db.store === "timescale" && db.database === c.timescale.database) {
                issue(at("databases", "postgres", "database"), `is ${db.database}, the platform's own TimescaleDB database: give the app a database of its own`);
            }
            if (db.store === "rds") {
                const rds = c.aws?.database;
                if (rds === undefined) {
                    issue(at("databases", "postgres", "store"), 'is "rds", which is the RDS instance of the aws object: set aws (a kubernetes stack on AWS), or use store "timescale"');
                } else {
                    if (db.database === rds.databaseName || (RDS_DATABASES as readonly string[]).includes(db.database)) {
                        issue(at("databases", "postgres", "database"), `is ${db.database}, a database the RDS instance already has (aws.database.databaseName, ${RDS_DATABASES.join(", ")}): give the app a database of its own`);
                    }
                    if (db.role === rds.masterUsername || db.role.startsWith("rds") || (RDS_APP_DATABASE_ROLES as readonly string[]).includes(db.role)) {
                        issue(at("databases", "postgres", "role"), `is ${db.role}, a role RDS or the platform already has (aws.database.masterUsername, ${RDS_APP_DATABASE_ROLES.join(", ")}, rds*): give the app a role of its own`);
                    }
                }
            }
            if ((PLATFORM_ROLES as readonly string[]).includes(db.role)) {
                issue(at("databases", "postgres", "role"), `is ${db.role}, one of the platform's own roles (${PLATFORM_ROLES.join(", ")}): give the app a role of its own`);
            }
            const key = `${db.store}/${db.role}`;
            const owner = roles.get(key);
            if (owner) issue(at("databases", "postgres", "role"), `is ${db.role}, already the role of app ${owner} on ${db.store}: every app gets its own role`);
            else roles.set(key, app.name);
        }
    });
}
