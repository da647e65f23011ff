import { PlatformConfig } from "../config/load";
import { HostMount } from "../platform/types";

/** Docker's json-file logs and each container's config (labels), read-only. */
export const DOCKER_CONTAINERS_DIR = "/var/lib/docker/containers";
/** The kubelet's per-container log symlinks (`<pod>_<namespace>_<container>-<id>.log`) and the files they point to. */
export const KUBERNETES_LOG_DIRS = { containers: "/var/log/containers", pods: "/var/log/pods" } as const;

/** Where a node keeps its containers' logs, and how the log shipper reads them. */
export type ContainerLogs =
    | { readonly format: "docker-json"; readonly hostMounts: readonly HostMount[] }
    | {
          readonly format: "cri";
          readonly hostMounts: readonly HostMount[];
          /** Only these namespaces' containers are shipped (the stack's own). */
          readonly namespaces: readonly string[];
      };

/**
 * What the observability stack's node agents and host-facing settings look like on each
 * kind of platform: the one place that knows Docker hosts from Kubernetes (containerd) nodes.
 */
export interface NodeLayout {
    readonly containerLogs: ContainerLogs;
    readonly cadvisor: { readonly args: readonly string[]; readonly hostMounts: readonly HostMount[] };
    /** node-exporter: mount points that are the runtime's, not the node's disks. */
    readonly runtimeMountPoints: string;
    /**
     * How backup jobs report their last success: a textfile node-exporter reads from the
     * backups volume (Docker, the schedulers run beside it) or a Pushgateway (Kubernetes
     * CronJobs share no file system with node-exporter).
     */
    readonly backupMetrics: "textfile" | "pushgateway";
    /** The cAdvisor label that names a container for people (Docker: its name; containerd: its pod's name). */
    readonly containerLabel: string;
    /** Runbook hints: how to look at a service's containers and their logs. */
    readonly inspect: {
        readonly status: (service: string) => string;
        readonly logs: (service: string) => string;
        readonly disk: string;
        /** What caps the containers' log files on the node. */
        readonly logCap: string;
    };
}

const CADVISOR_COMMON = ["--housekeeping_interval=30s", "--store_container_labels=false"];

/** cAdvisor reads the host's root and cgroups, and the runtime's own directories at their paths. */
const cadvisorMounts = (runtimePaths: readonly string[]): HostMount[] => [
    { hostPath: "/", mountPath: "/rootfs" },
    { hostPath: "/sys", mountPath: "/sys" },
    ...runtimePaths.map((p) => ({ hostPath: p, mountPath: p })),
];

export function nodeLayout(config: Pick<PlatformConfig, "platform" | "kubernetes">): NodeLayout {
    switch (config.platform) {
        case "docker":
            return {
                containerLogs: { format: "docker-json", hostMounts: [{ hostPath: DOCKER_CONTAINERS_DIR, mountPath: DOCKER_CONTAINERS_DIR }] },
                cadvisor: {
                    args: ["--docker_only=true", ...CADVISOR_COMMON, "--whitelisted_container_labels=llm-platform.service,llm-platform.stack"],
                    hostMounts: cadvisorMounts(["/var/run", "/var/lib/docker"]),
                },
                runtimeMountPoints: "var/lib/docker/.+",
                backupMetrics: "textfile",
                containerLabel: "name",
                inspect: {
                    status: (s) => `\`docker ps --filter name=${s}\``,
                    logs: (s) => `\`docker logs\` of ${s}`,
                    disk: "`docker system df`; old images and build cache go with `docker image prune`",
                    logCap: "docker.logMaxSizeMb",
                },
            };
        case "kubernetes": {
            // EKS nodes run containerd: no Docker socket or directory; cAdvisor asks containerd.
            const namespaces = [config.kubernetes.namespace, config.kubernetes.nodeAgentNamespace];
            return {
                containerLogs: {
                    format: "cri",
                    hostMounts: [
                        { hostPath: KUBERNETES_LOG_DIRS.containers, mountPath: KUBERNETES_LOG_DIRS.containers },
                        { hostPath: KUBERNETES_LOG_DIRS.pods, mountPath: KUBERNETES_LOG_DIRS.pods },
                    ],
                    namespaces,
                },
                cadvisor: {
                    args: [
                        "--docker_only=false",
                        "--containerd=/run/containerd/containerd.sock",
                        ...CADVISOR_COMMON,
                        "--whitelisted_container_labels=io.kubernetes.container.name,io.kubernetes.pod.name,io.kubernetes.pod.namespace",
                    ],
                    hostMounts: cadvisorMounts(["/run/containerd", "/var/lib/containerd", "/dev/disk"]),
                },
                runtimeMountPoints: "var/lib/(kubelet|containerd)/.+|run/containerd/.+",
                backupMetrics: "pushgateway",
                // containerd's `name` is the container's id; the whitelisted Kubernetes labels say which pod.
                containerLabel: "container_label_io_kubernetes_pod_name",
                inspect: {
                    status: (s) => `\`kubectl get pods -A -l app.kubernetes.io/name=${s}\``,
                    logs: (s) => `\`kubectl logs -n <namespace> -l app.kubernetes.io/name=${s}\` (namespace ${namespaces.join(" or ")})`,
                    disk: "`kubectl describe node` (DiskPressure); the kubelet garbage-collects unused images",
                    logCap: "the kubelet's containerLogMaxSize",
                },
            };
        }
    }
}
