import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { backupJobs, BackupSettings } from "../backup/job";
import { DrillSettings, drillTasks } from "../backup/tasks";
import { REDIS_BACKUP_SCRIPT } from "./backup-script";
import { PlatformConfig } from "../config/load";
import { generatedPassword, Rotations, rotatingSecret } from "../generated-secret";
import { loopbackPort, resourcesOf } from "../platform/resources";
import { ObservedService, Platform, PrivateEgress, ServiceSpec } from "../platform/types";
import { redisMaxMemoryMb } from "../tuning";
import { redisFlavor, RedisTlsFiles, renderRedisConf } from "./redis-conf";
import { ServerTls } from "../tls/certificates";
import { STORE_CA_PATH, storeCaFile } from "../tls/store-clients";

export const REDIS_PORT = 6379;
/** The image's valkey/redis user (Alpine: uid 999, gid 1000). */
export const REDIS_USER = { uid: 999, gid: 1000 };

/** The server's TLS files in its container; the CA is the clients' file (its health check is one). */
const REDIS_TLS_FILES: RedisTlsFiles = { certFile: "/etc/valkey-tls/server.crt", keyFile: "/etc/valkey-tls/server.key", caFile: STORE_CA_PATH };

/** The ACL user the platform's own clients log in as on a managed Valkey (its RBAC has no password-only login). */
export const PLATFORM_REDIS_USER = "llm-platform";

/** A Redis ACL user: its name and password (secret). */
export interface RedisUser {
    readonly name: string;
    readonly password: pulumi.Output<string>;
}

/** A Valkey the platform does not run (ElastiCache, `redis.engine: elasticache`). */
export interface ManagedRedis {
    /** Creates the store with these users (RBAC); TLS is required there. */
    readonly create: (users: { readonly platformUser: RedisUser; readonly appUsers: readonly (RedisUser & { readonly keyPrefix: string })[] }) => {
        readonly primaryEndpoint: pulumi.Output<string>;
        readonly nodeCidrs: readonly string[];
    };
    /** Hands monitoring what it watches of the store (its exporter). */
    readonly observe: (service: ObservedService) => void;
}

export interface RedisArgs {
    readonly config: PlatformConfig["redis"];
    readonly backup: BackupSettings & DrillSettings;
    readonly platform: Platform;
    /** The generations of its password (`rotation` config): the server takes the new one at its restart. */
    readonly rotations?: Rotations;
    /** The apps' ACL users (`apps[].databases.redis`), each with its key prefix and password (secret). */
    readonly appUsers?: readonly { readonly name: string; readonly keyPrefix: string; readonly password: pulumi.Output<string> }[];
    /** Set: the store is managed (its snapshots are its backups); nothing runs on the platform. */
    readonly managed?: ManagedRedis;
    /** The server's certificate from the platform's CA, when it runs on the platform: it serves TLS only. */
    readonly tls: ServerTls;
}

/** Redis-protocol cache and queue (Valkey by default: same protocol, BSD licence). */
export class Redis extends pulumi.ComponentResource {
    readonly host: pulumi.Output<string>;
    readonly port = REDIS_PORT;
    /** Clients connect with TLS (`rediss://`): every engine refuses plain connections. */
    readonly tls: boolean = true;
    /** The CA clients verify the server with; undefined for ElastiCache, whose certificate public CAs sign. */
    readonly caCertPem?: pulumi.Input<string>;
    /** The managed store's addresses and port, which in-cluster clients must be let reach. */
    readonly outside?: PrivateEgress;
    /** Secret. */
    readonly password: pulumi.Output<string>;
    /** The service's host name on the platform's network; undefined when the store is managed. */
    readonly serviceHost?: string;
    /** The ACL user the platform's clients log in as; undefined: the default user (the platform's own Valkey). */
    readonly user?: string;

    constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
        super("llm-platform:data:Redis", name, {}, opts);
        this.password = rotatingSecret(`${name}-password`, args.rotations ?? {}, "none", (n) => generatedPassword(n, this)).current;
        if (args.managed) {
            this.user = PLATFORM_REDIS_USER;
            // The platform's password is the AUTH token a store created before RBAC was given (aws.cache.acceptAuthToken).
            const store = args.managed.create({ platformUser: { name: this.user, password: this.password }, appUsers: (args.appUsers ?? []).map(({ name, keyPrefix, password }) => ({ name, keyPrefix, password })) });
            this.host = store.primaryEndpoint;
            this.outside = { cidrs: store.nodeCidrs, port: REDIS_PORT };
            args.managed.observe({
                name,
                observe: {
                    exporter: {
                        kind: "redis",
                        target: pulumi.interpolate`rediss://${store.primaryEndpoint}:${REDIS_PORT}`,
                        user: this.user,
                        password: this.password,
                        outside: this.outside,
                    },
                },
            });
        } else {
            this.serviceHost = this.deployed(name, args);
            this.host = pulumi.output(this.serviceHost);
            this.caCertPem = args.tls.caCertPem;
        }
        this.registerOutputs({ host: this.host });
    }

    /** The Valkey StatefulSet (Kubernetes) or container (Docker), with its backups and drills. */
    private deployed(name: string, args: RedisArgs): string {
        const c = args.config;
        const flavor = redisFlavor(c.image);
        const appUsers = args.appUsers ?? [];
        const conf = pulumi.all([this.password, ...appUsers.map((u) => u.password)]).apply(([password, ...appPasswords]) =>
            renderRedisConf({
                port: REDIS_PORT,
                dataDir: "/data",
                password,
                maxMemoryMb: redisMaxMemoryMb(c.memoryMb),
                evictionPolicy: c.evictionPolicy,
                appendfsync: c.appendfsync,
                appUsers: appUsers.map((u, i) => ({ name: u.name, keyPrefix: u.keyPrefix, passwordSha256: createHash("sha256").update(appPasswords[i]).digest("hex") })),
                tls: REDIS_TLS_FILES,
            }),
        );

        const backups = backupJobs(args.backup, [
            {
                name: "full",
                image: c.image,
                script: REDIS_BACKUP_SCRIPT,
                env: { REDIS_CLI: flavor.cli, REDIS_SERVER: flavor.server, REDIS_CHECK_RDB: flavor.checkRdb, REDIS_HOST: name, REDIS_PORT: String(REDIS_PORT), REDIS_DATA_DIR: "/data", REDIS_CACERT: STORE_CA_PATH },
                secretEnv: { REDISCLI_AUTH: this.password, VALKEYCLI_AUTH: this.password },
                files: [storeCaFile(args.tls.caCertPem)],
                // Restore turns the RDB into the AOF in /data while the server is stopped.
                restoreWritesServiceVolumes: true,
            },
        ]);
        const spec: ServiceSpec = {
            name,
            image: c.image,
            command: [flavor.server, flavor.confPath],
            // The CLIs read the password from here, so it never shows in a process list.
            secretEnv: { REDISCLI_AUTH: this.password, VALKEYCLI_AUTH: this.password },
            // Readable by the image's unprivileged server user; the container holds nothing else.
            // The key too: the server user reads it (uploads are root's), nobody else runs here. A new certificate changes the files: the server restarts with it.
            files: [
                { path: flavor.confPath, content: conf, secret: true, mode: "0644" },
                { path: REDIS_TLS_FILES.certFile, content: args.tls.certPem, mode: "0644" },
                { path: REDIS_TLS_FILES.keyFile, content: args.tls.keyPem, secret: true, mode: "0644" },
                storeCaFile(args.tls.caCertPem),
            ],
            volumes: [{ name: "data", mountPath: "/data", sizeGb: c.storageGb, sizedBy: "redis.storageGb" }],
            ports: [loopbackPort("redis", REDIS_PORT, c.hostPort)],
            resources: resourcesOf(c),
            rolloutTimeoutMinutes: c.rolloutTimeoutMinutes,
            // It writes only to /data.
            runAs: REDIS_USER,
            readOnlyRootFilesystem: true,
            // `ping` answers NOAUTH with exit code 0: compare the reply instead. Over TLS, the only port there is.
            healthCheck: {
                command: ["sh", "-c", `[ "$(${flavor.cli} --tls --cacert ${STORE_CA_PATH} ping)" = PONG ]`],
                intervalSeconds: 10,
                timeoutSeconds: 5,
                retries: 5,
                startPeriodSeconds: 10,
            },
            stopGraceSeconds: 30,
            observe: {
                exporter: { kind: "redis", target: `rediss://${name}:${REDIS_PORT}`, password: this.password, caCertPem: args.tls.caCertPem },
                probes: [{ name: "port", module: "tcp", target: `${name}:${REDIS_PORT}` }],
                logFormat: "redis",
            },
            backups,
            // The drill's scratch server holds the whole dataset: Valkey's own resources.
            scheduledTasks: drillTasks(args.backup, backups, resourcesOf(c)),
        };
        return args.platform.deploy(spec, this).host;
    }

    /** rediss:// URI for a client that reaches Redis at `hostPort` (and verifies it with `caCertPem` where set), as the platform's user. */
    connectionString(hostPort: pulumi.Input<string>): pulumi.Output<string> {
        return pulumi.secret(pulumi.interpolate`rediss://${this.user ?? ""}:${this.password}@${hostPort}/0`);
    }
}
