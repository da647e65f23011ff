import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_ROOT } from "../../backup/scheduler";
import { PlatformConfig } from "../../config/load";
import { pullPolicyFor } from "../../../policies/shared/image-reference";
import { PROXY_DEREGISTRATION_DELAY_SECONDS } from "../../proxy-draining";
import { BACKUP_NOT_NEEDED } from "../../../policies/shared/markers";
import { isNodeAgent, Peers, ServiceSpec } from "../types";
import { statefulClaimName } from "./backups";
import { CONTENT_HASH_ANNOTATION, SERVICE_LABEL } from "./labels";
import { NODE_AGENT_TOLERATIONS, nodeStateVolumes } from "./node-agent";
import { peerClaimNames, peerEnv, peersService, peersServiceName, peerSpread } from "./peers";
import { containerSecurityContext, ObjectPlace, PodInputs, podSecurityContext } from "./pod";
import { containerResources, memoryQuantity, probes, storageQuantity } from "./quantities";
import { DEFAULT_ROLLOUT_TIMEOUT_MINUTES, rolloutErrorHook, rolloutTimeouts, RolloutTarget } from "./rollout";

import Core = k8s.types.input.core.v1;

/*
 * The objects of a service's server (platform.ts `deploy`), by kind: its pod template, its Service,
 * and its workload (DaemonSet, StatefulSet with its claims, or Deployment) with its disruption budget.
 */

export interface ServerPodArgs {
    readonly spec: ServiceSpec;
    readonly config: PlatformConfig["kubernetes"];
    readonly inputs: PodInputs;
    readonly namespace: string;
    /** The pod's labels: the workload's and its talks-to labels. */
    readonly labels: Record<string, string>;
    readonly selector: Record<string, string>;
    readonly account: pulumi.Input<string>;
    /** The retained claim a store shares with its backup jobs, mounted at BACKUP_ROOT. */
    readonly sharedClaimName?: pulumi.Input<string>;
    readonly nodeAgent: boolean;
    readonly peers?: Peers;
    /** The node agents' PriorityClass (created on first use). */
    readonly nodeAgentPriorityClass: () => pulumi.Input<string>;
}

/** emptyDir scratch (/tmp when the root is read-only, the spec's paths), /dev/shm and the shared backups claim, with their mounts. */
function scratchVolumes(spec: ServiceSpec, sharedClaimName: pulumi.Input<string> | undefined): { volumes: Core.Volume[]; mounts: Core.VolumeMount[] } {
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
    if (sharedClaimName) {
        scratch.volumes.push({ name: "backups", persistentVolumeClaim: { claimName: sharedClaimName } });
        scratch.mounts.push({ name: "backups", mountPath: BACKUP_ROOT });
    }
    return scratch;
}

/** The pod every workload kind runs: one container, its files and volumes, where it may be scheduled. */
export function serverPodTemplate({ spec, config: k, inputs, namespace, labels, selector, account, sharedClaimName, nodeAgent, peers, nodeAgentPriorityClass }: ServerPodArgs): Core.PodTemplateSpec {
    const scratch = scratchVolumes(spec, sharedClaimName);
    const hostMounts = (spec.hostMounts ?? []).map((m, i) => ({ ...m, name: `host-${i}` }));
    const replicas = spec.replicas ?? 1;
    const container: Core.Container = {
        name: spec.name,
        image: spec.image,
        imagePullPolicy: pullPolicyFor(spec.image),
        command: spec.entrypoint,
        args: spec.command,
        ports: [...spec.ports, ...(peers ? [peers.port] : [])].map((p) => ({ name: p.name, containerPort: p.port, protocol: "TCP" })),
        env: [...(peers ? peerEnv(spec.name, namespace) : []), ...inputs.env],
        resources: containerResources(spec.resources, spec.gpu),
        ...probes(spec.healthCheck),
        volumeMounts: [
            ...(spec.volumes ?? []).map((v) => ({ name: v.name, mountPath: v.mountPath })),
            ...hostMounts.map((m) => ({ name: m.name, mountPath: m.mountPath, readOnly: true })),
            ...inputs.volumeMounts,
            ...scratch.mounts,
        ],
        securityContext: containerSecurityContext(spec.runAs, spec.readOnlyRootFilesystem ?? false, spec.user),
        // An exec of the image's sleep, not the preStop `sleep` action: that needs Kubernetes 1.30 (KEP-3960, beta).
        ...(spec.stopDelaySeconds ? { lifecycle: { preStop: { exec: { command: ["/bin/sleep", String(spec.stopDelaySeconds)] } } } } : {}),
    };
    return {
        metadata: { labels, annotations: { [CONTENT_HASH_ANNOTATION]: inputs.contentHash } },
        spec: {
            serviceAccountName: account,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurityContext(spec.runAs, spec.ports.map((p) => p.port)),
            // The preStop sleep counts against the grace period: the shutdown gets its own time after it.
            terminationGracePeriodSeconds: (spec.stopDelaySeconds ?? 0) + (spec.stopGraceSeconds ?? 30),
            containers: [container],
            volumes: [
                ...inputs.volumes,
                ...scratch.volumes,
                ...hostMounts.map((m) => ({ name: m.name, hostPath: { path: m.hostPath, type: "Directory" } })),
                // Mounted like any volume above; on the node itself (node-agent.ts says why).
                ...(nodeAgent ? nodeStateVolumes(spec, namespace) : []),
            ],
            ...(spec.gpu
                ? { nodeSelector: { ...k.gpuNodeSelector }, tolerations: k.gpuTolerations.map((t) => ({ ...t })), runtimeClassName: k.gpuRuntimeClassName }
                : {}),
            // On every node, the tainted GPU node too, and before the workloads when a node is full.
            ...(nodeAgent ? { tolerations: NODE_AGENT_TOLERATIONS, priorityClassName: nodeAgentPriorityClass() } : {}),
            ...(peers ? { topologySpreadConstraints: peerSpread(selector) } : {}),
            ...(replicas > 1 && !peers
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

}

export interface ServerServiceArgs {
    readonly spec: ServiceSpec;
    readonly config: PlatformConfig["kubernetes"];
    readonly namespace: pulumi.Input<string>;
    readonly labels: Record<string, string>;
    readonly selector: Record<string, string>;
    readonly nodeAgent: boolean;
    /** A port is published beyond loopback on Docker: here it is behind the load balancer. */
    readonly publicService: boolean;
    readonly opts: pulumi.CustomResourceOptions;
}

/** The service's Service: ClusterIP, headless for a node agent, the NLB for the public one. */
export function serverService({ spec, config: k, namespace, labels, selector, nodeAgent, publicService, opts }: ServerServiceArgs): k8s.core.v1.Service {
    const loadBalancer = publicService && k.proxyServiceType === "LoadBalancer";
    return new k8s.core.v1.Service(
        `${spec.name}-service`,
        {
            metadata: {
                name: spec.name,
                namespace,
                labels,
                // The AWS Load Balancer Controller's NLB, straight to the pods; TLS stays on NGINX.
                annotations: loadBalancer
                    ? {
                          "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                          "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                          "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
                          // Shorter than the pods' preStop sleep, as the ALB's (components/proxy-draining.ts).
                          "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": `deregistration_delay.timeout_seconds=${PROXY_DEREGISTRATION_DELAY_SECONDS}`,
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
        opts,
    );
}

export interface ServerWorkloadArgs {
    readonly spec: ServiceSpec;
    readonly config: PlatformConfig["kubernetes"];
    readonly namespace: { readonly name: string; readonly ref: pulumi.Output<string> };
    readonly labels: Record<string, string>;
    readonly selector: Record<string, string>;
    readonly template: Core.PodTemplateSpec;
    readonly place: ObjectPlace;
    readonly peers?: Peers;
    readonly service?: k8s.core.v1.Service;
    /** The retained claim a store shares with its backup jobs. */
    readonly sharedClaim?: k8s.core.v1.PersistentVolumeClaim;
    /** What the workload waits for: the services it depends on, and what the spec names. */
    readonly waitsFor: pulumi.Input<pulumi.Resource>[];
    /** Declares a data claim with its size (platform.ts `dataClaim`). */
    readonly dataClaim: (name: string, sizeGb: number, sizedBy: string | undefined) => k8s.core.v1.PersistentVolumeClaim;
}

/** A node agent runs as a DaemonSet, a service with volumes as a StatefulSet, any other as a Deployment; each with a PodDisruptionBudget. */
export function serverWorkload({ spec, config: k, namespace, labels, selector, template, place, peers, service, sharedClaim, waitsFor, dataClaim }: ServerWorkloadArgs) {
    const nodeAgent = isNodeAgent(spec);
    const volumes = spec.volumes ?? [];
    const replicas = spec.replicas ?? 1;
    const metadata = { name: spec.name, namespace: namespace.ref, labels };
    const workloadMetadata = spec.backupNotNeeded ? { ...metadata, annotations: { [BACKUP_NOT_NEEDED]: spec.backupNotNeeded } } : metadata;
    const rollout: RolloutTarget = {
        kind: nodeAgent ? "DaemonSet" : (spec.volumes ?? []).length > 0 ? "StatefulSet" : "Deployment",
        name: spec.name,
        namespace: namespace.name,
        selector: `${SERVICE_LABEL}=${spec.name}`,
        minutes: spec.rolloutTimeoutMinutes ?? DEFAULT_ROLLOUT_TIMEOUT_MINUTES,
        gpu: spec.gpu,
        claims: !nodeAgent && (spec.volumes ?? []).length > 0,
    };
    const workloadOpts: pulumi.CustomResourceOptions = {
        ...place.opts,
        dependsOn: waitsFor,
        customTimeouts: rolloutTimeouts(rollout.minutes),
        hooks: { onError: [rolloutErrorHook(rollout)] },
    };
    let workload: pulumi.CustomResource;
    if (nodeAgent) {
        workload = new k8s.apps.v1.DaemonSet(
            spec.name,
            { metadata: workloadMetadata, spec: { selector: { matchLabels: selector }, updateStrategy: { type: "RollingUpdate" }, template } },
            workloadOpts,
        );
    } else if (volumes.length > 0) {
        // The claims the StatefulSet's pod mounts, declared with their size: the controller uses a claim
        // that exists (it creates only missing ones), and a bigger size is an update of the claim,
        // which the class expands in place. The claim templates below only name them.
        const claims = volumes.flatMap((v) =>
            (peers ? peerClaimNames(spec.name, v.name, peers.count) : [statefulClaimName(spec.name, v.name)]).map((claim) => dataClaim(claim, v.sizeGb, v.sizedBy)),
        );
        const headless = peers ? peersService(spec.name, peers, spec.ports, selector, place) : undefined;
        workload = new k8s.apps.v1.StatefulSet(
            spec.name,
            {
                metadata: workloadMetadata,
                spec: {
                    serviceName: peers ? peersServiceName(spec.name) : spec.name,
                    replicas: peers?.count ?? 1,
                    // Peers start together: each waits for the others to form a majority before it is ready.
                    ...(peers ? { podManagementPolicy: "Parallel" } : {}),
                    selector: { matchLabels: selector },
                    updateStrategy: { type: "RollingUpdate" },
                    // Deleting or scaling the StatefulSet never deletes its data.
                    persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
                    volumeClaimTemplates: volumes.map((v) => ({
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
            // The API server refuses any change of a live StatefulSet's claim templates, and the provider
            // replaces the StatefulSet for one (provider/pkg/provider/diff.go forceNew .spec.volumeClaimTemplates):
            // they keep the size of the first `up`; the claims above carry the size.
            {
                ...workloadOpts,
                dependsOn: [...waitsFor, ...(service ? [service] : []), ...(headless ? [headless] : []), ...(sharedClaim ? [sharedClaim] : []), ...claims],
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
    return { workload, metadata };
}
