import * as pulumi from "@pulumi/pulumi";
import { APP_DEFAULTS, appDatabase, appQdrantCollection, appRedisPrefix, appResources, appServiceName, appSqlServerDatabase } from "../config/apps";
import type { PlatformConfig } from "../config/load";
import { generatedPassword, Rotations, rotatingSecret } from "../generated-secret";
import { ObservedService, Platform, PrivateEgress, ServiceFile, ServiceSpec } from "../platform/types";
import { AppProxyRoute, appProxyRoutes } from "../proxy/app-routes";
import { qdrantCollectionToken } from "../qdrant/app-token";
import type { AppSqlServerLogin } from "../sqlserver/app-logins-sql";
import { appDatabaseRoles } from "./databases";
import { HOST_CA_FILE, STORE_CA_PATH, storeCaFile } from "../tls/store-clients";

type AppConfig = PlatformConfig["apps"][number];

/** A PostgreSQL server an app's database lives on, as clients inside the platform reach it. */
export interface AppDatabaseServer {
    readonly host: pulumi.Input<string>;
    readonly port: number;
    /** Done once the apps' roles exist (the store's `app-roles` step, RDS's migrate Job). */
    readonly ready: readonly pulumi.Resource[];
    /** libpq's sslmode clients must use when the server requires TLS (RDS: rds.force_ssl; the platform's TimescaleDB: verify-full with the stores' CA). */
    readonly sslMode?: "require" | "verify-full";
    /** A server outside the cluster (RDS in the private subnets): what an app's pods must be let reach. */
    readonly outside?: PrivateEgress;
}

/** The stores an app's databases live on. */
export interface AppStores {
    readonly timescale?: AppDatabaseServer;
    readonly rds?: AppDatabaseServer;
    /** The platform's SQL Server, ready once its `app-logins` step made the apps' logins. */
    readonly sqlserver?: { readonly host: string; readonly port: number; readonly ready: readonly pulumi.Resource[] };
    /** The platform's Valkey, or ElastiCache (`outside`: its subnets, reached past the cluster; its certificate from a public CA). */
    readonly redis?: { readonly host: pulumi.Input<string>; readonly port: number; readonly outside?: PrivateEgress };
    /** The CA the platform's stores' certificates chain to: clients verify them with it (verify-full, rediss://). */
    readonly caCertPem?: pulumi.Input<string>;
    /** The platform's Qdrant: its HTTPS URL, the CA of its certificate, its API key (secret) the apps' tokens are signed with. */
    readonly qdrant?: {
        readonly host: string;
        readonly url: string;
        readonly caCertPem: pulumi.Input<string>;
        readonly apiKey: pulumi.Output<string>;
        readonly ready: readonly pulumi.Resource[];
    };
}

/** What an app is given of its Qdrant collection (stack output `apps`; the token in `credentials.apps`). */
export interface AppQdrantOutput {
    readonly url: string;
    readonly collection: string;
}

/** What an app is given of its Redis user (stack output `apps`; the password in `credentials.apps`). */
export interface AppRedisOutput {
    readonly host: pulumi.Input<string>;
    readonly port: number;
    readonly user: string;
    readonly keyPrefix: string;
}

/** What an app is given of its SQL Server database (stack output `apps`; the password in `credentials.apps`). */
export interface AppSqlServerOutput {
    readonly host: string;
    readonly port: number;
    readonly database: string;
    readonly user: string;
}

/** What an app is given of its PostgreSQL database (stack output `apps`; the password in `credentials.apps`). */
export interface AppDatabaseOutput {
    readonly host: pulumi.Input<string>;
    readonly port: number;
    readonly database: string;
    readonly user: string;
    /** Set when the server requires TLS (RDS: require; the platform's TimescaleDB: verify-full). */
    readonly sslMode?: "require" | "verify-full";
}

/** `host:port` of an upstream as the proxy (and Prometheus) reach it. */
function upstreamAddress(app: AppConfig, hostOf: (service: string) => string): string {
    const u = app.upstream;
    if (u.image !== undefined) return `${hostOf(appServiceName(app.name))}:${u.port}`;
    if (u.service !== undefined) {
        const { host, port } = serviceRef(u.service);
        return `${host}.svc.cluster.local:${port}`;
    }
    return u.address!;
}

/** `upstream.service` (`<name>.<namespace>:<port>`, validated by config) in its parts. */
function serviceRef(service: string): { host: string; namespace: string; port: string } {
    const [host, port] = service.split(":");
    return { host, namespace: host.split(".")[1], port };
}

/**
 * The users' apps (`apps` config): their routes at the proxy, the passwords of their databases,
 * and, for an app given as an image, its workload, run by the platform like the platform's own
 * services (limits, non-root, NetworkPolicies, logs and metrics from its declaration). An app
 * given as an address or a Service is only routed to, and scraped when it declares metrics.
 */
export class Apps extends pulumi.ComponentResource {
    /** Every route of every app, with the address the proxy sends it to. */
    readonly routes: readonly AppProxyRoute[];
    /** The host names the apps are routed by: the proxy's certificate carries them. */
    readonly hostNames: readonly string[];
    /** The passwords of the apps' logins on TimescaleDB, by the env var the `app-roles` step reads. Secret. */
    readonly timescaleRoles: AppDatabaseRoles;
    /** The same for the apps' logins on RDS (the migrate Job's after-deploy script). Secret. */
    readonly rdsRoles: AppDatabaseRoles;
    /** Apps the platform does not run but scrapes (their own metrics endpoint). */
    readonly externalMetrics: readonly ObservedService[];

    /** The apps' Redis ACL users, each with its key prefix and password. Secret. */
    readonly redisUsers: readonly { readonly app: string; readonly name: string; readonly keyPrefix: string; readonly password: pulumi.Output<string> }[];

    /** The apps' SQL Server logins, each with its database and password, by the sqlcmd variable the `app-logins` step reads. Secret. */
    readonly sqlserverLogins: readonly (AppSqlServerLogin & { readonly app: string; readonly password: pulumi.Output<string> })[];

    /** The apps' Qdrant collections. */
    readonly qdrantCollections: readonly { readonly app: string; readonly collection: string }[];

    private readonly passwords: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(
        name: string,
        private readonly args: { readonly apps: PlatformConfig["apps"]; readonly platform: Platform; readonly rotations?: Rotations },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("llm-platform:apps:Apps", name, {}, opts);
        const hostOf = (s: string) => args.platform.hostOf(s);
        this.routes = appProxyRoutes(args.apps, (app) => upstreamAddress(app, hostOf));
        this.hostNames = [...new Set(args.apps.flatMap((a) => a.routes.flatMap((r) => (r.host ? [r.host] : []))))];
        // One login per app and store; a new generation (`npm run rotate`) replaces it at once (rotation.ts: configured).
        const password = (secret: string) => rotatingSecret(secret, args.rotations ?? {}, "none", (n) => generatedPassword(n, this)).current;
        this.passwords = Object.fromEntries(args.apps.filter((a) => appDatabase(a)).map((a) => [a.name, password(`${appServiceName(a.name)}-postgres-password`)]));
        const onStore = (store: "timescale" | "rds"): AppDatabaseRoles => {
            const roles = appDatabaseRoles(args.apps, store);
            return { roles, passwords: Object.fromEntries(roles.map((r) => [r.passwordEnv, this.passwords[r.app]])) };
        };
        this.timescaleRoles = onStore("timescale");
        this.rdsRoles = onStore("rds");
        this.redisUsers = args.apps.flatMap((a) => {
            const keyPrefix = appRedisPrefix(a);
            if (keyPrefix === undefined) return [];
            const name = appServiceName(a.name);
            return [{ app: a.name, name, keyPrefix, password: password(`${name}-redis-password`) }];
        });
        this.sqlserverLogins = args.apps.flatMap((a) => {
            const mssql = appSqlServerDatabase(a);
            if (!mssql) return [];
            const passwordVar = `APP_SQLSERVER_PASSWORD_${a.name.toUpperCase().replace(/-/g, "_")}`;
            return [{ app: a.name, ...mssql, passwordVar, password: password(`${appServiceName(a.name)}-sqlserver-password`) }];
        });
        this.qdrantCollections = args.apps.flatMap((a) => {
            const collection = appQdrantCollection(a);
            return collection === undefined ? [] : [{ app: a.name, collection }];
        });
        this.externalMetrics = args.apps
            .filter((a) => a.upstream.image === undefined && a.metrics)
            .map((a) => ({
                name: appServiceName(a.name),
                observe: { metrics: { port: a.metrics!.port, path: a.metrics!.path, host: upstreamAddress(a, hostOf).split(":")[0] } },
            }));
    }

    /** The database and Redis user each app is given (the passwords are in `credentials`). */
    given(stores: AppStores): Readonly<Record<string, { database?: AppDatabaseOutput; sqlserver?: AppSqlServerOutput; redis?: AppRedisOutput; qdrant?: AppQdrantOutput }>> {
        return Object.fromEntries(
            this.args.apps.map((a) => {
                const db = appDatabase(a);
                const server = db && stores[db.store];
                const redisUser = this.redisUsers.find((u) => u.app === a.name);
                const mssql = this.sqlserverLogins.find((l) => l.app === a.name);
                const collection = this.qdrantCollections.find((q) => q.app === a.name)?.collection;
                return [
                    a.name,
                    {
                        database:
                            db && server
                                ? { host: server.host, port: server.port, database: db.database, user: db.role, ...(server.sslMode ? { sslMode: server.sslMode } : {}) }
                                : undefined,
                        sqlserver: mssql && stores.sqlserver ? { host: stores.sqlserver.host, port: stores.sqlserver.port, database: mssql.database, user: mssql.login } : undefined,
                        redis: redisUser && stores.redis ? { host: stores.redis.host, port: stores.redis.port, user: redisUser.name, keyPrefix: redisUser.keyPrefix } : undefined,
                        qdrant: collection !== undefined && stores.qdrant ? { url: stores.qdrant.url, collection } : undefined,
                    },
                ];
            }),
        );
    }

    /**
     * Secret. Each app's passwords and URLs: PostgreSQL (libpq URI), SQL Server (ADO.NET), Redis
     * (`rediss://user:password@host:port/0`), its Qdrant token, and `env`: every variable the app is given, as an
     * image app gets them (what `npm run app-env` writes into an env file).
     */
    credentials(stores: AppStores): pulumi.Output<Record<string, Record<string, unknown>>> {
        const given = this.given(stores);
        const entries = Object.entries(given).map(([app, g]) => {
            const s = this.storesOf(app, given, stores);
            const { env, secretEnv } = credentialEnv(s);
            const all = pulumi.all({ ...env, ...secretEnv });
            return [
                app,
                pulumi.all([s.database?.password ?? "", s.redis?.password ?? "", g.database?.host ?? "", s.sqlserver?.password ?? "", s.qdrant?.token ?? "", all, g.redis?.host ?? ""]).apply(([pg, redis, host, sql, token, vars, redisHost]) => ({
                    ...(g.database ? { postgresPassword: pg, postgresUrl: postgresUrl({ ...g.database, host }, pg, HOST_CA_FILE) } : {}),
                    ...(g.sqlserver ? { sqlserverPassword: sql, sqlserverConnectionString: sqlServerConnectionString(g.sqlserver, sql) } : {}),
                    ...(g.redis ? { redisPassword: redis, redisUrl: redisUrl({ ...g.redis, host: redisHost }, redis) } : {}),
                    ...(g.qdrant ? { qdrantApiKey: token } : {}),
                    ...(Object.keys(vars).length > 0 ? { env: vars } : {}),
                })),
            ];
        });
        return pulumi.secret(pulumi.all(Object.fromEntries(entries))) as pulumi.Output<Record<string, Record<string, unknown>>>;
    }

    /**
     * Secret. The app's Qdrant token: its collection only, read and write, signed with the current
     * API key, so a rotated key re-signs it at the same `pulumi up` (app-token.ts).
     */
    private qdrantToken(app: string, stores: AppStores): pulumi.Output<string> | undefined {
        const collection = this.qdrantCollections.find((q) => q.app === app)?.collection;
        if (collection === undefined || !stores.qdrant) return undefined;
        return pulumi.secret(stores.qdrant.apiKey.apply((key) => qdrantCollectionToken(key, collection)));
    }

    /** An app's stores with its passwords, as its workload (or its handed-over Secret) gets them. */
    private storesOf(name: string, given: ReturnType<Apps["given"]>, stores: AppStores): AppGivenStores {
        const app = this.args.apps.find((a) => a.name === name)!;
        const g = given[name];
        const server = g.database && stores[appDatabase(app)!.store]!;
        const redisUser = this.redisUsers.find((u) => u.app === name);
        const mssql = this.sqlserverLogins.find((l) => l.app === name);
        return {
            database: g.database && server && { ...g.database, password: this.passwords[name], ready: server.ready, outside: server.outside },
            sqlserver: g.sqlserver && { ...g.sqlserver, password: mssql!.password, ready: stores.sqlserver!.ready },
            redis: g.redis && { ...g.redis, password: redisUser!.password, outside: stores.redis!.outside },
            caCertPem: stores.caCertPem,
            qdrant: g.qdrant && {
                ...g.qdrant,
                host: stores.qdrant!.host,
                caCertPem: stores.qdrant!.caCertPem,
                token: this.qdrantToken(name, stores)!,
                ready: stores.qdrant!.ready,
            },
        };
    }

    /**
     * Runs the apps given as images, each after its database's roles exist; an app given as a
     * Kubernetes Service gets the same variables as the Secret `app-<name>-env` in its namespace.
     */
    run(stores: AppStores) {
        const given = this.given(stores);
        for (const app of this.args.apps) {
            const appStores = this.storesOf(app.name, given, stores);
            if (app.upstream.image !== undefined) {
                this.args.platform.deploy(appSpec(app, appStores), this);
                continue;
            }
            const { env, secretEnv } = credentialEnv(appStores);
            if (app.upstream.service !== undefined && secretEnv !== undefined) {
                const { namespace } = serviceRef(app.upstream.service);
                this.args.platform.handOver(
                    { app: appServiceName(app.name), namespace, env: { ...env, ...secretEnv }, reaches: storeHosts(appStores), files: storeCaFor(appStores) ?? [] },
                    this,
                );
            }
        }
        this.registerOutputs({ routes: this.routes.length });
    }
}

/** Valkey serves TLS only: the client verifies it with the stores' CA (REDIS_CA_FILE in the app's container) or, on ElastiCache, the system's CAs. */
function redisUrl(r: AppRedisOutput & { readonly host: string }, password: string): string {
    return `rediss://${r.user}:${encodeURIComponent(password)}@${r.host}:${r.port}/0`;
}

/** ADO.NET's form, as the platform's own SQL Server connection string (its certificate is self-signed). */
function sqlServerConnectionString(s: AppSqlServerOutput, password: string): string {
    return `Server=${s.host},${s.port};Database=${s.database};User Id=${s.user};Password=${password};Encrypt=True;TrustServerCertificate=True`;
}

/** verify-full names the CA at `caPath`: the app's mounted file, or the file a user saved the stack's CA to. */
function postgresUrl(d: AppDatabaseOutput & { readonly host: string }, password: string, caPath = STORE_CA_PATH): string {
    const verify = d.sslMode === "verify-full" ? `&sslrootcert=${encodeURIComponent(caPath)}` : "";
    return `postgresql://${d.user}:${encodeURIComponent(password)}@${d.host}:${d.port}/${d.database}?sslmode=${d.sslMode ?? "prefer"}${verify}`;
}

/** The logins of the apps' databases on one store and their passwords, by the env var the store's script reads. Secret. */
export interface AppDatabaseRoles {
    readonly roles: ReturnType<typeof appDatabaseRoles>;
    readonly passwords: Readonly<Record<string, pulumi.Output<string>>>;
}

/** An app's stores with its passwords and what its workload waits for. */
export interface AppGivenStores {
    readonly database?: AppDatabaseOutput & { readonly password: pulumi.Output<string>; readonly ready: readonly pulumi.Resource[]; readonly outside?: PrivateEgress };
    readonly sqlserver?: AppSqlServerOutput & { readonly password: pulumi.Output<string>; readonly ready: readonly pulumi.Resource[] };
    /** `outside`: ElastiCache, in the private subnets. */
    readonly redis?: AppRedisOutput & { readonly password: pulumi.Output<string>; readonly outside?: PrivateEgress };
    /** The CA of the platform's stores: a file at STORE_CA_PATH in the app's container. */
    readonly caCertPem?: pulumi.Input<string>;
    readonly qdrant?: AppQdrantOutput & {
        readonly host: string;
        readonly caCertPem: pulumi.Input<string>;
        readonly token: pulumi.Output<string>;
        readonly ready: readonly pulumi.Resource[];
    };
}

/**
 * The variables an app is given for its stores: libpq's, MSSQL_*, REDIS_*, QDRANT_* (QDRANT_CA_PEM: the CA
 * of Qdrant's certificate, which serves HTTPS only); the passwords, URLs and the Qdrant token as secrets.
 */
export function credentialEnv(stores: AppGivenStores): { env: Record<string, pulumi.Input<string>>; secretEnv?: Record<string, pulumi.Input<string>> } {
    const { database: db, sqlserver: mssql, redis, qdrant } = stores;
    return {
        env: {
            ...(db
                ? { PGHOST: db.host, PGPORT: String(db.port), PGDATABASE: db.database, PGUSER: db.user, ...(db.sslMode ? { PGSSLMODE: db.sslMode } : {}), ...(db.sslMode === "verify-full" ? { PGSSLROOTCERT: STORE_CA_PATH } : {}) }
                : {}),
            ...(mssql ? { MSSQL_HOST: mssql.host, MSSQL_PORT: String(mssql.port), MSSQL_DATABASE: mssql.database, MSSQL_USER: mssql.user } : {}),
            // Valkey speaks TLS only (rediss://): the platform's with a certificate from the stores' CA, ElastiCache's from a public CA.
            ...(redis
                ? { REDIS_HOST: redis.host, REDIS_PORT: String(redis.port), REDIS_USERNAME: redis.user, REDIS_KEY_PREFIX: redis.keyPrefix, REDIS_TLS: "true", ...(redis.outside ? {} : { REDIS_CA_FILE: STORE_CA_PATH }) }
                : {}),
            ...(qdrant ? { QDRANT_URL: qdrant.url, QDRANT_COLLECTION: qdrant.collection, QDRANT_CA_PEM: qdrant.caCertPem } : {}),
        },
        secretEnv:
            db || mssql || redis || qdrant
                ? {
                      ...(db ? { PGPASSWORD: db.password, DATABASE_URL: pulumi.all([db.password, db.host]).apply(([p, host]) => postgresUrl({ ...db, host }, p)) } : {}),
                      ...(mssql ? { MSSQL_PASSWORD: mssql.password, MSSQL_CONNECTION_STRING: mssql.password.apply((p) => sqlServerConnectionString(mssql, p)) } : {}),
                      ...(redis ? { REDIS_PASSWORD: redis.password, REDIS_URL: pulumi.all([redis.password, redis.host]).apply(([p, host]) => redisUrl({ ...redis, host }, p)) } : {}),
                      ...(qdrant ? { QDRANT_API_KEY: qdrant.token } : {}),
                  }
                : undefined,
    };
}

/** The platform's stores an app's pods call (RDS is outside the cluster: reached by its subnets instead). */
function storeHosts({ database: db, sqlserver: mssql, redis, qdrant }: AppGivenStores): string[] {
    return [...(db && !db.outside ? [db.host as string] : []), ...(mssql ? [mssql.host] : []), ...(redis && !redis.outside ? [redis.host as string] : []), ...(qdrant ? [qdrant.host] : [])];
}

/** The stores' CA as the file PGSSLROOTCERT and REDIS_CA_FILE name, when the app connects to a store that verifies with it. */
function storeCaFor(stores: AppGivenStores): ServiceFile[] | undefined {
    return stores.caCertPem !== undefined && (stores.database?.sslMode === "verify-full" || (stores.redis && !stores.redis.outside)) ? [storeCaFile(stores.caCertPem)] : undefined;
}

/** An app the platform runs: a stateless service with the limits, user and health check its config gives. */
export function appSpec(app: AppConfig, stores: AppGivenStores = {}): ServiceSpec {
    const u = app.upstream;
    const port = u.port!;
    const uid = u.runAsUid ?? APP_DEFAULTS.runAsUid;
    const { database: db, sqlserver: mssql, redis, qdrant } = stores;
    const credentials = credentialEnv(stores);
    const outside = [db?.outside, redis?.outside].filter((e): e is PrivateEgress => e !== undefined);
    return {
        name: appServiceName(app.name),
        image: u.image!,
        env: { ...(u.env ?? {}), ...credentials.env },
        // The stores' CA, where PGSSLROOTCERT and REDIS_CA_FILE name it.
        files: storeCaFor(stores),
        // The app's logins, as libpq's variables and URLs (Kubernetes: the Secret `app-<name>-env`).
        secretEnv: credentials.secretEnv,
        ports: [{ name: "http", port }, ...(app.metrics && app.metrics.port !== port ? [{ name: "metrics", port: app.metrics.port }] : [])],
        resources: appResources(u),
        replicas: u.replicas ?? APP_DEFAULTS.replicas,
        runAs: { uid, gid: u.runAsGid ?? uid },
        healthCheck: {
            command: u.healthCommand ? [...u.healthCommand] : [],
            httpGet: u.healthPath ? { path: u.healthPath, port } : undefined,
            intervalSeconds: 10,
            timeoutSeconds: 5,
            retries: 3,
            startPeriodSeconds: 30,
        },
        // Its stores, nothing else; the proxy (and Prometheus) call it.
        talksTo: storeHosts(stores),
        // RDS and ElastiCache, outside the cluster: their subnets on their ports.
        privateEgress: outside.length > 0 ? outside : undefined,
        // Its logins and its collection exist before it starts.
        waitFor: db || mssql || qdrant ? [...(db?.ready ?? []), ...(mssql?.ready ?? []), ...(qdrant?.ready ?? [])] : undefined,
        backupNotNeeded: "an app the platform runs keeps no volumes: its data lives in its database",
        observe: {
            metrics: app.metrics ? { port: app.metrics.port, path: app.metrics.path } : undefined,
            logFormat: "plain",
        },
    };
}
