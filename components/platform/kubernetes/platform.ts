import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../../config/load";
import { runStepsInOrder } from "../step-order";
import { BackupJob, DeployedService, HandedOverCredentials, InitStep, isNodeAgent, Platform, ServiceSpec } from "../types";
import { BACKUP_ROOT } from "../../backup/scheduler";
import { barmanCloudPlugin } from "./barman-cloud-plugin";
import { certManager } from "./cert-manager";
import { cloudnativePgOperator, clusterPods, postgresCluster } from "./cloudnative-pg";
import { BackupDestination, sharedBackupsClaimName, StoreBackups, storeBackups } from "./backups";
import { SIZED_BY_ANNOTATION, sumSizedBy } from "./claims";
import { FlowTarget, outsideCallerFlows, podIdentityEgress, talksToLabels, workloadFlows } from "./flows";
import { ADOPT_ANNOTATIONS, COMPONENT_LABEL, SERVICE_LABEL } from "./labels";
import { ObjectPlace, podInputs } from "./pod";
import { peerHost, peerFlowRules } from "./peers";
import { taskCronJob } from "./scheduled-tasks";
import { SmokeJobArgs, smokeJobs } from "./smoke-job";
import { kubernetesProvider } from "./provider";
import { memoryQuantity, storageQuantity } from "./quantities";
import { ebsStorageClass, nodeAgentPriorityClass, platformNamespace } from "./namespace-objects";
import { serverPodTemplate, serverService, serverWorkload } from "./server-objects";
import { stepJob } from "./step-job";

import Core = k8s.types.input.core.v1;

export interface KubernetesPlatformArgs {
    /** e.g. `llm-platform-prod`: the `app.kubernetes.io/instance` of every object. */
    readonly namePrefix: string;
    readonly config: PlatformConfig["kubernetes"];
    readonly labels: Readonly<Record<string, string>>;
}

/** How long `pulumi up` waits for a new CloudNativePG cluster's Ready condition unless the service says. */
const CLUSTER_ROLLOUT_TIMEOUT_MINUTES = 30;

/** The cluster's DNS Service: NGINX resolves upstreams through it (it ignores search domains). */
const CLUSTER_DNS = "kube-dns.kube-system.svc.cluster.local";

interface Namespace {
    readonly name: string;
    /** The Namespace's name as an output: objects in it wait for it. */
    readonly ref: pulumi.Output<string>;
}

/** A service's workload and what the objects around it need to know of it. */
interface Deployment {
    readonly workload: pulumi.CustomResource;
    readonly namespace: Namespace;
    readonly selector: Record<string, string>;
    readonly metadata: { name: string; namespace: pulumi.Output<string>; labels: Record<string, string> };
    readonly place: ObjectPlace;
    readonly targets: FlowTarget[];
    readonly publicPorts: number[];
    readonly sharedClaim?: k8s.core.v1.PersistentVolumeClaim;
    /** The ServiceAccount its scheduled tasks run as. */
    readonly account: pulumi.Output<string>;
    readonly backups: readonly BackupJob[];
}

/** What the platform puts in a namespace it does not manage: its part-of label only, none of its own namespaces' selectors. */
const HANDED_OVER_LABELS = { "app.kubernetes.io/part-of": "llm-platform", "app.kubernetes.io/managed-by": "pulumi" };

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
    /** The data claims' class, when the program creates it. */
    private dataClass?: k8s.storage.v1.StorageClass;
    private agentPriorityClass?: pulumi.Output<string>;
    private backupDestination?: BackupDestination;
    private backupAccount?: pulumi.Output<string>;
    private taskReports?: string;
    /** The CloudNativePG operator's Helm release, when the program installs it: clusters are created after it. */
    private cloudnativePgRelease?: k8s.helm.v3.Release;
    /** The Barman Cloud plugin's release, installed with the operator (after it): clusters archive through it. */
    private barmanCloudPluginRelease?: k8s.helm.v3.Release;
    private readonly deployed = new Map<string, DeployedService>();
    /** How each deployed service's pods are picked and which ports its callers reach: for callers outside the platform (handOver). */
    private readonly callerAdmission = new Map<string, { selector: Record<string, string>; ports: number[]; namespace: pulumi.Input<string>; opts: pulumi.CustomResourceOptions }>();
    /** Services deployed as node agents: they live in the node-agent namespace. */
    private readonly nodeAgents = new Set<string>();
    /** Services an operator runs (CloudNativePG clusters): flows pick their pods by the operator's labels. */
    private readonly operatorRun = new Set<string>();
    /** Services some flow has named as a target: an operator-run service must be deployed before them. */
    private readonly namedTargets = new Set<string>();

    constructor(
        name: string,
        private readonly args: KubernetesPlatformArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("llm-platform:platform:Kubernetes", name, {}, opts);
        const k = args.config;
        this.provider = kubernetesProvider(`${name}-provider`, k, this);
        this.namespace = this.createNamespace(k.namespace, "restricted");
        if (k.createStorageClass) {
            // A released volume keeps its data until someone deletes it on purpose.
            this.dataClass = this.storageClass(`${name}-storage-class`, k.storageClassName, "Retain");
            // The backup jobs' scratch claims go with their pods: a retained volume would be left behind every run.
            this.storageClass(`${name}-scratch-storage-class`, k.scratchStorageClassName, "Delete");
        }
        this.registerOutputs({ namespace: this.namespace.ref });
    }

    /** An encrypted gp3 EBS class, bound where its pod lands; only a retained one grows (a scratch volume lives one run). */
    private storageClass(resourceName: string, className: string, reclaimPolicy: "Retain" | "Delete"): k8s.storage.v1.StorageClass {
        return ebsStorageClass(resourceName, className, reclaimPolicy, this.commonLabels(), { parent: this, provider: this.provider });
    }

    /**
     * A service's name in cluster DNS, resolvable without search domains and from either
     * namespace (NGINX, certificates, node agents). A node agent's name is known once it is deployed.
     */
    hostOf(service: string): string {
        return `${service}.${this.namespaceOf(service)}.svc.cluster.local`;
    }

    peerHosts(service: string, count: number): string[] {
        return count > 1 ? Array.from({ length: count }, (_, i) => peerHost(service, this.namespaceOf(service), i)) : [];
    }

    /**
     * A Secret in the workload's own namespace (which the platform does not manage: it must exist),
     * and on each store it reaches a NetworkPolicy admitting that namespace's pods that carry the
     * store's talks-to label, as the platform's own callers do (NetworkPolicies add up: the store's
     * own policy is unchanged). The app's own egress is its namespace's business.
     */
    handOver(c: HandedOverCredentials, parent: pulumi.Resource): boolean {
        new k8s.core.v1.Secret(
            `${c.namespace}-${c.app}-env`,
            {
                metadata: { name: `${c.app}-env`, namespace: c.namespace, labels: HANDED_OVER_LABELS },
                type: "Opaque",
                stringData: Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, pulumi.secret(v)])),
            },
            { parent, provider: this.provider },
        );
        if (c.files.length > 0) {
            new k8s.core.v1.ConfigMap(
                `${c.namespace}-${c.app}-files`,
                {
                    metadata: { name: `${c.app}-files`, namespace: c.namespace, labels: HANDED_OVER_LABELS },
                    data: Object.fromEntries(c.files.map((f) => [path.posix.basename(f.path), f.content])),
                },
                { parent, provider: this.provider },
            );
        }
        for (const target of this.flowTargets(c.reaches)) {
            // A store outside the cluster (ElastiCache's endpoint) has no pods to admit the app to.
            const store = this.callerAdmission.get(target.service);
            if (target.outside || !store) continue;
            new k8s.networking.v1.NetworkPolicy(
                `${target.service}-from-${c.app}`,
                {
                    metadata: { name: `${target.service}-from-${c.app}`, namespace: store.namespace, labels: this.commonLabels() },
                    spec: outsideCallerFlows(target.service, store.selector, store.ports, c.namespace),
                },
                store.opts,
            );
        }
        return true;
    }

    deploy(spec: ServiceSpec, parent: pulumi.Resource): DeployedService {
        if (this.deployed.has(spec.name)) throw new Error(`service ${spec.name} is deployed twice`);
        const nodeAgent = isNodeAgent(spec);
        if (nodeAgent && (spec.replicas ?? 1) !== 1) {
            throw new Error(`service ${spec.name}: a node agent runs once per node, it has no replicas`);
        }
        const peers = (spec.peers?.count ?? 1) > 1 ? spec.peers : undefined;
        if (peers && (nodeAgent || (spec.volumes ?? []).length === 0)) throw new Error(`service ${spec.name}: peers are stateful, with volumes of their own, and no node agent`);
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
        const flowTargets = this.flowTargets([...(spec.dependsOn ?? []), ...(spec.talksTo ?? [])]);
        const podLabels = { ...labels, ...talksToLabels(flowTargets.filter((t) => !t.outside).map((t) => t.service)) };
        if (spec.replicatedPostgres) return this.deployPostgresCluster(spec, parent, { namespace, selector, labels, place, targets: flowTargets, backups });
        const inputs = podInputs(place, spec.env, spec.secretEnv, spec.files);
        // IRSA: the ServiceAccount names the role its pods take (Pod Identity needs no annotation).
        const account = this.serviceAccount(place, spec.awsIdentity?.kind === "irsa" ? { "eks.amazonaws.com/role-arn": spec.awsIdentity.roleArn } : undefined);

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
        // A store that writes its own backup files (SQL Server) shares a retained volume, as large as its data, with its jobs.
        const volumes = spec.volumes ?? [];
        const sharedClaim = backups.some((b) => b.serviceWritesBackups)
            ? this.dataClaim(place, sharedBackupsClaimName(spec.name), volumes.reduce((sum, v) => sum + v.sizeGb, 0) || 1, sumSizedBy(volumes))
            : undefined;
        if (sharedClaim) {
            scratch.volumes.push({ name: "backups", persistentVolumeClaim: { claimName: sharedClaim.metadata.name } });
            scratch.mounts.push({ name: "backups", mountPath: BACKUP_ROOT });
        }
        const k = this.args.config;
        const template = serverPodTemplate({
            spec,
            config: k,
            inputs,
            namespace: namespace.name,
            labels: podLabels,
            selector,
            account,
            scratch,
            hostMounts,
            nodeAgent,
            peers,
            nodeAgentPriorityClass: () => this.nodeAgentPriorityClass(),
        });

        // Published beyond loopback on Docker: public here, behind the load balancer.
        const publicPorts = spec.ports.filter((p) => p.publish !== undefined && p.publish.hostIp !== "127.0.0.1").map((p) => p.port);
        const service = spec.ports.length > 0 ? serverService({ spec, config: k, namespace: namespace.ref, labels, selector, nodeAgent, publicService: publicPorts.length > 0, opts: place.opts }) : undefined;

        const { workload, metadata } = serverWorkload({
            spec,
            config: k,
            namespace,
            labels,
            selector,
            template,
            place,
            peers,
            service,
            sharedClaim,
            waitsFor: [...this.readyOf(spec.dependsOn ?? []), ...(spec.waitFor ?? [])],
            dataClaim: (claim, sizeGb, sizedBy) => this.dataClaim(place, claim, sizeGb, sizedBy),
        });
        return this.finishDeploy(spec, parent, { workload, namespace, selector, metadata, place, targets: flowTargets, publicPorts, sharedClaim, account, backups });
    }


    /**
     * A replicated PostgreSQL (ServiceSpec.replicatedPostgres) as a CloudNativePG Cluster: the operator
     * runs the instances, their Services, PodDisruptionBudgets, certificates and failover; the platform
     * adds what every service gets (flows, logical backups, tasks, steps), selecting the instances by the
     * labels the operator copies onto them.
     */
    private deployPostgresCluster(
        spec: ServiceSpec,
        parent: pulumi.Resource,
        s: Pick<Deployment, "namespace" | "selector" | "place" | "targets" | "backups"> & { labels: Record<string, string> },
    ): DeployedService {
        const pg = spec.replicatedPostgres!;
        const k = this.args.config;
        if (this.namedTargets.has(spec.name)) throw new Error(`service ${spec.name} runs on an operator: deploy it before the services that call it, whose flows must pick its pods`);
        this.operatorRun.add(spec.name);
        const destination = this.backupDestination;
        // Config validation stops this first (timescale.engine cloudnativepg needs the aws object).
        if (!destination) throw new Error(`service ${spec.name} is a replicated PostgreSQL, whose WAL goes to the S3 backup bucket: the Kubernetes platform has none (set the aws object)`);
        // The operator, then the Barman Cloud plugin in its namespace, after cert-manager (its chart's certificates).
        if (k.cloudnativePg.install && !this.cloudnativePgRelease) {
            const opts = { parent: this, provider: this.provider };
            this.cloudnativePgRelease = cloudnativePgOperator(k, opts);
            const certManagerRelease = k.certManager.install ? [certManager(k.certManager.namespace, opts)] : [];
            this.barmanCloudPluginRelease = barmanCloudPlugin({ namespace: k.cloudnativePg.namespace, after: [this.cloudnativePgRelease, ...certManagerRelease] }, opts);
        }
        const { cluster } = postgresCluster(
            {
                name: spec.name,
                namespace: s.namespace.ref,
                labels: s.labels,
                postgres: pg,
                resources: spec.resources,
                storageClassName: k.storageClassName,
                destination,
                operatorNamespace: k.cloudnativePg.namespace,
                // Three instances start one after another, each a clone of the primary: longer than one pod's rollout.
                rolloutMinutes: spec.rolloutTimeoutMinutes ?? CLUSTER_ROLLOUT_TIMEOUT_MINUTES,
                after: [...this.readyOf(spec.dependsOn ?? []), ...(this.cloudnativePgRelease ? [this.cloudnativePgRelease] : []), ...(this.barmanCloudPluginRelease ? [this.barmanCloudPluginRelease] : []), ...(this.dataClass ? [this.dataClass] : [])],
            },
            s.place.opts,
        );
        // The operator names the cluster's own ServiceAccount after it: the tasks get theirs.
        const account = this.serviceAccount({ ...s.place, base: `${spec.name}-tasks` });
        const metadata = { name: spec.name, namespace: s.namespace.ref, labels: s.labels };
        // The platform's NetworkPolicy for the service (its callers, its egress) applies to the operator's pods.
        return this.finishDeploy(spec, parent, { ...s, selector: clusterPods(spec.name), workload: cluster, metadata, publicPorts: [], account });
    }

    /** What every service gets once its workload exists: its flows, backups, scheduled tasks and one-shot steps. */
    private finishDeploy(spec: ServiceSpec, parent: pulumi.Resource, w: Deployment): DeployedService {
        const { workload, namespace, selector, metadata, place, targets, publicPorts, sharedClaim, account, backups } = w;
        const k = this.args.config;
        const flows = this.withPeerFlows(spec, selector, workloadFlows({
            service: spec.name,
            podLabels: selector,
            ports: spec.ports.map((p) => p.port),
            targets,
            callerNamespaces: this.namespaceNames(),
            publicPorts,
            internetEgress: spec.internetEgress ?? false,
            privateEgress: spec.privateEgress,
        }));
        new k8s.networking.v1.NetworkPolicy(
            `${spec.name}-flows`,
            {
                metadata,
                spec:
                    spec.awsIdentity?.kind === "pod-identity"
                        ? { ...flows, egress: [...((flows.egress ?? []) as k8s.types.input.networking.v1.NetworkPolicyEgressRule[]), podIdentityEgress] }
                        : flows,
            },
            place.opts,
        );

        const tasks = spec.scheduledTasks ?? [];
        let storeBackupJobs: StoreBackups | undefined;
        if (backups.length > 0 && this.backupDestination) {
            storeBackupJobs = storeBackups({
                drills: tasks.filter((t) => t.restoresBackup),
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

        for (const task of tasks.filter((t) => !t.restoresBackup)) {
            taskCronJob({ spec, task, config: k, namespace, commonLabels: this.commonLabels(), serviceAccount: account, pushgatewayUrl: this.taskReports, after: workload, opts: place.opts });
        }

        this.callerAdmission.set(spec.name, { selector, ports: spec.ports.map((p) => p.port), namespace: metadata.namespace, opts: place.opts });
        const initialized = runStepsInOrder<pulumi.Resource>(spec.name, spec.initSteps ?? [], workload, (step, after) => this.runStep(spec, step, after, parent, storeBackupJobs));
        const deployed: DeployedService = { host: this.hostOf(spec.name), ready: workload, initialized };
        this.deployed.set(spec.name, deployed);
        return deployed;
    }

    /** The flows of a service with peers (ServiceSpec.peers), which also reach each other. */
    private withPeerFlows(spec: ServiceSpec, selector: Record<string, string>, flows: k8s.types.input.networking.v1.NetworkPolicySpec): k8s.types.input.networking.v1.NetworkPolicySpec {
        if ((spec.peers?.count ?? 1) <= 1) return flows;
        const rules = peerFlowRules(selector, [spec.peers!.port.port, ...spec.ports.map((p) => p.port)]);
        return {
            ...flows,
            ingress: [...((flows.ingress ?? []) as k8s.types.input.networking.v1.NetworkPolicyIngressRule[]), rules.ingress],
            egress: [...((flows.egress ?? []) as k8s.types.input.networking.v1.NetworkPolicyEgressRule[]), rules.egress],
        };
    }

    /**
     * A Job that runs after its service is ready (or the step it names); its outcome is checked
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
        const { job, result } = stepJob({
            step,
            after,
            config: k,
            base,
            namespace,
            labels,
            selector,
            place,
            targets,
            inputs,
            account,
            backups,
            flowTargets: targets.map((t) => this.flowTarget(t)),
            callerNamespaces: this.namespaceNames(),
            waitsFor: this.readyOf(step.after ?? []),
        });
        this.initResults[base] = result;
        return job;
    }

    /** Where scheduled tasks report their outcome (the Pushgateway when metrics are on); before the first service is deployed. */
    reportTasksTo(pushgatewayUrl: string | undefined): void {
        if (this.deployed.size > 0) throw new Error("where tasks report must be set before the first service is deployed");
        this.taskReports = pushgatewayUrl;
    }

    /** Where the stores' backup CronJobs upload (prod: the AWS backup bucket); before the first store is deployed. */
    storeBackupsIn(destination: BackupDestination): void {
        if (this.deployed.size > 0) throw new Error("the backup destination must be set before the first service is deployed");
        this.backupDestination = destination;
    }

    /**
     * The smoke checks' Job templates (smoke-job.ts), after the services they check: `npm run
     * smoke -- <stack>` runs them in the cluster, where the stores' Services and Secrets are.
     */
    declareSmokeJobs(args: Omit<SmokeJobArgs, "namespace" | "commonLabels" | "jobTtlHours" | "flowTarget" | "opts">): void {
        smokeJobs({
            ...args,
            flowTarget: (service) => this.flowTarget(service),
            namespace: { name: this.args.config.namespace, ref: this.namespace.ref },
            commonLabels: this.commonLabels(),
            jobTtlHours: this.args.config.jobTtlHours,
            opts: { parent: this, provider: this.provider },
        });
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

    /**
     * A claim that holds data, on the retained class: kept by `pulumi destroy` and adopted by the next
     * `up` (ADOPT_ANNOTATIONS); a bigger size grows it in place (the provider updates a claim's
     * resources, diff.go forces a new one only for accessModes, selector, storageClassName, volumeName).
     */
    private dataClaim(place: ObjectPlace, name: string, sizeGb: number, sizedBy: string | undefined): k8s.core.v1.PersistentVolumeClaim {
        return new k8s.core.v1.PersistentVolumeClaim(
            name,
            {
                metadata: {
                    name,
                    namespace: place.namespace,
                    labels: place.labels,
                    annotations: { ...ADOPT_ANNOTATIONS, ...(sizedBy ? { [SIZED_BY_ANNOTATION]: sizedBy } : {}) },
                },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: this.args.config.storageClassName,
                    resources: { requests: { storage: storageQuantity(sizeGb) } },
                },
            },
            // The provider reads the claim's class to know it may stay Pending (WaitForFirstConsumer; await/awaiters.go pvcBindMode).
            { ...place.opts, retainOnDelete: true, dependsOn: this.dataClass ? [this.dataClass] : [] },
        );
    }

    /** One ServiceAccount per workload, its token never mounted (no workload calls the API server). */
    private serviceAccount(place: ObjectPlace, annotations?: Record<string, pulumi.Input<string>>): pulumi.Output<string> {
        return new k8s.core.v1.ServiceAccount(
            `${place.base}-account`,
            { metadata: { name: place.base, namespace: place.namespace, labels: place.labels, annotations }, automountServiceAccountToken: false },
            place.opts,
        ).metadata.name;
    }

    /** A namespace with Pod Security labels, default-deny NetworkPolicy and DNS egress. */
    private createNamespace(name: string, enforce: "restricted" | "privileged"): Namespace {
        return platformNamespace(name, enforce, this.commonLabels(), { parent: this, provider: this.provider });
    }

    /** The node agents' PriorityClass (cluster-wide, so named after the stack); created with the first agent. */
    private nodeAgentPriorityClass(): pulumi.Output<string> {
        this.agentPriorityClass ??= nodeAgentPriorityClass(this.args.namePrefix, this.commonLabels(), { parent: this, provider: this.provider });
        return this.agentPriorityClass;
    }

    private nodeAgentNamespace(): Namespace {
        // hostPath volumes are not allowed at baseline or restricted: node agents get a privileged namespace of their own.
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

    /** A service and its namespace, from a name or a host this platform gave out, or a Service of another namespace (`<name>.<namespace>.svc.cluster.local`). */
    private flowTarget(nameOrHost: string): FlowTarget {
        let target: FlowTarget = { service: nameOrHost, namespace: this.namespaceOf(nameOrHost) };
        for (const namespace of this.namespaceNames()) {
            const suffix = `.${namespace}.svc.cluster.local`;
            if (nameOrHost.endsWith(suffix)) {
                target = { service: nameOrHost.slice(0, -suffix.length), namespace };
                break;
            }
        }
        const other = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/.exec(nameOrHost);
        if (other && !this.namespaceNames().includes(other[2])) return { service: other[1], namespace: other[2], outside: true };
        this.namedTargets.add(target.service);
        return this.operatorRun.has(target.service) ? { ...target, podLabels: clusterPods(target.service) } : target;
    }

    /** The distinct flow targets of a list of names and hosts. */
    private flowTargets(namesOrHosts: readonly string[]): FlowTarget[] {
        const seen = new Map<string, FlowTarget>();
        for (const t of namesOrHosts.map((n) => this.flowTarget(n))) seen.set(`${t.namespace}/${t.service}`, t);
        return [...seen.values()];
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
