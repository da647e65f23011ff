import * as pulumi from "@pulumi/pulumi";
import { DeployedService, HandedOverCredentials, ObservedService, Platform, ServiceSpec } from "./types";

/**
 * A platform that remembers every service deployed through it, so monitoring is generated
 * from the services themselves (their `observe` declarations) and never from a second list.
 */
export class ServiceCatalog implements Platform {
    private readonly deployed: ServiceSpec[] = [];
    private readonly managed: ObservedService[] = [];

    constructor(private readonly inner: Platform) {}

    get kind() {
        return this.inner.kind;
    }
    get resolver() {
        return this.inner.resolver;
    }
    get initResults() {
        return this.inner.initResults;
    }

    hostOf(service: string): string {
        return this.inner.hostOf(service);
    }

    peerHosts(service: string, count: number): string[] {
        return this.inner.peerHosts(service, count);
    }

    deploy(spec: ServiceSpec, parent: pulumi.Resource): DeployedService {
        const service = this.inner.deploy(spec, parent);
        this.deployed.push(spec);
        return service;
    }

    handOver(credentials: HandedOverCredentials, parent: pulumi.Resource): boolean {
        return this.inner.handOver(credentials, parent);
    }

    /** Every service deployed so far, in order. */
    get services(): readonly ServiceSpec[] {
        return [...this.deployed];
    }

    /** A store the platform does not run (ElastiCache), watched through what it declares (its exporter). */
    observeManaged(service: ObservedService): void {
        this.managed.push(service);
    }

    /** What monitoring watches: the deployed services and the managed stores. */
    get observed(): readonly ObservedService[] {
        return [...this.deployed, ...this.managed];
    }
}
