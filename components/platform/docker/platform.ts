import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_NOT_NEEDED } from "../../../policies/shared/markers";
import { BACKUP_ROOT } from "../../backup/scheduler";
import { runStepsInOrder } from "../step-order";
import { DeployedService, Env, HealthCheck, InitStep, isNodeAgent, Platform, Resources, ServiceFile, ServiceSpec } from "../types";
import { Scheduler, schedulersOf } from "./schedulers";
import { healthcheck, healthTimeoutSeconds } from "./health";
import { dockerCpus, subnetGateway } from "./provider-forms";
import { stepFailure } from "./step-result";

export interface DockerPlatformArgs {
    /** Prefix of every Docker object's name, e.g. `llm-platform-dev`. */
    readonly namePrefix: string;
    readonly networkName?: string;
    readonly subnet: string;
    readonly logMaxSizeMb: number;
    readonly logMaxFiles: number;
    readonly labels: Readonly<Record<string, string>>;
    /** How long an image pull or a step that downloads (a model) may take. */
    readonly pullTimeoutMinutes: number;
    /**
     * The kernel limits swap (`docker info` SwapLimit). Without swap accounting Docker
     * drops a swap limit and stores MemorySwap as -1, which is then what we send.
     */
    readonly swapLimit: boolean;
}

/** How long `docker stop` (and a daemon restart) waits before killing a service that has no shutdown time of its own. */
const DEFAULT_STOP_SECONDS = 30;
/** A one-shot step that downloads nothing should finish well within this. */
const STEP_TIMEOUT_MINUTES = 30;

/** A node agent's read-only view of the host: bind mounts. */
function hostMounts(spec: ServiceSpec) {
    return (spec.hostMounts ?? []).map((m) => ({ hostPath: m.hostPath, containerPath: m.mountPath, readOnly: true }));
}

/**
 * What every long-running container gets: its health check, restarts, the time `docker stop`
 * (and Pulumi's delete) gives it, and a `pulumi up` that returns only once it is healthy.
 */
function longRunning(health: HealthCheck, stopSeconds: number) {
    return {
        healthcheck: healthcheck(health),
        restart: "unless-stopped",
        // `docker stop`, daemon restarts and replacements use stopTimeout; destroyGraceSeconds only Pulumi's delete.
        stopTimeout: stopSeconds,
        destroyGraceSeconds: stopSeconds,
        wait: true,
        waitTimeout: healthTimeoutSeconds(health),
    };
}

/**
 * What the NVIDIA container runtime reads besides `--gpus all`: every GPU of the host, for
 * compute. Docker only: on Kubernetes the device plugin sets NVIDIA_VISIBLE_DEVICES to the GPUs
 * it allocated, and a value in the pod spec would override it (k8s-device-plugin#342).
 */
const NVIDIA_ENV = { NVIDIA_VISIBLE_DEVICES: "all", NVIDIA_DRIVER_CAPABILITIES: "compute,utility" } as const;

/** Docker's embedded DNS server on user-defined networks. */
const DOCKER_DNS = "127.0.0.11";

/**
 * Services as containers on one dedicated network of the local Docker engine. Data
 * volumes are retained on delete and have fixed names, so a rename or a destroy
 * leaves the data where the next `pulumi up` finds it.
 */
export class DockerPlatform extends pulumi.ComponentResource implements Platform {
    readonly kind = "docker" as const;
    readonly resolver = DOCKER_DNS;
    readonly network: docker.Network;
    /** Exit codes of the one-shot steps, checked on `pulumi up`. */
    readonly initResults: Record<string, pulumi.Output<string>> = {};

    private readonly images = new Map<string, docker.RemoteImage>();
    private backupsVolume?: docker.Volume;
    private readonly deployed = new Map<string, DeployedService>();

    constructor(
        name: string,
        private readonly args: DockerPlatformArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("llm-platform:platform:Docker", name, {}, opts);
        this.network = new docker.Network(
            `${name}-network`,
            {
                name: args.networkName ?? args.namePrefix,
                driver: "bridge",
                // Docker Engine >= 29 reports the gateway it allocated; ipamConfigs is ForceNew, so say it ourselves.
                ipamConfigs: [{ subnet: args.subnet, gateway: subnetGateway(args.subnet) }],
                labels: this.labelList({ "llm-platform.role": "network" }),
            },
            // The name is fixed: a replacement created before the old network is gone would collide with it.
            { parent: this, deleteBeforeReplace: true },
        );
        this.registerOutputs({ networkName: this.network.name });
    }

    hostOf(service: string): string {
        return service;
    }

    /** Docker runs one node of a service: no peers. */
    peerHosts(): string[] {
        return [];
    }

    /** Docker has no namespaces of other workloads to put a secret in: `npm run app-env` writes the env file. */
    handOver(): boolean {
        return false;
    }

    deploy(spec: ServiceSpec, parent: pulumi.Resource): DeployedService {
        if (this.deployed.has(spec.name)) throw new Error(`service ${spec.name} is deployed twice`);
        // Config validation stops this first (timescale.engine cloudnativepg needs platform kubernetes).
        if (spec.replicatedPostgres) throw new Error(`service ${spec.name}: a replicated PostgreSQL needs an operator, which the Docker platform has not`);
        // Config validation stops this first (qdrant.peers above 1 needs platform kubernetes).
        if ((spec.peers?.count ?? 1) > 1) throw new Error(`service ${spec.name} asks for ${spec.peers!.count} peers: the Docker platform runs one node`);
        const opts = { parent };
        const volumes = (spec.volumes ?? []).map((v) => {
            const volume = new docker.Volume(
                `${spec.name}-${v.name}`,
                {
                    name: `${this.args.namePrefix}-${spec.name}-${v.name}`,
                    labels: this.labelList({ "llm-platform.service": spec.name, "llm-platform.volume": v.name }),
                },
                // Data outlives the program: `pulumi destroy` and renames leave the volume in place.
                { ...opts, retainOnDelete: true },
            );
            return { volumeName: volume.name, containerPath: v.mountPath };
        });
        const backups = spec.backups ?? [];
        // SQL Server writes its BACKUP files itself: it sees the backups where its scheduler does.
        const backupMount = backups.some((b) => b.serviceWritesBackups)
            ? [this.backupsMount(opts)]
            : spec.readsBackups
              ? [{ ...this.backupsMount(opts), readOnly: true }]
              : [];

        const service = longRunning(spec.healthCheck, spec.stopGraceSeconds ?? DEFAULT_STOP_SECONDS);
        const container = new docker.Container(
            spec.name,
            {
                ...this.containerBase(spec.name, spec.image, spec.resources, spec.gpu ? { ...spec.env, ...NVIDIA_ENV } : spec.env, spec.secretEnv, spec.files, opts),
                entrypoints: spec.entrypoint,
                command: spec.command,
                user: spec.user,
                hostname: spec.name,
                volumes: [...volumes, ...backupMount, ...hostMounts(spec)],
                // The provider reads ports back sorted by internal port.
                ports: spec.ports
                    .filter((p) => p.publish)
                    .sort((a, b) => a.port - b.port)
                    .map((p) => ({ internal: p.port, external: p.publish!.hostPort, ip: p.publish!.hostIp, protocol: "tcp" })),
                ...service,
                gpus: spec.gpu ? "all" : undefined,
                shmSize: spec.sharedMemoryMb,
                labels: this.labelList({
                    "llm-platform.service": spec.name,
                    // The policy pack lets node agents (and only them) bind-mount the host read-only.
                    "llm-platform.role": isNodeAgent(spec) ? "node-agent" : "service",
                    // The policy pack holds a container labelled so to actually requesting the GPU.
                    ...(spec.gpu ? { "llm-platform.gpu": "required" } : {}),
                    ...(spec.backupNotNeeded ? { [BACKUP_NOT_NEEDED]: spec.backupNotNeeded } : {}),
                }),
            },
            {
                ...opts,
                dependsOn: [...this.readyOf(spec.dependsOn ?? []), ...(spec.waitFor ?? [])],
                // Create includes the wait for healthy; the provider's default would cut it at 20 minutes.
                customTimeouts: { create: `${Math.ceil(service.waitTimeout / 60) + 5}m` },
            },
        );

        const initialized = runStepsInOrder(spec.name, spec.initSteps ?? [], container, (step, after) => this.runStep(spec.name, step, [after], opts));
        for (const scheduler of schedulersOf(spec)) this.runScheduler(spec.name, scheduler, scheduler.writesServiceVolumes ? volumes : [], container, opts);
        const deployed: DeployedService = { host: spec.name, ready: container, initialized };
        this.deployed.set(spec.name, deployed);
        return deployed;
    }

    /** The stack's backups volume, mounted at BACKUP_ROOT; retained like every data volume. */
    private backupsMount(opts: pulumi.CustomResourceOptions) {
        this.backupsVolume ??= new docker.Volume(
            "backups",
            {
                name: `${this.args.namePrefix}-backups`,
                labels: this.labelList({ "llm-platform.volume": "backups" }),
            },
            { ...opts, parent: this, retainOnDelete: true },
        );
        return { volumeName: this.backupsVolume.name, containerPath: BACKUP_ROOT };
    }

    /**
     * A long-running scheduler beside the service that runs its backups and tasks on their
     * schedules (components/backup/scheduler.ts; which work goes to which scheduler:
     * ./schedulers.ts). It runs as root: Docker creates the backups volume root-owned, and the
     * scheduler hands SQL Server the directories it writes. Tasks report to node-exporter's
     * textfile directory on the backups volume.
     */
    private runScheduler(
        service: string,
        scheduler: Scheduler,
        serviceVolumes: { volumeName: pulumi.Output<string>; containerPath: string }[],
        serviceContainer: pulumi.Resource,
        opts: pulumi.CustomResourceOptions,
    ) {
        const name = `${service}-${scheduler.name}`;
        const health = { command: scheduler.healthCheck, intervalSeconds: 60, timeoutSeconds: 10, retries: 3, startPeriodSeconds: 30 };
        return new docker.Container(
            name,
            {
                ...this.containerBase(name, scheduler.image, scheduler.resources, scheduler.env, scheduler.secretEnv, scheduler.files, opts),
                entrypoints: scheduler.entrypoint,
                user: "0",
                volumes: [this.backupsMount(opts), ...serviceVolumes],
                ...longRunning(health, DEFAULT_STOP_SECONDS),
                labels: this.labelList({ "llm-platform.service": service, ...scheduler.labels }),
            },
            { ...opts, dependsOn: [serviceContainer] },
        );
    }

    /**
     * A one-shot container: created after its service is healthy (or the step it names), runs
     * to completion. A migration step stays as it ended: `npm run migrate` runs it again with
     * another command.
     */
    private runStep(service: string, step: InitStep, after: pulumi.Resource[], opts: pulumi.CustomResourceOptions) {
        const name = `${service}-${step.name}`;
        const container = new docker.Container(
            name,
            {
                ...this.containerBase(name, step.image, step.resources, step.env, step.secretEnv, step.files, opts),
                entrypoints: step.entrypoint,
                command: step.command,
                restart: "no",
                mustRun: false,
                attach: true,
                // Keep the step's output in the state, so a failure can quote its last lines.
                logs: true,
                labels: this.labelList({ "llm-platform.service": service, "llm-platform.role": "init", "llm-platform.step": step.name }),
            },
            {
                ...opts,
                dependsOn: [...after, ...this.readyOf(step.after ?? [])],
                // Create runs the step to its end: a model download over a slow link takes long.
                customTimeouts: { create: `${step.downloads ? this.args.pullTimeoutMinutes : STEP_TIMEOUT_MINUTES}m` },
            },
        );
        this.initResults[name] = pulumi.all([container.exitCode, container.containerLogs, container.urn]).apply(([code, logs, urn]) => {
            const failure = stepFailure({ step: name, containerName: `${this.args.namePrefix}-${name}`, urn, exitCode: code, logs });
            if (failure) throw new Error(failure);
            return "completed";
        });
        return container;
    }

    private containerBase(
        name: string,
        image: string,
        resources: Resources,
        env: Env | undefined,
        secretEnv: Env | undefined,
        files: ServiceFile[] | undefined,
        opts: pulumi.CustomResourceOptions,
    ) {
        return {
            name: `${this.args.namePrefix}-${name}`,
            image: this.pull(image, opts).imageId,
            envs: [
                ...Object.entries(env ?? {}).map(([k, v]) => pulumi.interpolate`${k}=${v}`),
                ...Object.entries(secretEnv ?? {}).map(([k, v]) => pulumi.secret(pulumi.interpolate`${k}=${v}`)),
            ],
            uploads: (files ?? []).map((f) => ({
                file: f.path,
                content: f.secret ? pulumi.secret(f.content) : f.content,
                permissions: f.mode ?? "0644",
            })),
            networksAdvanced: [{ name: this.network.name, aliases: [name] }],
            memory: resources.memoryMb,
            // Equal to memory: no swap, so the memory limit is the real limit. A kernel without swap
            // accounting cannot limit swap at all; Docker then stores -1, so that is what we send.
            memorySwap: this.args.swapLimit ? resources.memoryMb : -1,
            memoryReservation: resources.memoryReservationMb,
            // In the form the provider reads back ("2.0", not "2"): cpus is ForceNew.
            cpus: dockerCpus(resources.cpu),
            // Docker has no CPU reservation; shares give the same guarantee under contention.
            cpuShares: Math.max(2, Math.round(resources.cpuReservation * 1024)),
            logDriver: "json-file",
            logOpts: { "max-size": `${this.args.logMaxSizeMb}m`, "max-file": String(this.args.logMaxFiles) },
        };
    }

    /** One pull per image reference, shared by services and steps. */
    private pull(image: string, opts: pulumi.CustomResourceOptions): docker.RemoteImage {
        let remote = this.images.get(image);
        if (!remote) {
            const logical = `image-${image.replace(/[^a-zA-Z0-9.-]+/g, "-")}`;
            remote = new docker.RemoteImage(
                logical,
                { name: image, keepLocally: true },
                {
                    parent: this,
                    ...(opts.provider ? { provider: opts.provider } : {}),
                    // SQL Server's and Ollama's images are GBs: the provider's 20-minute default fails a slow link.
                    customTimeouts: { create: `${this.args.pullTimeoutMinutes}m`, update: `${this.args.pullTimeoutMinutes}m` },
                },
            );
            this.images.set(image, remote);
        }
        return remote;
    }

    private readyOf(names: readonly string[]): pulumi.Resource[] {
        return names.map((n) => {
            const s = this.deployed.get(n);
            if (!s) throw new Error(`unknown service ${n}: deploy it before the services that depend on it`);
            return s.ready;
        });
    }

    private labelList(extra: Record<string, string>) {
        return Object.entries({ ...this.args.labels, ...extra }).map(([label, value]) => ({ label, value }));
    }
}
