import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ServiceSpec } from "../types";
import { FlowArgs, outsideCallerFlows, podIdentityEgress, workloadFlows } from "./flows";
import { peerFlowRules } from "./peers";

import Networking = k8s.types.input.networking.v1;

/*
 * A service's own NetworkPolicies (platform.ts): its flows (callers, egress, peers, the Pod
 * Identity agent), and on a store an app outside the platform reaches, the policy admitting that app.
 */

/** Where a service's flows policy goes: its workload's metadata and options. */
export interface FlowsPlace {
    readonly metadata: { name: string; namespace: pulumi.Output<string>; labels: Record<string, string> };
    readonly opts: pulumi.CustomResourceOptions;
}

/** `<service>-flows`: who may reach the service's pods (its ports, from the callers' namespaces or, on public ports, anyone) and what they may reach. */
export function serviceFlowsPolicy(spec: ServiceSpec, flowArgs: Pick<FlowArgs, "podLabels" | "targets" | "callerNamespaces" | "publicPorts">, place: FlowsPlace): k8s.networking.v1.NetworkPolicy {
    const flows = withPeerFlows(
        spec,
        flowArgs.podLabels,
        workloadFlows({
            ...flowArgs,
            service: spec.name,
            ports: spec.ports.map((p) => p.port),
            internetEgress: spec.internetEgress ?? false,
            privateEgress: spec.privateEgress,
        }),
    );
    return new k8s.networking.v1.NetworkPolicy(
        `${spec.name}-flows`,
        {
            metadata: place.metadata,
            spec:
                spec.awsIdentity?.kind === "pod-identity"
                    ? { ...flows, egress: [...((flows.egress ?? []) as Networking.NetworkPolicyEgressRule[]), podIdentityEgress] }
                    : flows,
        },
        place.opts,
    );
}

/** The flows of a service with peers (ServiceSpec.peers), which also reach each other. */
function withPeerFlows(spec: ServiceSpec, selector: Record<string, string>, flows: Networking.NetworkPolicySpec): Networking.NetworkPolicySpec {
    if ((spec.peers?.count ?? 1) <= 1) return flows;
    const rules = peerFlowRules(selector, [spec.peers!.port.port, ...spec.ports.map((p) => p.port)]);
    return {
        ...flows,
        ingress: [...((flows.ingress ?? []) as Networking.NetworkPolicyIngressRule[]), rules.ingress],
        egress: [...((flows.egress ?? []) as Networking.NetworkPolicyEgressRule[]), rules.egress],
    };
}

/** How a deployed service's pods are picked and which ports its callers reach: for callers outside the platform. */
export interface CallerAdmission {
    readonly selector: Record<string, string>;
    readonly ports: number[];
    readonly namespace: pulumi.Input<string>;
    readonly opts: pulumi.CustomResourceOptions;
}

/**
 * `<store>-from-<app>`: the store admits the pods of the app's namespace that carry its talks-to label,
 * as the platform's own callers do (NetworkPolicies add up: the store's own policy is unchanged).
 */
export function outsideCallerPolicy(service: string, app: string, appNamespace: string, store: CallerAdmission, labels: Record<string, string>): k8s.networking.v1.NetworkPolicy {
    return new k8s.networking.v1.NetworkPolicy(
        `${service}-from-${app}`,
        {
            metadata: { name: `${service}-from-${app}`, namespace: store.namespace, labels },
            spec: outsideCallerFlows(service, store.selector, store.ports, appNamespace),
        },
        store.opts,
    );
}
