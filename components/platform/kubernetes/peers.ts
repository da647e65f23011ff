import * as k8s from "@pulumi/kubernetes";
import { Peers, ServicePort } from "../types";
import { tcp } from "./flows";
import { ObjectPlace } from "./pod";

import Core = k8s.types.input.core.v1;
import Networking = k8s.types.input.networking.v1;

/** The headless Service that gives each peer of a StatefulSet its own DNS name (`<pod>.<service>-peers...`). */
export const peersServiceName = (service: string) => `${service}-peers`;

/** The peers' own DNS domain: a peer is `<pod name>.<domain>`. */
const peersDomain = (service: string, namespace: string) => `${peersServiceName(service)}.${namespace}.svc.cluster.local`;

/** The DNS name of peer `index` of a service. */
export const peerHost = (service: string, namespace: string, index: number | string) => `${service}-${index}.${peersDomain(service, namespace)}`;

/**
 * PEER_HOST and FIRST_PEER_HOST (ServiceSpec.peers): the pod's name from the downward API, expanded
 * by the kubelet in the variable after it (`$(POD_NAME)`, defined before its use).
 */
export function peerEnv(service: string, namespace: string): Core.EnvVar[] {
    return [
        { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
        { name: "PEER_HOST", value: `$(POD_NAME).${peersDomain(service, namespace)}` },
        { name: "FIRST_PEER_HOST", value: peerHost(service, namespace, 0) },
    ];
}

/**
 * One peer per zone and per node, required: with two of three peers in one zone (or on one node),
 * losing it loses the Raft majority and both replicas of some shards, which is the failure the
 * cluster exists to survive. A peer that cannot be placed stays Pending, visibly, instead. With
 * maxSkew 1, three peers still fit two zones (2 + 1) when the cluster has no third.
 */
export function peerSpread(selector: Record<string, string>): Core.TopologySpreadConstraint[] {
    return ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((topologyKey) => ({
        topologyKey,
        maxSkew: 1,
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: { matchLabels: selector },
    }));
}

/**
 * The headless Service of the peers. Not-ready peers are published: a peer joins through the first
 * before it is ready, and after a restart of all of them each must find the others to become ready.
 */
export function peersService(name: string, peers: Peers, ports: readonly ServicePort[], selector: Record<string, string>, place: ObjectPlace): k8s.core.v1.Service {
    return new k8s.core.v1.Service(
        `${name}-peers-service`,
        {
            metadata: { name: peersServiceName(name), namespace: place.namespace, labels: place.labels },
            spec: {
                // Headless is a ClusterIP Service without an address (the API server stores the type so).
                type: "ClusterIP",
                clusterIP: "None",
                publishNotReadyAddresses: true,
                selector,
                ports: [peers.port, ...ports].map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: "TCP" })),
            },
        },
        place.opts,
    );
}

/**
 * Peers reach each other on the peer port (Raft, shard replication) and on the service's ports (a
 * shard transfer by snapshot downloads it from the source peer's API); nothing else reaches the peer port.
 */
export function peerFlowRules(selector: Record<string, string>, ports: readonly number[]): { ingress: Networking.NetworkPolicyIngressRule; egress: Networking.NetworkPolicyEgressRule } {
    const peersOnly = [{ podSelector: { matchLabels: { ...selector } } }];
    return { ingress: { from: peersOnly, ports: tcp(ports) }, egress: { to: peersOnly, ports: tcp(ports) } };
}

/** The claim names the StatefulSet's controller uses for each peer's volume: `<volume>-<service>-<index>`. */
export const peerClaimNames = (service: string, volume: string, count: number) => Array.from({ length: count }, (_, i) => `${volume}-${service}-${i}`);
