import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../../config/load";
import { runStepsInOrder } from "../step-order";
import { BackupJob, DeployedService, HandedOverCredentials, InitStep, isNodeAgent, Platform, ServiceSpec } from "../types";
import { clusterPods } from "./cloudnative-pg";
import { BackupDestination, sharedBackupsClaimName, StoreBackups } from "./backups";
import { sumSizedBy } from "./claims";
import { dataClaim } from "./data-claim";
import { FlowTarget, talksToLabels } from "./flows";
import { handedOverCredentials } from "./handed-over";
import { COMPONENT_LABEL, SERVICE_LABEL } from "./labels";
import { ObjectPlace, podInputs } from "./pod";
import { peerHost } from "./peers";
import { SmokeJobArgs, smokeJobs } from "./smoke-job";
import { kubernetesProvider } from "./provider";
import { ebsStorageClass, nodeAgentPriorityClass, platformNamespace } from "./namespace-objects";
import { serverPodTemplate, serverService, serverWorkload } from "./server-objects";
import { postgresOperators, serviceCluster } from "./replicated-postgres";
import { CallerAdmission, outsideCallerPolicy, serviceFlowsPolicy } from "./service-flows";
import { backupServiceAccount, serviceAccount } from "./service-account";
import { serviceSchedules } from "./service-schedules";
import { ServiceDirectory } from "./service-directory";
import { stepJob } from "./step-job";

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

/** Where a service's objects go and what it reaches, before its workload exists. */
type Placed = Pick<Deployment, "namespace" | "selector" | "place" | "targets" | "backups"> & { readonly labels: Record<string, string> };

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
    /** The CloudNativePG operator's and the Barman Cloud plugin's releases, when the program installs them: clusters are created after them. */
    private postgresOperators?: k8s.helm.v3.Release[];
    private readonly services: ServiceDirectory;
    /** How each deployed service's pods are picked and which ports its callers reach: for callers outside the platform (handOver). */
    private readonly callerAdmission = new Map<string, CallerAdmission>();

    constructor(
        name: string,
        private readonly args: KubernetesPlatformArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("llm-platform:platform:Kubernetes", name, {}, opts);
        const k = args.config;
        this.services = new ServiceDirectory(k.namespace, k.nodeAgentNamespace);
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
        return this.services.hostOf(service);
    }

    peerHosts(service: string, count: number): string[] {
        return count > 1 ? Array.from({ length: count }, (_, i) => peerHost(service, this.services.namespaceOf(service), i)) : [];
    }

    /**
     * A Secret in the workload's own namespace (which the platform does not manage: it must exist),
     * and on each store it reaches a NetworkPolicy admitting that namespace's pods that carry the
     * store's talks-to label, as the platform's own callers do (NetworkPolicies add up: the store's
     * own policy is unchanged). The app's own egress is its namespace's business.
     */
    handOver(c: HandedOverCredentials, parent: pulumi.Resource): boolean {
        handedOverCredentials(c, { parent, provider: this.provider });
        for (const target of this.services.flowTargets(c.reaches)) {
            // A store outside the cluster (ElastiCache's endpoint) has no pods to admit the app to.
            const store = this.callerAdmission.get(target.service);
            if (!target.outside && store) outsideCallerPolicy(target.service, c.app, c.namespace, store, this.commonLabels());
        }
        return true;
    }

    deploy(spec: ServiceSpec, parent: pulumi.Resource): DeployedService {
        this.checkDeployable(spec);
        const nodeAgent = isNodeAgent(spec);
        if (nodeAgent) this.services.addNodeAgent(spec.name);
        const backups = spec.backups ?? [];
        const namespace = nodeAgent ? this.nodeAgentNamespace() : this.namespace;
        const selector = { [SERVICE_LABEL]: spec.name, [COMPONENT_LABEL]: "server", "app.kubernetes.io/instance": this.args.namePrefix };
        const labels = {
            ...this.commonLabels(),
            ...selector,
            // The policy pack holds a workload labelled so to actually requesting the GPU.
            ...(spec.gpu ? { "llm-platform.gpu": "required" } : {}),
        };
        const place: ObjectPlace = { base: spec.name, namespace: namespace.ref, labels, opts: { parent, provider: this.provider } };
        const flowTargets = this.services.flowTargets([...(spec.dependsOn ?? []), ...(spec.talksTo ?? [])]);
        const s = { namespace, selector, labels, place, targets: flowTargets, backups };
        return spec.replicatedPostgres ? this.deployPostgresCluster(spec, parent, s) : this.deployServer(spec, parent, s);
    }

    /** What the platform refuses before any object of the service exists. */
    private checkDeployable(spec: ServiceSpec): void {
        if (this.services.has(spec.name)) throw new Error(`service ${spec.name} is deployed twice`);
        const nodeAgent = isNodeAgent(spec);
        if (nodeAgent && (spec.replicas ?? 1) !== 1) {
            throw new Error(`service ${spec.name}: a node agent runs once per node, it has no replicas`);
        }
        const peers = (spec.peers?.count ?? 1) > 1 ? spec.peers : undefined;
        if (peers && (nodeAgent || (spec.volumes ?? []).length === 0)) throw new Error(`service ${spec.name}: peers are stateful, with volumes of their own, and no node agent`);
        if ((spec.backups ?? []).length > 0 && (this.backupDestination === undefined || nodeAgent)) {
            // Config validation stops this first (backup.enabled needs the aws object here).
            throw new Error(`service ${spec.name} declares backups, but the Kubernetes platform has no S3 destination for them: set the aws object, or backup.enabled false`);
        }
    }

    /** A service that runs its own pods: its pod template, Service and workload (server-objects.ts). */
    private deployServer(spec: ServiceSpec, parent: pulumi.Resource, s: Placed): DeployedService {
        const { namespace, selector, labels, place, targets, backups } = s;
        const k = this.args.config;
        const nodeAgent = isNodeAgent(spec);
        const peers = (spec.peers?.count ?? 1) > 1 ? spec.peers : undefined;
        const inputs = podInputs(place, spec.env, spec.secretEnv, spec.files);
        // IRSA: the ServiceAccount names the role its pods take (Pod Identity needs no annotation).
        const account = serviceAccount(place, spec.awsIdentity?.kind === "irsa" ? { "eks.amazonaws.com/role-arn": spec.awsIdentity.roleArn } : undefined);
        // A store that writes its own backup files (SQL Server) shares a retained volume, as large as its data, with its jobs.
        const volumes = spec.volumes ?? [];
        const sharedClaim = backups.some((b) => b.serviceWritesBackups)
            ? this.dataClaim(place, sharedBackupsClaimName(spec.name), volumes.reduce((sum, v) => sum + v.sizeGb, 0) || 1, sumSizedBy(volumes))
            : undefined;
        const template = serverPodTemplate({
            spec,
            config: k,
            inputs,
            namespace: namespace.name,
            labels: { ...labels, ...talksToLabels(targets.filter((t) => !t.outside).map((t) => t.service)) },
            selector,
            account,
            sharedClaimName: sharedClaim?.metadata.name,
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
            waitsFor: [...this.services.readyOf(spec.dependsOn ?? []), ...(spec.waitFor ?? [])],
            dataClaim: (claim, sizeGb, sizedBy) => this.dataClaim(place, claim, sizeGb, sizedBy),
        });
        return this.finishDeploy(spec, parent, { workload, namespace, selector, metadata, place, targets, publicPorts, sharedClaim, account, backups });
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
        s: Placed,
    ): DeployedService {
        const k = this.args.config;
        this.services.addOperatorRun(spec.name);
        const destination = this.backupDestination;
        // Config validation stops this first (timescale.engine cloudnativepg needs the aws object).
        if (!destination) throw new Error(`service ${spec.name} is a replicated PostgreSQL, whose WAL goes to the S3 backup bucket: the Kubernetes platform has none (set the aws object)`);
        if (k.cloudnativePg.install) this.postgresOperators ??= postgresOperators(k, { parent: this, provider: this.provider });
        const cluster = serviceCluster({
            spec,
            config: k,
            namespace: s.namespace.ref,
            labels: s.labels,
            destination,
            after: [...this.services.readyOf(spec.dependsOn ?? []), ...(this.postgresOperators ?? []), ...(this.dataClass ? [this.dataClass] : [])],
            opts: s.place.opts,
        });
        // The operator names the cluster's own ServiceAccount after it: the tasks get theirs.
        const account = serviceAccount({ ...s.place, base: `${spec.name}-tasks` });
        const metadata = { name: spec.name, namespace: s.namespace.ref, labels: s.labels };
        // The platform's NetworkPolicy for the service (its callers, its egress) applies to the operator's pods.
        return this.finishDeploy(spec, parent, { ...s, selector: clusterPods(spec.name), workload: cluster, metadata, publicPorts: [], account });
    }

    /** What every service gets once its workload exists: its flows, backups, scheduled tasks and one-shot steps. */
    private finishDeploy(spec: ServiceSpec, parent: pulumi.Resource, w: Deployment): DeployedService {
        const { workload, namespace, selector, metadata, place, targets, publicPorts, sharedClaim, account, backups } = w;
        const k = this.args.config;
        serviceFlowsPolicy(spec, { podLabels: selector, targets, callerNamespaces: this.services.namespaceNames(), publicPorts }, { metadata, opts: place.opts });

        const storeBackupJobs = serviceSchedules({
            spec,
            backups,
            config: k,
            namespace,
            commonLabels: this.commonLabels(),
            selector,
            destination: this.backupDestination,
            backupAccount: (d) => this.backupServiceAccount(d),
            account,
            pushgatewayUrl: this.taskReports,
            sharedClaim: sharedClaim !== undefined,
            after: workload,
            opts: place.opts,
        });
        this.callerAdmission.set(spec.name, { selector, ports: spec.ports.map((p) => p.port), namespace: metadata.namespace, opts: place.opts });
        const initialized = runStepsInOrder<pulumi.Resource>(spec.name, spec.initSteps ?? [], workload, (step, after) => this.runStep(spec, step, after, parent, storeBackupJobs));
        const deployed: DeployedService = { host: this.hostOf(spec.name), ready: workload, initialized };
        this.services.add(spec.name, deployed);
        return deployed;
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
        const account = serviceAccount(place);
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
            flowTargets: targets.map((t) => this.services.flowTarget(t)),
            callerNamespaces: this.services.namespaceNames(),
            waitsFor: this.services.readyOf(step.after ?? []),
        });
        this.initResults[base] = result;
        return job;
    }

    /** Where scheduled tasks report their outcome (the Pushgateway when metrics are on); before the first service is deployed. */
    reportTasksTo(pushgatewayUrl: string | undefined): void {
        if (this.services.size > 0) throw new Error("where tasks report must be set before the first service is deployed");
        this.taskReports = pushgatewayUrl;
    }

    /** Where the stores' backup CronJobs upload (prod: the AWS backup bucket); before the first store is deployed. */
    storeBackupsIn(destination: BackupDestination): void {
        if (this.services.size > 0) throw new Error("the backup destination must be set before the first service is deployed");
        this.backupDestination = destination;
    }

    /**
     * The smoke checks' Job templates (smoke-job.ts), after the services they check: `npm run
     * smoke -- <stack>` runs them in the cluster, where the stores' Services and Secrets are.
     */
    declareSmokeJobs(args: Omit<SmokeJobArgs, "namespace" | "commonLabels" | "jobTtlHours" | "flowTarget" | "opts">): void {
        smokeJobs({
            ...args,
            flowTarget: (service) => this.services.flowTarget(service),
            namespace: { name: this.args.config.namespace, ref: this.namespace.ref },
            commonLabels: this.commonLabels(),
            jobTtlHours: this.args.config.jobTtlHours,
            opts: { parent: this, provider: this.provider },
        });
    }

    /** The one ServiceAccount the backup role trusts, created with the first store that uploads backups. */
    private backupServiceAccount(d: BackupDestination): pulumi.Output<string> {
        this.backupAccount ??= backupServiceAccount(d, this.namespace.ref, this.commonLabels(), { parent: this, provider: this.provider });
        return this.backupAccount;
    }

    /** A claim on the retained class that holds data: kept by destroy, adopted by the next up. */
    private dataClaim(place: ObjectPlace, name: string, sizeGb: number, sizedBy: string | undefined): k8s.core.v1.PersistentVolumeClaim {
        return dataClaim(place, name, sizeGb, sizedBy, this.args.config.storageClassName, this.dataClass);
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

    private commonLabels(): Record<string, string> {
        return { ...this.args.labels, "app.kubernetes.io/part-of": "llm-platform", "app.kubernetes.io/managed-by": "pulumi" };
    }
}
