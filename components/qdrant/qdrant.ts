import * as pulumi from "@pulumi/pulumi";
import { backupJobs, BackupSettings } from "../backup/job";
import { QDRANT_BACKUP_SCRIPT } from "./backup-script";
import { defaultImages } from "../config/images";
import { PlatformConfig } from "../config/load";
import { generatedApiKey } from "../generated-secret";
import { loopbackPort, resourcesOf, stepResources } from "../platform/resources";
import { Platform, ServiceSpec } from "../platform/types";
import { renderCollectionScript } from "./collection-script";

export const QDRANT_PORT = 6333;
const SCRIPT = "/tmp/llm-platform-collection.sh";

export interface QdrantArgs {
    readonly config: PlatformConfig["qdrant"];
    readonly backup: BackupSettings & { readonly qdrantEveryMinutes: number };
    readonly dimensions: number;
    readonly platform: Platform;
}

/** Qdrant with an API key and the `documents` collection sized for the embedding model. */
export class Qdrant extends pulumi.ComponentResource {
    readonly host: string;
    readonly port = QDRANT_PORT;
    /** Secret. */
    readonly apiKey: pulumi.Output<string>;
    readonly collection: string;

    constructor(name: string, args: QdrantArgs, opts?: pulumi.ComponentResourceOptions) {
        super("llm-platform:data:Qdrant", name, {}, opts);
        const c = args.config;
        this.apiKey = generatedApiKey(`${name}-api-key`, this);
        this.collection = c.collection;

        const spec: ServiceSpec = {
            name,
            image: c.image,
            env: {
                QDRANT__TELEMETRY_DISABLED: "true",
                QDRANT__STORAGE__STORAGE_PATH: "/qdrant/storage",
                QDRANT__STORAGE__SNAPSHOTS_PATH: "/qdrant/snapshots",
            },
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
                httpGet: { path: "/readyz", port: QDRANT_PORT },
                intervalSeconds: 10,
                timeoutSeconds: 5,
                retries: 5,
                startPeriodSeconds: 10,
            },
            stopGraceSeconds: 30,
            observe: {
                metrics: { port: QDRANT_PORT, path: "/metrics", bearerToken: this.apiKey },
                probes: [{ name: "readyz", module: "http", target: `http://${name}:${QDRANT_PORT}/readyz` }],
                logFormat: "qdrant",
            },
            initSteps: [
                {
                    name: "collection",
                    image: defaultImages.curl,
                    entrypoint: ["/bin/sh", SCRIPT],
                    command: [],
                    env: { QDRANT_URL: `http://${name}:${QDRANT_PORT}` },
                    secretEnv: { QDRANT_API_KEY: this.apiKey },
                    files: [
                        {
                            path: SCRIPT,
                            content: renderCollectionScript({
                                collection: c.collection,
                                dimensions: args.dimensions,
                                hnswM: c.hnswM,
                                hnswEfConstruct: c.hnswEfConstruct,
                            }),
                            mode: "0755",
                        },
                    ],
                    resources: stepResources,
                    // curlimages/curl's curl_user.
                    runAs: { uid: 100, gid: 101 },
                },
            ],
            // The image has no curl: the curl image takes the snapshots through the API.
            backups: backupJobs(args.backup, [
                {
                    name: "snapshot",
                    schedule: { everyMinutes: args.backup.qdrantEveryMinutes },
                    image: defaultImages.curl,
                    script: QDRANT_BACKUP_SCRIPT,
                    env: { QDRANT_URL: `http://${name}:${QDRANT_PORT}`, COLLECTION: c.collection },
                    secretEnv: { QDRANT_API_KEY: this.apiKey },
                },
            ]),
        };
        this.host = args.platform.deploy(spec, this).host;
        this.registerOutputs({ host: this.host });
    }
}
