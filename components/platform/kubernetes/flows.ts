import * as k8s from "@pulumi/kubernetes";
import { SERVICE_LABEL } from "./labels";

import Networking = k8s.types.input.networking.v1;
type Policy = Networking.NetworkPolicySpec;
type Rule = Networking.NetworkPolicyEgressRule;

/**
 * A pod that may call service `s` carries `talks-to.llm-platform/<s>: "true"`; `s`
 * admits exactly those pods. Each side's policy is then local to its own declaration,
 * whatever order the services are deployed in.
 */
export const talksToLabel = (service: string) => `talks-to.llm-platform/${service}`;

export function talksToLabels(targets: readonly string[]): Record<string, string> {
    return Object.fromEntries(targets.map((t) => [talksToLabel(t), "true"]));
}

/** DNS through the cluster's resolver, for every pod of the namespace. */
export function dnsEgress(): Policy {
    return {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
            {
                to: [
                    {
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                        podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                    },
                ],
                ports: [
                    { protocol: "UDP", port: 53 },
                    { protocol: "TCP", port: 53 },
                ],
            },
        ],
    };
}

/** Nothing in, nothing out, for every pod of the namespace: the rules below open the flows one by one. */
export const defaultDeny: Policy = { podSelector: {}, policyTypes: ["Ingress", "Egress"] };

/** The EKS Pod Identity agent on every node (link-local, outside the internet-egress rule). */
export const POD_IDENTITY_AGENT = "169.254.170.23/32";

/** Egress to the Pod Identity agent, for pods that take AWS credentials from it. */
export const podIdentityEgress: Rule = { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT } }], ports: [{ protocol: "TCP", port: 80 }] };

/** Private and link-local ranges (the instance metadata service included) stay closed to internet egress. */
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"];

/** A service another pod calls, and the namespace it runs in. */
export interface FlowTarget {
    readonly service: string;
    readonly namespace: string;
    /**
     * A Service outside the platform's namespaces (an app the proxy routes to): its pods' labels
     * are not the platform's to know, so the egress goes to that namespace; its own policies decide who gets in.
     */
    readonly outside?: boolean;
    /** How its pods are labelled when not by the platform (an operator's pods); default: the service's name label. */
    readonly podLabels?: Readonly<Record<string, string>>;
}

/** Pods of one namespace, picked by its name label (set by Kubernetes itself, so it cannot be forged). */
export const inNamespace = (namespace: string) => ({ matchLabels: { "kubernetes.io/metadata.name": namespace } });

export interface FlowArgs {
    readonly service: string;
    readonly podLabels: Record<string, string>;
    /** Ports the declared callers may reach. */
    readonly ports: readonly number[];
    /** Ports anyone may reach (the public proxy's, behind its load balancer); the other ports stay for declared callers. */
    readonly publicPorts: readonly number[];
    /** Services this pod calls. */
    readonly targets: readonly FlowTarget[];
    /** The platform's namespaces: a pod in any of them that carries this service's talks-to label may call it. */
    readonly callerNamespaces: readonly string[];
    readonly internetEgress: boolean;
    /** Stores outside the cluster (ElastiCache, RDS in the private subnets). */
    readonly privateEgress?: readonly { readonly cidrs: readonly string[]; readonly port: number }[];
}

/** NetworkPolicy ports: each of these on TCP. */
export const tcp = (ports: readonly number[]) => ports.map((port) => ({ protocol: "TCP", port }));

/** A service's caller ports, open to the pods of these namespaces that carry its talks-to label. */
function callerIngress(service: string, namespaces: readonly string[], ports: readonly number[]): Networking.NetworkPolicyIngressRule {
    return {
        from: namespaces.map((ns) => ({ namespaceSelector: inNamespace(ns), podSelector: { matchLabels: { [talksToLabel(service)]: "true" } } })),
        ports: tcp(ports),
    };
}

/** A service's ports, open to the pods of a namespace outside the platform that carry its talks-to label. */
export function outsideCallerFlows(service: string, podLabels: Record<string, string>, ports: readonly number[], namespace: string): Policy {
    return { podSelector: { matchLabels: podLabels }, policyTypes: ["Ingress"], ingress: [callerIngress(service, [namespace], ports)] };
}

/** The flows of one workload: who may reach its ports, and what it may reach. */
export function workloadFlows(a: FlowArgs): Policy {
    const callerPorts = a.ports.filter((p) => !a.publicPorts.includes(p));
    const egress: Rule[] = a.targets.map((t) => ({
        to: [t.outside ? { namespaceSelector: inNamespace(t.namespace) } : { namespaceSelector: inNamespace(t.namespace), podSelector: { matchLabels: { ...(t.podLabels ?? { [SERVICE_LABEL]: t.service }) } } }],
    }));
    if (a.internetEgress) {
        egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: PRIVATE_RANGES } }], ports: [{ protocol: "TCP", port: 443 }] });
    }
    for (const e of a.privateEgress ?? []) {
        egress.push({ to: e.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: e.port }] });
    }
    return {
        podSelector: { matchLabels: a.podLabels },
        policyTypes: ["Ingress", "Egress"],
        ingress: [
            ...(a.publicPorts.length > 0 ? [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: tcp(a.publicPorts) }] : []),
            ...(callerPorts.length > 0 ? [callerIngress(a.service, a.callerNamespaces, callerPorts)] : []),
        ],
        egress,
    };
}
