import * as pulumi from "@pulumi/pulumi";
import { backupJobs, BackupSettings } from "../backup/job";
import { DrillSettings, drillTasks } from "../backup/tasks";
import { REDIS_BACKUP_SCRIPT } from "./backup-script";
import { PlatformConfig } from "../config/load";
import { generatedPassword, Rotations, rotatingSecret } from "../generated-secret";
import { loopbackPort, resourcesOf } from "../platform/resources";
import { Platform, ServiceSpec } from "../platform/types";
import { redisMaxMemoryMb } from "../tuning";
import { redisFlavor, renderRedisConf } from "./redis-conf";

export const REDIS_PORT = 6379;
/** The image's valkey/redis user (Alpine: uid 999, gid 1000). */
export const REDIS_USER = { uid: 999, gid: 1000 };

export interface RedisArgs {
    readonly config: PlatformConfig["redis"];
    readonly backup: BackupSettings & DrillSettings;
    readonly platform: Platform;
    /** The generations of its password (`rotation` config): the server takes the new one at its restart. */
    readonly rotations?: Rotations;
}

/** Redis-protocol cache and queue (Valkey by default: same protocol, BSD licence). */
export class Redis extends pulumi.ComponentResource {
    readonly host: string;
    readonly port = REDIS_PORT;
    /** Secret. */
    readonly password: pulumi.Output<string>;

    constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
        super("llm-platform:data:Redis", name, {}, opts);
        const c = args.config;
        const flavor = redisFlavor(c.image);
        this.password = rotatingSecret(`${name}-password`, args.rotations ?? {}, "none", (n) => generatedPassword(n, this)).current;
        const conf = this.password.apply((password) =>
            renderRedisConf({
                port: REDIS_PORT,
                dataDir: "/data",
                password,
                maxMemoryMb: redisMaxMemoryMb(c.memoryMb),
                evictionPolicy: c.evictionPolicy,
                appendfsync: c.appendfsync,
            }),
        );

        const backups = backupJobs(args.backup, [
            {
                name: "full",
                image: c.image,
                script: REDIS_BACKUP_SCRIPT,
                env: { REDIS_CLI: flavor.cli, REDIS_SERVER: flavor.server, REDIS_CHECK_RDB: flavor.checkRdb, REDIS_HOST: name, REDIS_PORT: String(REDIS_PORT), REDIS_DATA_DIR: "/data" },
                secretEnv: { REDISCLI_AUTH: this.password, VALKEYCLI_AUTH: this.password },
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
            files: [{ path: flavor.confPath, content: conf, secret: true, mode: "0644" }],
            volumes: [{ name: "data", mountPath: "/data", sizeGb: c.storageGb, sizedBy: "redis.storageGb" }],
            ports: [loopbackPort("redis", REDIS_PORT, c.hostPort)],
            resources: resourcesOf(c),
            rolloutTimeoutMinutes: c.rolloutTimeoutMinutes,
            // It writes only to /data.
            runAs: REDIS_USER,
            readOnlyRootFilesystem: true,
            // `ping` answers NOAUTH with exit code 0: compare the reply instead.
            healthCheck: {
                command: ["sh", "-c", `[ "$(${flavor.cli} ping)" = PONG ]`],
                intervalSeconds: 10,
                timeoutSeconds: 5,
                retries: 5,
                startPeriodSeconds: 10,
            },
            stopGraceSeconds: 30,
            observe: {
                exporter: { kind: "redis", target: `redis://${name}:${REDIS_PORT}`, password: this.password },
                probes: [{ name: "port", module: "tcp", target: `${name}:${REDIS_PORT}` }],
                logFormat: "redis",
            },
            backups,
            // The drill's scratch server holds the whole dataset: Valkey's own resources.
            scheduledTasks: drillTasks(args.backup, backups, resourcesOf(c)),
        };
        this.host = args.platform.deploy(spec, this).host;
        this.registerOutputs({ host: this.host });
    }

    /** redis:// URI for a client that reaches Redis at `hostPort`. */
    connectionString(hostPort: string): pulumi.Output<string> {
        return pulumi.secret(pulumi.interpolate`redis://:${this.password}@${hostPort}/0`);
    }
}
