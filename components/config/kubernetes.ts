import { z } from "zod";

/** A Kubernetes object name (RFC 1123 label): namespaces, StorageClasses, RuntimeClasses. */
export const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a lowercase RFC 1123 name (a-z, 0-9, -)");
const labelValue = z.string().regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/, "must be a Kubernetes label value");
const labelKey = z.string().regex(/^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, "must be a Kubernetes label key");
export const eksClusterName = z.string().regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, "must be an EKS cluster name");
export const awsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region such as eu-west-1");
export const cidr = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/([0-9]|[12][0-9]|3[0-2])$/, "must be an IPv4 CIDR such as 203.0.113.0/24");

const toleration = z.strictObject({
    key: labelKey,
    operator: z.enum(["Equal", "Exists"]).default("Equal"),
    value: labelValue.optional(),
    effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
});

/**
 * The `kubernetes` object: where and how the Kubernetes platform runs (ignored by the
 * docker platform). Sizes, replicas and volume sizes stay on each service's object.
 */
export const kubernetesSchema = z
    .strictObject({
        /** EKS cluster whose endpoint and CA are read with aws.eks.getCluster (credentials: `aws eks get-token`). */
        eksClusterName: eksClusterName.optional(),
        awsRegion: awsRegion.optional(),
        /** Or a context of a kubeconfig file (the file: `kubeconfig`, else $KUBECONFIG / ~/.kube/config). */
        context: z.string().min(1).optional(),
        kubeconfig: z.string().min(1).optional(),
        /** Write every manifest there instead of applying it (Secrets in plaintext: keep it out of git). */
        renderYamlToDirectory: z.string().min(1).optional(),
        namespace: dnsLabel.default("llm-platform"),
        nodeAgentNamespace: dnsLabel.default("llm-platform-node-agents"),
        storageClassName: dnsLabel.default("llm-platform-gp3"),
        /** The class of the backup and restore jobs' scratch claims: deleted with the pod, so its volumes must be too (reclaimPolicy Delete). */
        scratchStorageClassName: dnsLabel.default("llm-platform-gp3-scratch"),
        /** Create the gp3, encrypted, WaitForFirstConsumer EBS classes: storageClassName (expandable, Retain) and scratchStorageClassName (Delete). */
        createStorageClass: z.boolean().default(true),
        gpuNodeSelector: z.record(labelKey, labelValue).default({}),
        gpuTolerations: z.array(toleration).default([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]),
        gpuRuntimeClassName: dnsLabel.optional(),
        proxyServiceType: z.enum(["LoadBalancer", "ClusterIP"]).default("LoadBalancer"),
        proxyLoadBalancerSourceRanges: z.array(cidr).default([]),
        jobDeadlineMinutes: z.number().int().min(1).max(24 * 60).default(30),
        /** Steps that download something large (model pulls). */
        downloadDeadlineMinutes: z.number().int().min(1).max(24 * 60).default(90),
        jobBackoffLimit: z.number().int().min(0).max(10).default(2),
        /** How long a finished backup or restore Job (its pod and logs) stays; the one-shot steps' Jobs stay as long as the stack. */
        jobTtlHours: z.number().int().min(1).max(24 * 90).default(168),
        /** The CloudNativePG operator that runs `timescale.engine: cloudnativepg`. */
        cloudnativePg: z
            .strictObject({
                /** Install the pinned operator from its Helm chart (false: one is already running in the cluster, its CRDs included). */
                install: z.boolean().default(true),
                /** Where the installed operator runs (its own namespace, outside the platform's). */
                namespace: dnsLabel.default("cnpg-system"),
            })
            .prefault({}),
        /** cert-manager, which the Barman Cloud plugin's chart needs for its TLS certificates (installed with the operator: cloudnativePg.install). */
        certManager: z
            .strictObject({
                /** Install the pinned cert-manager from its Helm chart (false: one is already running in the cluster, its CRDs included). */
                install: z.boolean().default(true),
                /** Where the installed cert-manager runs (its own namespace, outside the platform's). */
                namespace: dnsLabel.default("cert-manager"),
            })
            .prefault({}),
    })
    .prefault({});

type Issue = (path: (string | number)[], message: string) => void;

/**
 * The stack names no cluster, or an EKS cluster without its region: the Kubernetes rules below
 * report that once, in the stack file's own keys (kubernetes.*), so other rules that need the
 * cluster or the region (the aws object's) stay silent instead of saying it a second time.
 */
export function clusterReported(k: { eksClusterName?: string; awsRegion?: string; context?: string; renderYamlToDirectory?: string }): boolean {
    const noCluster = k.renderYamlToDirectory === undefined && k.eksClusterName === undefined && k.context === undefined;
    return noCluster || (k.eksClusterName !== undefined && k.awsRegion === undefined);
}

/** Rules that hold only when the stack runs on Kubernetes. */
export function checkKubernetesConfig(
    c: { platform: string; kubernetes: z.output<typeof kubernetesSchema>; tls: { hostnames: string[] }; proxy: { httpsPort: number; httpPort: number } },
    issue: Issue,
) {
    if (c.platform !== "kubernetes") return;
    const k = c.kubernetes;
    const rendering = k.renderYamlToDirectory !== undefined;
    if (k.eksClusterName !== undefined && k.context !== undefined) {
        issue(["kubernetes", "context"], "must not be set together with kubernetes.eksClusterName: pick one way to reach the cluster");
    }
    if (!rendering && k.eksClusterName === undefined && k.context === undefined) {
        issue(
            ["kubernetes", "eksClusterName"],
            "must be set to your EKS cluster's name, with kubernetes.awsRegion its region (or set kubernetes.context to a kubeconfig context, " +
                "or kubernetes.renderYamlToDirectory to only write manifests)",
        );
    }
    if (k.eksClusterName !== undefined && k.awsRegion === undefined) {
        issue(["kubernetes", "awsRegion"], "must be set to the region of kubernetes.eksClusterName, e.g. eu-west-1");
    }
    if (k.kubeconfig !== undefined && k.context === undefined) {
        issue(["kubernetes", "context"], "must be set when kubernetes.kubeconfig is: the program never uses a file's current context");
    }
    if (k.nodeAgentNamespace === k.namespace) {
        issue(["kubernetes", "nodeAgentNamespace"], `must differ from kubernetes.namespace (${k.namespace}): node agents need a privileged namespace of their own`);
    }
    // The load balancer forwards 443 and 80 to the same ports of NGINX, whose redirect names httpsPort.
    if (c.proxy.httpsPort !== 443) issue(["proxy", "httpsPort"], "must be 443 on Kubernetes: the proxy's load balancer listens on 443");
    if (c.proxy.httpPort !== 80) issue(["proxy", "httpPort"], "must be 80 on Kubernetes: the proxy's load balancer listens on 80");
    if (c.tls.hostnames.length === 0) {
        issue(["tls", "hostnames"], 'must name the proxy\'s public DNS name(s) on Kubernetes, e.g. ["llm.example.com"]: clients and the certificate use them');
    }
}

/** `timescale.engine: cloudnativepg` is a Kubernetes engine that archives WAL to the aws object's backup bucket. */
export function checkTimescaleEngine(c: { platform: string; timescale: { engine: string }; aws?: unknown; kubernetes: z.output<typeof kubernetesSchema> }, issue: Issue) {
    if (c.timescale.engine !== "cloudnativepg") return;
    if (c.platform !== "kubernetes") {
        issue(["timescale", "engine"], `is cloudnativepg, an operator on Kubernetes; platform is ${c.platform}: use statefulset (one container) there`);
        return;
    }
    if (c.aws === undefined) {
        issue(
            ["timescale", "engine"],
            "is cloudnativepg, whose WAL archive and base backups go to the S3 backup bucket of the aws object, which is not set: set the aws object, or use statefulset",
        );
    }
    if (c.kubernetes.cloudnativePg.namespace === c.kubernetes.namespace || c.kubernetes.cloudnativePg.namespace === c.kubernetes.nodeAgentNamespace) {
        issue(["kubernetes", "cloudnativePg", "namespace"], `must differ from the platform's namespaces (${c.kubernetes.namespace}, ${c.kubernetes.nodeAgentNamespace}): the operator runs in its own`);
    }
    const certManager = c.kubernetes.certManager.namespace;
    if (c.kubernetes.cloudnativePg.install && c.kubernetes.certManager.install && [c.kubernetes.namespace, c.kubernetes.nodeAgentNamespace, c.kubernetes.cloudnativePg.namespace].includes(certManager)) {
        issue(
            ["kubernetes", "certManager", "namespace"],
            `must differ from the platform's and the operator's namespaces (${c.kubernetes.namespace}, ${c.kubernetes.nodeAgentNamespace}, ${c.kubernetes.cloudnativePg.namespace}): cert-manager runs in its own`,
        );
    }
}

/**
 * `qdrant.peers`: one node anywhere, or a distributed cluster of 3 or more on Kubernetes. Two peers
 * lose their Raft majority with either one: a cluster that cannot survive a peer is refused.
 */
export function checkQdrantPeers(c: { platform: string; qdrant: { peers: number } }, issue: Issue) {
    const peers = c.qdrant.peers;
    if (peers === 1) return;
    if (c.platform !== "kubernetes") issue(["qdrant", "peers"], `is ${peers}, a distributed cluster, which only the kubernetes platform runs; platform is ${c.platform}: use 1`);
    else if (peers === 2) issue(["qdrant", "peers"], "is 2, which loses its Raft majority with either peer: use 1, or 3 and more");
}
