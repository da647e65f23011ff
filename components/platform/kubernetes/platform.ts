import { createHash } from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../../config/load";
import { DeployedService, InitStep, isNodeAgent, Platform, ServiceSpec } from "../types";
import { BACKUP_NOT_NEEDED } from "../../../policies/rules/backups";
import { pullPolicyFor } from "../../../policies/rules/support/image-reference";
import { BACKUP_ROOT } from "../../backup/scheduler";
import { BackupDestination, sharedBackupsClaimName, StoreBackups, storeBackups } from "./backups";
import { defaultDeny, dnsEgress, FlowTarget, talksToLabels, workloadFlows } from "./flows";
import { COMPONENT_LABEL, CONTENT_HASH_ANNOTATION, podSecurityLabels, SERVICE_LABEL } from "./labels";
import { suspendedJobTemplate } from "./job-template";
import { containerSecurityContext, ObjectPlace, podInputs, podSecurityContext } from "./pod";
import { nodeStateVolumes } from "./node-agent";
import { kubernetesProvider } from "./provider";
import { containerResources, memoryQuantity, probes, storageQuantity } from "./quantities";

import Core = k8s.types.input.core.v1;
import Batch = k8s.types.input.batch.v1;

export interface KubernetesPlatformArgs {
    /** e.g. `llm-platform-prod`: the `app.kubernetes.io/instance` of every object. */
    readonly namePrefix: string;
    readonly config: PlatformConfig["kubernetes"];
    readonly labels: Readonly<Record<string, string>>;
}

/** The cluster's DNS Service: NGINX resolves upstreams through it (it ignores search domains). */
const CLUSTER_DNS = "kube-dns.kube-system.svc.cluster.local";

interface Namespace {
    readonly name: string;
    /** The Namespace's name as an output: objects in it wait for it. */
    readonly ref: pulumi.Output<string>;
}

/**
 * Services as Kubernetes objects in one namespace of an existing cluster: a StatefulSet
 * (volumes) or Deployment (stateless) or DaemonSet (node agents, in their own
 * namespace) per service, with its Service, ServiceAccount, ConfigMap/Secrets,
 * PodDisruptionBudget and NetworkPolicy; one-shot steps as Jobs.
 */
export class KubernetesPlatform extends pulumi.ComponentResource implements Platform {
    readonly kind = "kubernetes" as const;
    readonly resolver = CLUSTER_DNS;
    /** Outcome of each Job, checked on `pulumi up`. */
    readonly initResults: Record<string, pulumi.Output<string>> = {};
    readonly provider: k8s.Provider;
    readonly namespace: Namespace;

    private agentNamespace?: Namespace;
    private backupDestination?: BackupDestination;
    private backupAccount?: pulumi.Output<string>;
    private readonly deployed = new Map<string, DeployedService>();
    /** Services deployed as node agents: they live in the node-agent namespace. */
    private readonly nodeAgents = new Set<string>();

    constructor(
        name: string,
        private readonly args: KubernetesPlatformArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("llm-platform:platform:Kubernetes", name, {}, opts);
        const k = args.config;
        this.provider = kubernetesProvider(`${name}-provider`, k, this);
        this.namespace = this.createNamespace(k.namespace, "baseline");
        if (k.createStorageClass) {
            // A released volume keeps its data until someone deletes it on purpose.
            this.storageClass(`${name}-storage-class`, k.storageClassName, "Retain");
            // The backup jobs' scratch claims go with their pods: a retained volume would be left behind every run.
            this.storageClass(`${name}-scratch-storage-class`, k.scratchStorageClassName, "Delete");
        }
        this.registerOutputs({ namespace: this.namespace.ref });
    }

    /** An encrypted gp3 EBS class, bound where its pod lands; only a retained one grows (a scratch volume lives one run). */
    private storageClass(resourceName: string, className: string, reclaimPolicy: "Retain" | "Delete"): void {
        new k8s.storage.v1.StorageClass(
            resourceName,
            {
                metadata: { name: className, labels: this.commonLabels() },
                provisioner: "ebs.csi.aws.com",
                parameters: { type: "gp3", encrypted: "true" },
                volumeBindingMode: "WaitForFirstConsumer",
                allowVolumeExpansion: reclaimPolicy === "Retain",
                reclaimPolicy,
            },
            { parent: this, provider: this.provider },
        );
    }

    /**
     * A service's name in cluster DNS, resolvable without search domains and from either
     * namespace (NGINX, certificates, node agents). A node agent's name is known once it is deployed.
     */
    hostOf(service: string): string {
        return `${service}.${this.namespaceOf(service)}.svc.cluster.local`;
    }

    deploy(spec: ServiceSpec, parent: pulumi.Resource): DeployedService {
        if (this.deployed.has(spec.name)) throw new Error(`service ${spec.name} is deployed twice`);
        const nodeAgent = isNodeAgent(spec);
        if (nodeAgent && (spec.replicas ?? 1) !== 1) {
            throw new Error(`service ${spec.name}: a node agent runs once per node, it has no replicas`);
        }
        if (nodeAgent) this.nodeAgents.add(spec.name);
        const backups = spec.backups ?? [];
        if (backups.length > 0 && (this.backupDestination === undefined || nodeAgent)) {
            // Config validation stops this first (backup.enabled needs the aws object here).
            throw new Error(`service ${spec.name} declares backups, but the Kubernetes platform has no S3 destination for them: set the aws object, or backup.enabled false`);
        }
        const namespace = nodeAgent ? this.nodeAgentNamespace() : this.namespace;
        const selector = { [SERVICE_LABEL]: spec.name, [COMPONENT_LABEL]: "server", "app.kubernetes.io/instance": this.args.namePrefix };
        const labels = {
            ...this.commonLabels(),
            ...selector,
            // The policy pack holds a workload labelled so to actually requesting the GPU.
            ...(spec.gpu ? { "llm-platform.gpu": "required" } : {}),
        };
        const place: ObjectPlace = { base: spec.name, namespace: namespace.ref, labels, opts: { parent, provider: this.provider } };
        const targets = [...new Set([...(spec.dependsOn ?? []), ...(spec.talksTo ?? []).map((t) => this.flowTarget(t).service)])];
        const podLabels = { ...labels, ...talksToLabels(targets) };
        const inputs = podInputs(place, spec.env, spec.secretEnv, spec.files);
        const account = this.serviceAccount(place);

        const scratch: { volumes: Core.Volume[]; mounts: Core.VolumeMount[] } = { volumes: [], mounts: [] };
        const scratchPaths = [...(spec.readOnlyRootFilesystem ? ["/tmp"] : []), ...(spec.scratchPaths ?? [])];
        scratchPaths.forEach((path, i) => {
            scratch.volumes.push({ name: `scratch-${i}`, emptyDir: { sizeLimit: "1Gi" } });
            scratch.mounts.push({ name: `scratch-${i}`, mountPath: path });
        });
        if (spec.sharedMemoryMb) {
            scratch.volumes.push({ name: "shm", emptyDir: { medium: "Memory", sizeLimit: memoryQuantity(spec.sharedMemoryMb) } });
            scratch.mounts.push({ name: "shm", mountPath: "/dev/shm" });
        }
        const hostMounts = (spec.hostMounts ?? []).map((m, i) => ({ ...m, name: `host-${i}` }));
        // A store that writes its own backup files (SQL Server) shares a retained volume with its jobs.
        const sharedClaim = backups.some((b) => b.serviceWritesBackups) ? this.sharedBackupsClaim(place, spec.volumes?.reduce((sum, v) => sum + v.sizeGb, 0) ?? 1) : undefined;
        if (sharedClaim) {
            scratch.volumes.push({ name: "backups", persistentVolumeClaim: { claimName: sharedClaim.metadata.name } });
            scratch.mounts.push({ name: "backups", mountPath: BACKUP_ROOT });
        }
        const container: Core.Container = {
            name: spec.name,
            image: spec.image,
            imagePullPolicy: pullPolicyFor(spec.image),
            command: spec.entrypoint,
            args: spec.command,
            ports: spec.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: "TCP" })),
            env: inputs.env,
            resources: containerResources(spec.resources, spec.gpu),
            ...probes(spec.healthCheck),
            volumeMounts: [
                ...(spec.volumes ?? []).map((v) => ({ name: v.name, mountPath: v.mountPath })),
                ...hostMounts.map((m) => ({ name: m.name, mountPath: m.mountPath, readOnly: true })),
                ...inputs.volumeMounts,
                ...scratch.mounts,
            ],
            securityContext: containerSecurityContext(spec.runAs, spec.readOnlyRootFilesystem ?? false, spec.user),
        };
        const replicas = spec.replicas ?? 1;
        const k = this.args.config;
        const template: Core.PodTemplateSpec = {
            metadata: { labels: podLabels, annotations: { [CONTENT_HASH_ANNOTATION]: inputs.contentHash } },
            spec: {
                serviceAccountName: account,
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                securityContext: podSecurityContext(spec.runAs, spec.ports.map((p) => p.port)),
                terminationGracePeriodSeconds: spec.stopGraceSeconds ?? 30,
                containers: [container],
                volumes: [
                    ...inputs.volumes,
                    ...scratch.volumes,
                    ...hostMounts.map((m) => ({ name: m.name, hostPath: { path: m.hostPath, type: "Directory" } })),
                    // Mounted like any volume above; on the node itself (node-agent.ts says why).
                    ...(nodeAgent ? nodeStateVolumes(spec, namespace.name) : []),
                ],
                ...(spec.gpu
                    ? { nodeSelector: { ...k.gpuNodeSelector }, tolerations: k.gpuTolerations.map((t) => ({ ...t })), runtimeClassName: k.gpuRuntimeClassName }
                    : {}),
                ...(replicas > 1
                    ? {
                          topologySpreadConstraints: ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((topologyKey) => ({
                              topologyKey,
                              maxSkew: 1,
                              whenUnsatisfiable: "ScheduleAnyway",
                              labelSelector: { matchLabels: selector },
                          })),
                      }
                    : {}),
            },
        };

        // Published beyond loopback on Docker: public here, behind the load balancer.
        const publicPorts = spec.ports.filter((p) => p.publish !== undefined && p.publish.hostIp !== "127.0.0.1").map((p) => p.port);
        const publicService = publicPorts.length > 0;
        let service: k8s.core.v1.Service | undefined;
        if (spec.ports.length > 0) {
            const loadBalancer = publicService && k.proxyServiceType === "LoadBalancer";
            service = new k8s.core.v1.Service(
                `${spec.name}-service`,
                {
                    metadata: {
                        name: spec.name,
                        namespace: namespace.ref,
                        labels,
                        // The AWS Load Balancer Controller's NLB, straight to the pods; TLS stays on NGINX.
                        annotations: loadBalancer
                            ? {
                                  "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                                  "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                                  "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
                              }
                            : undefined,
                    },
                    spec: {
                        type: loadBalancer ? "LoadBalancer" : "ClusterIP",
                        // Headless for a node agent: its name resolves to every pod (one per node), so each is scraped.
                        ...(nodeAgent ? { clusterIP: "None" } : {}),
                        selector,
                        ports: spec.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: "TCP" })),
                        ...(loadBalancer && k.proxyLoadBalancerSourceRanges.length > 0 ? { loadBalancerSourceRanges: [...k.proxyLoadBalancerSourceRanges] } : {}),
                    },
                },
                place.opts,
            );
        }

        const metadata = { name: spec.name, namespace: namespace.ref, labels };
        const workloadMetadata = spec.backupNotNeeded ? { ...metadata, annotations: { [BACKUP_NOT_NEEDED]: spec.backupNotNeeded } } : metadata;
        const workloadOpts = { ...place.opts, dependsOn: this.readyOf(spec.dependsOn ?? []) };
        let workload: pulumi.CustomResource;
        if (nodeAgent) {
            workload = new k8s.apps.v1.DaemonSet(
                spec.name,
                { metadata: workloadMetadata, spec: { selector: { matchLabels: selector }, updateStrategy: { type: "RollingUpdate" }, template } },
                workloadOpts,
            );
        } else if ((spec.volumes ?? []).length > 0) {
            workload = new k8s.apps.v1.StatefulSet(
                spec.name,
                {
                    metadata: workloadMetadata,
                    spec: {
                        serviceName: spec.name,
                        replicas: 1,
                        selector: { matchLabels: selector },
                        updateStrategy: { type: "RollingUpdate" },
                        // Deleting or scaling the StatefulSet never deletes its data.
                        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
                        volumeClaimTemplates: (spec.volumes ?? []).map((v) => ({
                            metadata: { name: v.name, labels },
                            spec: {
                                accessModes: ["ReadWriteOnce"],
                                storageClassName: k.storageClassName,
                                resources: { requests: { storage: storageQuantity(v.sizeGb) } },
                            },
                        })),
                        template,
                    },
                },
                // Claim templates cannot change on a live StatefulSet: a bigger storageGb sizes new
                // claims; existing ones grow with `kubectl patch pvc` (the class allows expansion).
                {
                    ...workloadOpts,
                    dependsOn: [...this.readyOf(spec.dependsOn ?? []), ...(service ? [service] : []), ...(sharedClaim ? [sharedClaim] : [])],
                    ignoreChanges: ["spec.volumeClaimTemplates"],
                },
            );
        } else {
            workload = new k8s.apps.v1.Deployment(
                spec.name,
                {
                    metadata: workloadMetadata,
                    spec: {
                        replicas,
                        selector: { matchLabels: selector },
                        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: replicas > 1 ? 0 : 1, maxSurge: 1 } },
                        template,
                    },
                },
                workloadOpts,
            );
        }

        new k8s.policy.v1.PodDisruptionBudget(
            `${spec.name}-pdb`,
            // One pod at a time: drains proceed, replicas > 1 keep serving.
            { metadata, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
            place.opts,
        );
        new k8s.networking.v1.NetworkPolicy(
            `${spec.name}-flows`,
            {
                metadata,
                spec: workloadFlows({
                    service: spec.name,
                    podLabels: selector,
                    ports: spec.ports.map((p) => p.port),
                    targets: targets.map((t) => this.flowTarget(t)),
                    callerNamespaces: this.namespaceNames(),
                    publicPorts,
                    internetEgress: spec.internetEgress ?? false,
                }),
            },
            place.opts,
        );

        let storeBackupJobs: StoreBackups | undefined;
        if (backups.length > 0 && this.backupDestination) {
            storeBackupJobs = storeBackups({
                spec,
                destination: this.backupDestination,
                config: k,
                namespace,
                commonLabels: this.commonLabels(),
                storeSelector: selector,
                serviceAccount: this.backupServiceAccount(this.backupDestination),
                sharedClaim: sharedClaim ? sharedBackupsClaimName(spec.name) : undefined,
                after: workload,
                opts: place.opts,
            });
        }

        // One after the other: a step may need what the one before it made (SQL Server's database before its migrations).
        const initialized: pulumi.Resource[] = [];
        for (const step of spec.initSteps ?? []) {
            initialized.push(this.runStep(spec, step, initialized[initialized.length - 1] ?? workload, parent, storeBackupJobs));
        }
        const deployed: DeployedService = { host: this.hostOf(spec.name), ready: workload, initialized };
        this.deployed.set(spec.name, deployed);
        return deployed;
    }

    /**
     * A Job that runs after its service is ready (and its earlier steps); its outcome is checked
     * on `pulumi up`. A migration step runs once (no retries), after a fresh backup of the store
     * when backups are uploaded, and leaves a suspended CronJob of the same pod for `npm run migrate`.
     */
    private runStep(spec: ServiceSpec, step: InitStep, after: pulumi.Resource, parent: pulumi.Resource, backups?: StoreBackups): pulumi.Resource {
        const k = this.args.config;
        const base = `${spec.name}-${step.name}`;
        const selector = { [SERVICE_LABEL]: spec.name, [COMPONENT_LABEL]: `step-${step.name}`, "app.kubernetes.io/instance": this.args.namePrefix };
        const labels = { ...this.commonLabels(), ...selector };
        const namespace = isNodeAgent(spec) ? this.nodeAgentNamespace() : this.namespace;
        const place: ObjectPlace = { base, namespace: namespace.ref, labels, opts: { parent, provider: this.provider } };
        const targets = [spec.name, ...(step.after ?? [])];
        const inputs = podInputs(place, step.env, step.secretEnv, step.files);
        const account = this.serviceAccount(place);
        const deadlineSeconds = (step.downloads ? k.downloadDeadlineMinutes : k.jobDeadlineMinutes) * 60;

        new k8s.networking.v1.NetworkPolicy(
            `${base}-flows`,
            {
                metadata: { name: base, namespace: namespace.ref, labels },
                spec: workloadFlows({
                    service: base,
                    podLabels: selector,
                    ports: [],
                    targets: targets.map((t) => this.flowTarget(t)),
                    callerNamespaces: this.namespaceNames(),
                    publicPorts: [],
                    internetEgress: false,
                }),
            },
            place.opts,
        );
        const container: Core.Container = {
            name: step.name,
            image: step.image,
            imagePullPolicy: pullPolicyFor(step.image),
            command: step.entrypoint,
            args: step.command,
            env: inputs.env,
            resources: containerResources(step.resources),
            volumeMounts: inputs.volumeMounts,
            securityContext: containerSecurityContext(step.runAs, false),
        };
        const jobSpec: Batch.JobSpec = {
            // A failed migration is looked at before it runs again.
            backoffLimit: step.migration ? 0 : k.jobBackoffLimit,
            activeDeadlineSeconds: deadlineSeconds,
            ttlSecondsAfterFinished: k.jobTtlHours * 3600,
            template: {
                metadata: { labels: { ...labels, ...talksToLabels(targets) }, annotations: { [CONTENT_HASH_ANNOTATION]: inputs.contentHash } },
                spec: {
                    restartPolicy: "Never",
                    serviceAccountName: account,
                    automountServiceAccountToken: false,
                    enableServiceLinks: false,
                    securityContext: podSecurityContext(step.runAs),
                    containers: [container],
                    volumes: inputs.volumes,
                },
            },
        };
        const backupFirst = step.migration?.backupFirst;
        // The backup runs again exactly when the step does: when its files, secrets, image or command change.
        const stepInputs = inputs.contentHash.apply((files) => createHash("sha256").update(JSON.stringify([files, step.image, step.entrypoint, step.command])).digest("hex"));
        const freshBackup = backupFirst && backups ? backups.backupBeforeStep(backupFirst, step.name, stepInputs, [after]) : undefined;
        const job = new k8s.batch.v1.Job(
            base,
            {
                metadata: {
                    name: base,
                    namespace: namespace.ref,
                    labels,
                    annotations: {
                        // Pulumi waits for the Job to finish (10 minutes by default): as long as it may run, plus a margin.
                        "pulumi.com/timeoutSeconds": String(deadlineSeconds + 120),
                        // A Job that failed is replaced, so it runs again, on the next `pulumi up`.
                        "pulumi.com/replaceUnready": "true",
                    },
                },
                spec: jobSpec,
            },
            // A Job's pod template cannot change: new inputs replace it, and its fixed name must go first.
            { ...place.opts, dependsOn: [after, ...this.readyOf(step.after ?? []), ...(freshBackup ? [freshBackup] : [])], deleteBeforeReplace: true },
        );
        if (step.migration) {
            // `npm run migrate` creates a Job from it with the command it is asked for.
            suspendedJobTemplate(`${base}-template`, { name: base, namespace: namespace.ref, labels }, jobSpec, place.opts);
        }
        if (k.renderYamlToDirectory !== undefined) {
            this.initResults[base] = pulumi.output(`rendered to ${k.renderYamlToDirectory}, not run`);
            return job;
        }
        // The provider already waits for the Job and fails on a failed one; this also catches a
        // Job saved without finishing (a timed-out create) instead of calling it done.
        this.initResults[base] = pulumi.all([job.status, job.urn]).apply(([status, urn]) => {
            const condition = (type: string) => (status?.conditions ?? []).find((c) => c.type === type && c.status === "True");
            const failed = condition("Failed");
            if (!failed && (condition("Complete") || (status?.succeeded ?? 0) > 0)) return "completed";
            const what = failed ? `failed${failed.reason ? ` (${failed.reason})` : ""}` : "has not completed";
            throw new Error(
                `one-shot step ${base} ${what}: see \`kubectl logs -n ${namespace.name} job/${base}\`, fix the cause, then run it ` +
                    `again with \`pulumi up\` (a failed Job is replaced) or \`pulumi up --replace '${urn}'\` (the step is safe to re-run)`,
            );
        });
        return job;
    }

    /** Where the stores' backup CronJobs upload (prod: the AWS backup bucket); before the first store is deployed. */
    storeBackupsIn(destination: BackupDestination): void {
        if (this.deployed.size > 0) throw new Error("the backup destination must be set before the first service is deployed");
        this.backupDestination = destination;
    }

    /** The one ServiceAccount the backup role trusts; with IRSA it names the role. */
    private backupServiceAccount(d: BackupDestination): pulumi.Output<string> {
        this.backupAccount ??= new k8s.core.v1.ServiceAccount(
            "backup-account",
            {
                metadata: {
                    name: d.serviceAccount,
                    namespace: this.namespace.ref,
                    labels: { ...this.commonLabels(), [COMPONENT_LABEL]: "backup" },
                    annotations: d.identity === "irsa" ? { "eks.amazonaws.com/role-arn": d.roleArn } : undefined,
                },
                automountServiceAccountToken: false,
            },
            { parent: this, provider: this.provider },
        ).metadata.name;
        return this.backupAccount;
    }

    /** The volume a store and its backup jobs share, as large as the store's data; kept on delete. */
    private sharedBackupsClaim(place: ObjectPlace, sizeGb: number): k8s.core.v1.PersistentVolumeClaim {
        const name = sharedBackupsClaimName(place.base);
        return new k8s.core.v1.PersistentVolumeClaim(
            name,
            {
                metadata: { name, namespace: place.namespace, labels: place.labels },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: this.args.config.storageClassName,
                    resources: { requests: { storage: storageQuantity(sizeGb) } },
                },
            },
            // Backups outlive the program like the data (the class allows growing it).
            { ...place.opts, retainOnDelete: true },
        );
    }

    /** One ServiceAccount per workload, its token never mounted (no workload calls the API server). */
    private serviceAccount(place: ObjectPlace): pulumi.Output<string> {
        return new k8s.core.v1.ServiceAccount(
            `${place.base}-account`,
            { metadata: { name: place.base, namespace: place.namespace, labels: place.labels }, automountServiceAccountToken: false },
            place.opts,
        ).metadata.name;
    }

    /** A namespace with Pod Security labels, default-deny NetworkPolicy and DNS egress. */
    private createNamespace(name: string, enforce: "baseline" | "privileged"): Namespace {
        const opts = { parent: this, provider: this.provider };
        const ns = new k8s.core.v1.Namespace(
            `namespace-${name}`,
            { metadata: { name, labels: { ...this.commonLabels(), ...podSecurityLabels(enforce) } } },
            // Deleting a namespace deletes its PVCs: `pulumi destroy` leaves it and them in place.
            { ...opts, retainOnDelete: true },
        );
        const ref = ns.metadata.name;
        new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, { metadata: { name: "default-deny", namespace: ref, labels: this.commonLabels() }, spec: defaultDeny }, opts);
        new k8s.networking.v1.NetworkPolicy(`${name}-dns`, { metadata: { name: "allow-dns", namespace: ref, labels: this.commonLabels() }, spec: dnsEgress() }, opts);
        return { name, ref };
    }

    private nodeAgentNamespace(): Namespace {
        // hostPath volumes are not allowed at baseline: node agents get a privileged namespace of their own.
        this.agentNamespace ??= this.createNamespace(this.args.config.nodeAgentNamespace, "privileged");
        return this.agentNamespace;
    }

    private namespaceOf(service: string): string {
        return this.nodeAgents.has(service) ? this.args.config.nodeAgentNamespace : this.args.config.namespace;
    }

    /** Both namespaces of the platform: NetworkPolicies admit declared callers from either. */
    private namespaceNames(): string[] {
        return [this.args.config.namespace, this.args.config.nodeAgentNamespace];
    }

    /** A service and its namespace, from a name or a host this platform gave out. */
    private flowTarget(nameOrHost: string): FlowTarget {
        for (const namespace of this.namespaceNames()) {
            const suffix = `.${namespace}.svc.cluster.local`;
            if (nameOrHost.endsWith(suffix)) return { service: nameOrHost.slice(0, -suffix.length), namespace };
        }
        return { service: nameOrHost, namespace: this.namespaceOf(nameOrHost) };
    }

    private readyOf(names: readonly string[]): pulumi.Resource[] {
        return names.map((n) => {
            const s = this.deployed.get(n);
            if (!s) throw new Error(`unknown service ${n}: deploy it before the services that depend on it`);
            return s.ready;
        });
    }

    private commonLabels(): Record<string, string> {
        return { ...this.args.labels, "app.kubernetes.io/part-of": "llm-platform", "app.kubernetes.io/managed-by": "pulumi" };
    }
}
