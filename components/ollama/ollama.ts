import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../config/load";
import { loopbackPort, resourcesOf, stepResources } from "../platform/resources";
import { InitStep, Platform, ServiceSpec } from "../platform/types";

export const OLLAMA_PORT = 11434;
/**
 * Where the models volume is mounted, and the server's HOME. The image keeps models in
 * $HOME/.ollama/models (/root/.ollama, which only root may enter); the volume holds what was
 * there (models/, the server's key pair), so mounted here with OLLAMA_MODELS on its models/
 * directory, the models pulled before are found as they are.
 */
export const OLLAMA_DATA_DIR = "/var/lib/ollama";
/**
 * The image has no user but root: any unprivileged uid works (the server only reads and writes
 * its volume and /tmp). Kubernetes runs it so, with the volume's group set to this gid
 * (fsGroup: a volume written by root before is handed over once, on the first start).
 */
const OLLAMA_USER = { uid: 1000, gid: 1000 };
/**
 * A first start on a GPU node may wait for the node itself: a node group scaling up from zero
 * (minutes), the NVIDIA driver and device plugin coming up on it (the GPU operator installs the
 * driver: up to ten), a multi-GB image pulled onto an empty disk, and the models volume attached.
 */
const GPU_ROLLOUT_MINUTES = 45;
/** On CPU nodes: the image and the volume attach only. */
const CPU_ROLLOUT_MINUTES = 20;

export interface OllamaArgs {
    readonly config: PlatformConfig["ollama"];
    readonly platform: Platform;
}

/**
 * Pulls a model, retrying: a pull is resumable and idempotent, and the runbooks'
 * most common failure is an interrupted download.
 */
export function pullScript(attempts: number, backoffSeconds = 10): string {
    return [
        "set -u",
        `for attempt in $(seq 1 ${attempts}); do`,
        '  if ollama pull "$MODEL"; then echo "pulled $MODEL"; exit 0; fi',
        `  echo "pull of $MODEL failed (attempt $attempt of ${attempts}), retrying" >&2`,
        `  sleep $((attempt * ${backoffSeconds}))`,
        "done",
        'echo "could not pull $MODEL: check the model name, the network and free disk space" >&2',
        "exit 1",
    ].join("\n");
}

/** Ollama serving the embedding and chat models, on the GPU when the stack has one. */
export class Ollama extends pulumi.ComponentResource {
    readonly host: string;
    readonly port = OLLAMA_PORT;

    constructor(name: string, args: OllamaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("llm-platform:inference:Ollama", name, {}, opts);
        const c = args.config;
        const pull = (stepName: string, model: string): InitStep => ({
            name: stepName,
            image: c.image,
            entrypoint: ["/bin/sh", "-c"],
            command: [pullScript(5)],
            // The CLI only talks to the server; HOME is where it may keep its settings.
            env: { OLLAMA_HOST: `http://${name}:${OLLAMA_PORT}`, MODEL: model, HOME: "/tmp" },
            resources: stepResources,
            downloads: true,
            runAs: OLLAMA_USER,
        });

        const spec: ServiceSpec = {
            name,
            image: c.image,
            env: {
                OLLAMA_HOST: `0.0.0.0:${OLLAMA_PORT}`,
                HOME: OLLAMA_DATA_DIR,
                OLLAMA_MODELS: `${OLLAMA_DATA_DIR}/models`,
                OLLAMA_KEEP_ALIVE: c.keepAlive,
                OLLAMA_NUM_PARALLEL: String(c.numParallel),
                OLLAMA_MAX_LOADED_MODELS: String(c.maxLoadedModels),
                OLLAMA_MAX_QUEUE: String(c.maxQueue),
                // Which GPUs it sees is the platform's business (Docker's NVIDIA runtime, Kubernetes' device plugin).
                ...(c.gpu ? { OLLAMA_FLASH_ATTENTION: "1" } : {}),
            },
            volumes: [{ name: "models", mountPath: OLLAMA_DATA_DIR, sizeGb: c.storageGb, sizedBy: "ollama.storageGb" }],
            ports: [loopbackPort("http", OLLAMA_PORT, c.hostPort)],
            resources: resourcesOf(c),
            rolloutTimeoutMinutes: c.rolloutTimeoutMinutes ?? (c.gpu ? GPU_ROLLOUT_MINUTES : CPU_ROLLOUT_MINUTES),
            // The image has no curl: the CLI asks the server.
            healthCheck: {
                command: ["ollama", "list"],
                httpGet: { path: "/api/tags", port: OLLAMA_PORT },
                intervalSeconds: 15,
                timeoutSeconds: 10,
                retries: 5,
                startPeriodSeconds: 20,
            },
            gpu: c.gpu,
            // No /metrics in Ollama: probed, and its latency comes from the proxy's access log.
            observe: {
                probes: [{ name: "api", module: "http", target: `http://${name}:${OLLAMA_PORT}/api/version` }],
                logFormat: "ollama",
            },
            // The server, not the pull step, downloads models from registry.ollama.ai.
            internetEgress: true,
            backupNotNeeded: "its volume holds only models, which the pull steps download again from the registry",
            runAs: OLLAMA_USER,
            initSteps: [pull("pull-embedding-model", c.embeddingModel), pull("pull-chat-model", c.chatModel)],
        };
        this.host = args.platform.deploy(spec, this).host;
        this.registerOutputs({ host: this.host });
    }
}
