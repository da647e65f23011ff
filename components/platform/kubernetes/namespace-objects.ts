import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { defaultDeny, dnsEgress } from "./flows";
import { ADOPT_ANNOTATIONS, podSecurityLabels, READINESS_GATE_INJECT } from "./labels";
import { NODE_AGENT_PRIORITY } from "./node-agent";

/*
 * What the Kubernetes platform creates once, around the services: its namespaces (with their
 * default-deny and DNS policies), the storage classes, the node agents' PriorityClass.
 */

/** An encrypted gp3 EBS class, bound where its pod lands; only a retained one grows (a scratch volume lives one run). */
export function ebsStorageClass(
    resourceName: string,
    className: string,
    reclaimPolicy: "Retain" | "Delete",
    labels: Record<string, string>,
    opts: pulumi.CustomResourceOptions,
): k8s.storage.v1.StorageClass {
    return new k8s.storage.v1.StorageClass(
        resourceName,
        {
            metadata: { name: className, labels },
            provisioner: "ebs.csi.aws.com",
            parameters: { type: "gp3", encrypted: "true" },
            volumeBindingMode: "WaitForFirstConsumer",
            allowVolumeExpansion: reclaimPolicy === "Retain",
            reclaimPolicy,
        },
        opts,
    );
}

/** A namespace of the platform, kept on destroy, closed by default but for DNS. */
export function platformNamespace(
    name: string,
    enforce: "restricted" | "privileged",
    labels: Record<string, string>,
    opts: pulumi.CustomResourceOptions,
): { readonly name: string; readonly ref: pulumi.Output<string> } {
    // The platform's namespace holds the proxy: the AWS Load Balancer Controller gives its pods a readiness gate
    // that turns true once their target is healthy, so a rollout never leaves only draining targets.
    const readinessGates: Record<string, string> = enforce === "restricted" ? { [READINESS_GATE_INJECT]: "enabled" } : {};
    const ns = new k8s.core.v1.Namespace(
        `namespace-${name}`,
        { metadata: { name, labels: { ...labels, ...podSecurityLabels(enforce), ...readinessGates }, annotations: { ...ADOPT_ANNOTATIONS } } },
        // Deleting a namespace deletes its PVCs: `pulumi destroy` leaves it and them in place.
        { ...opts, retainOnDelete: true },
    );
    const ref = ns.metadata.name;
    new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, { metadata: { name: "default-deny", namespace: ref, labels }, spec: defaultDeny }, opts);
    new k8s.networking.v1.NetworkPolicy(`${name}-dns`, { metadata: { name: "allow-dns", namespace: ref, labels }, spec: dnsEgress() }, opts);
    return { name, ref };
}

/** The node agents' class: scheduled before workload pods when a node is full. Returns its name. */
export function nodeAgentPriorityClass(namePrefix: string, labels: Record<string, string>, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    return new k8s.scheduling.v1.PriorityClass(
        "node-agent-priority",
        {
            metadata: { name: `${namePrefix}-node-agent`, labels },
            value: NODE_AGENT_PRIORITY,
            globalDefault: false,
            preemptionPolicy: "PreemptLowerPriority",
            description: "llm-platform node agents (log shipper, node and container metrics): one per node, before workload pods",
        },
        // The API server refuses a new value on a live class: a changed value replaces it, and its fixed name must go first.
        { ...opts, replaceOnChanges: ["value"], deleteBeforeReplace: true },
    ).metadata.name;
}
