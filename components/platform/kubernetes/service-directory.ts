import * as pulumi from "@pulumi/pulumi";
import { DeployedService } from "../types";
import { clusterPods } from "./cloudnative-pg";
import { FlowTarget } from "./flows";

/**
 * Where the platform's services are (platform.ts): which namespace each lives in, how flows pick
 * its pods, what is deployed yet. Creates nothing.
 */
export class ServiceDirectory {
    private readonly deployed = new Map<string, DeployedService>();
    /** Services deployed as node agents: they live in the node-agent namespace. */
    private readonly nodeAgents = new Set<string>();
    /** Services an operator runs (CloudNativePG clusters): flows pick their pods by the operator's labels. */
    private readonly operatorRun = new Set<string>();
    /** Services some flow has named as a target: an operator-run service must be deployed before them. */
    private readonly namedTargets = new Set<string>();

    constructor(
        private readonly namespace: string,
        private readonly nodeAgentNamespace: string,
    ) {}

    get size(): number {
        return this.deployed.size;
    }

    has(service: string): boolean {
        return this.deployed.has(service);
    }

    add(service: string, deployed: DeployedService): void {
        this.deployed.set(service, deployed);
    }

    addNodeAgent(service: string): void {
        this.nodeAgents.add(service);
    }

    addOperatorRun(service: string): void {
        if (this.namedTargets.has(service)) throw new Error(`service ${service} runs on an operator: deploy it before the services that call it, whose flows must pick its pods`);
        this.operatorRun.add(service);
    }

    /** A service's name in cluster DNS, resolvable without search domains and from either namespace. */
    hostOf(service: string): string {
        return `${service}.${this.namespaceOf(service)}.svc.cluster.local`;
    }

    namespaceOf(service: string): string {
        return this.nodeAgents.has(service) ? this.nodeAgentNamespace : this.namespace;
    }

    /** Both namespaces of the platform: NetworkPolicies admit declared callers from either. */
    namespaceNames(): string[] {
        return [this.namespace, this.nodeAgentNamespace];
    }

    /** A service and its namespace, from a name or a host this platform gave out, or a Service of another namespace (`<name>.<namespace>.svc.cluster.local`). */
    flowTarget(nameOrHost: string): FlowTarget {
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
    flowTargets(namesOrHosts: readonly string[]): FlowTarget[] {
        const seen = new Map<string, FlowTarget>();
        for (const t of namesOrHosts.map((n) => this.flowTarget(n))) seen.set(`${t.namespace}/${t.service}`, t);
        return [...seen.values()];
    }

    /** The workloads of services deployed before: what a workload or Job waits for. */
    readyOf(names: readonly string[]): pulumi.Resource[] {
        return names.map((n) => {
            const s = this.deployed.get(n);
            if (!s) throw new Error(`unknown service ${n}: deploy it before the services that depend on it`);
            return s.ready;
        });
    }
}
