import * as pulumi from "@pulumi/pulumi";
import { backupJobs, BackupSettings } from "../backup/job";
import { DrillSettings, drillTasks, maintenanceTasks, MaintenanceSettings } from "../backup/tasks";
import { QDRANT_BACKUP_SCRIPT } from "./backup-script";
import { defaultImages } from "../config/images";
import { PlatformConfig } from "../config/load";
import { generatedApiKey, Rotations, rotatingSecret } from "../generated-secret";
import { loopbackPort, resourcesOf, stepResources } from "../platform/resources";
import { Platform, ServiceSpec } from "../platform/types";
import { collectionBody, renderCollectionScript } from "./collection-script";
import { QDRANT_OPTIMIZE_SCRIPT } from "./optimize-script";

export const QDRANT_PORT = 6333;
const TLS_DIR = "/qdrant/tls";
/** Peers' own port (Raft, shard replication): config/config.yaml `cluster.p2p.port`. */
export const QDRANT_P2P_PORT = 6335;
const SCRIPT = "/tmp/llm-platform-collection.sh";

export interface QdrantArgs {
    readonly config: PlatformConfig["qdrant"];
    readonly backup: BackupSettings & DrillSettings & { readonly qdrantEveryMinutes: number };
    readonly maintenance: MaintenanceSettings & Pick<PlatformConfig["maintenance"], "qdrantOptimize">;
    readonly dimensions: number;
    readonly platform: Platform;
    /** The generations of its API key (`rotation` config): the server takes the new one at its restart. */
    readonly rotations?: Rotations;
    /**
     * Its certificate (every name clients and peers use) and the CA that signed it. Qdrant then
     * serves HTTPS only (src/actix/mod.rs binds with rustls alone when `service.enable_tls`), and
     * peers speak mutual TLS (src/common/helpers.rs: the p2p server checks the client's
     * certificate against `tls.ca_cert`, so the certificate is a client's too).
     */
    readonly tls: { readonly caCertPem: pulumi.Input<string>; readonly certPem: pulumi.Input<string>; readonly keyPem: pulumi.Input<string> };
    /** The apps' collections (`apps[].databases.qdrant`): created like the platform's, in its backups, opened by their tokens. */
    readonly appCollections?: readonly string[];
}

/** Qdrant with an API key and the `documents` collection sized for the embedding model. */
export class Qdrant extends pulumi.ComponentResource {
    readonly host: string;
    readonly port = QDRANT_PORT;
    /** `https://<host>:6333`. */
    readonly url: string;
    /** Secret. */
    readonly apiKey: pulumi.Output<string>;
    readonly collection: string;
    /** Done once the collection step created the platform's and the apps' collections. */
    readonly initialized: readonly pulumi.Resource[];
    /** The CA of its certificate, for its clients. */
    readonly caCertPem: pulumi.Input<string>;

    constructor(name: string, args: QdrantArgs, opts?: pulumi.ComponentResourceOptions) {
        super("llm-platform:data:Qdrant", name, {}, opts);
        const c = args.config;
        this.apiKey = rotatingSecret(`${name}-api-key`, args.rotations ?? {}, "none", (n) => generatedApiKey(n, this)).current;
        this.collection = c.collection;
        this.caCertPem = args.tls.caCertPem;
        const appCollections = args.appCollections ?? [];

        // The image has no curl: the curl image speaks to the API for the backups and the tasks.
        const peers = c.peers > 1 ? { count: c.peers, port: { name: "p2p", port: QDRANT_P2P_PORT } } : undefined;
        const collection = { collection: c.collection, dimensions: args.dimensions, hnswM: c.hnswM, hnswEfConstruct: c.hnswEfConstruct, peers: c.peers };
        // The scripts' curl verifies Qdrant's certificate with the CA (CURL_CA_BUNDLE, written from QDRANT_CA_PEM).
        const api = {
            env: { QDRANT_URL: `https://${name}:${QDRANT_PORT}`, COLLECTION: c.collection, QDRANT_CA_PEM: args.tls.caCertPem },
            secretEnv: { QDRANT_API_KEY: this.apiKey },
        };
        const backups = backupJobs(args.backup, [
            {
                name: "snapshot",
                schedule: { everyMinutes: args.backup.qdrantEveryMinutes },
                image: defaultImages.curl,
                script: QDRANT_BACKUP_SCRIPT,
                // A cluster's restore creates the collection with it when it is missing (a fresh cluster).
                env: { ...api.env, APP_COLLECTIONS: appCollections.join(" "), COLLECTION_BODY: JSON.stringify(collectionBody(collection)) },
                secretEnv: api.secretEnv,
            },
        ]);
        const spec: ServiceSpec = {
            name,
            image: c.image,
            env: {
                QDRANT__TELEMETRY_DISABLED: "true",
                QDRANT__STORAGE__STORAGE_PATH: "/qdrant/storage",
                QDRANT__STORAGE__SNAPSHOTS_PATH: "/qdrant/snapshots",
                QDRANT__SERVICE__ENABLE_TLS: "true",
                QDRANT__TLS__CERT: `${TLS_DIR}/cert.pem`,
                QDRANT__TLS__KEY: `${TLS_DIR}/key.pem`,
                QDRANT__TLS__CA_CERT: `${TLS_DIR}/ca.pem`,
                // Tokens signed with the API key open single collections (the apps'); the key keeps full access (app-token.ts).
                ...(appCollections.length > 0 ? { QDRANT__SERVICE__JWT_RBAC: "true" } : {}),
                ...(peers ? { QDRANT__CLUSTER__ENABLED: "true", QDRANT__CLUSTER__P2P__PORT: String(QDRANT_P2P_PORT), QDRANT__CLUSTER__P2P__ENABLE_TLS: "true" } : {}),
            },
            files: [
                { path: `${TLS_DIR}/cert.pem`, content: args.tls.certPem, mode: "0644" },
                { path: `${TLS_DIR}/ca.pem`, content: args.tls.caCertPem, mode: "0644" },
                // Read by uid 1000 of the unprivileged image as by root of the default one.
                { path: `${TLS_DIR}/key.pem`, content: args.tls.keyPem, secret: true, mode: "0644" },
            ],
            ...(peers ? { peers, entrypoint: ["bash", "-c"], command: [peerCommand()] } : {}),
            secretEnv: { QDRANT__SERVICE__API_KEY: this.apiKey },
            volumes: [
                { name: "storage", mountPath: "/qdrant/storage", sizeGb: c.storageGb, sizedBy: "qdrant.storageGb" },
                { name: "snapshots", mountPath: "/qdrant/snapshots", sizeGb: c.snapshotsGb, sizedBy: "qdrant.snapshotsGb" },
            ],
            ports: [loopbackPort("http", QDRANT_PORT, c.hostPort)],
            resources: resourcesOf(c),
            rolloutTimeoutMinutes: c.rolloutTimeoutMinutes,
            // The default image runs as root; its `-unprivileged` variant (prod's default) as uid 1000.
            runAs: /-unprivileged$/.test(c.image.split("@")[0]) ? { uid: 1000, gid: 1000 } : undefined,
            // No curl or wget in the image: bash opens the port itself.
            healthCheck: {
                command: ["bash", "-c", `:> /dev/tcp/127.0.0.1/${QDRANT_PORT}`],
                httpGet: { path: "/readyz", port: QDRANT_PORT, scheme: "HTTPS" },
                intervalSeconds: 10,
                timeoutSeconds: 5,
                retries: 5,
                startPeriodSeconds: 10,
            },
            stopGraceSeconds: 30,
            observe: {
                metrics: { port: QDRANT_PORT, path: "/metrics", bearerToken: this.apiKey, caCertPem: args.tls.caCertPem },
                probes: [{ name: "readyz", module: "https", target: `https://${name}:${QDRANT_PORT}/readyz` }],
                logFormat: "qdrant",
            },
            initSteps: [
                {
                    name: "collection",
                    image: defaultImages.curl,
                    entrypoint: ["/bin/sh", SCRIPT],
                    command: [],
                    env: { QDRANT_URL: api.env.QDRANT_URL, QDRANT_CA_PEM: args.tls.caCertPem },
                    secretEnv: { QDRANT_API_KEY: this.apiKey },
                    files: [
                        {
                            path: SCRIPT,
                            content: renderCollectionScript(collection, appCollections),
                            mode: "0755",
                        },
                    ],
                    resources: stepResources,
                    // curlimages/curl's curl_user.
                    runAs: { uid: 100, gid: 101 },
                },
            ],
            backups,
            scheduledTasks: [
                ...maintenanceTasks(args.maintenance, [
                    {
                        name: "optimize",
                        schedule: args.maintenance.qdrantOptimize,
                        image: defaultImages.curl,
                        script: QDRANT_OPTIMIZE_SCRIPT,
                        env: { ...api.env, WAIT_SECONDS: String(Math.max(60, (args.maintenance.deadlineMinutes - 5) * 60)) },
                        secretEnv: api.secretEnv,
                        failureSeverity: "warning",
                    },
                ]),
                ...drillTasks(args.backup, backups),
            ],
        };
        const deployed = args.platform.deploy(spec, this);
        this.host = deployed.host;
        this.initialized = deployed.initialized;
        this.url = `https://${this.host}:${QDRANT_PORT}`;
        this.registerOutputs({ host: this.host });
    }
}

/**
 * A peer's start: the first founds the cluster (`--uri`, its own address), the others join through
 * it (`--bootstrap`). Once a peer has Raft state on its volume, both are ignored and it rejoins the
 * cluster it belongs to (src/consensus.rs `Consensus::new`: "Local raft state found - bootstrap and
 * uri cli arguments were ignored"), so a restarted first peer never founds a second cluster.
 */
function peerCommand(): string {
    const uri = `"https://$PEER_HOST:${QDRANT_P2P_PORT}"`;
    return [
        `if [ "$PEER_HOST" = "$FIRST_PEER_HOST" ]; then exec ./entrypoint.sh --uri ${uri}; fi`,
        `exec ./entrypoint.sh --bootstrap "https://$FIRST_PEER_HOST:${QDRANT_P2P_PORT}" --uri ${uri}`,
    ].join("\n");
}
