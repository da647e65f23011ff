import * as pulumi from "@pulumi/pulumi";
import { DeployedService, HandedOverCredentials, Platform, ServiceSpec } from "../../components/platform/types";

/** A platform that keeps what components ask for, to test components on their own. */
export class RecordingPlatform implements Platform {
    readonly kind = "docker" as const;
    readonly resolver = "127.0.0.11";
    readonly initResults = {};
    readonly specs: ServiceSpec[] = [];

    hostOf(service: string): string {
        return service;
    }

    peerHosts(): string[] {
        return [];
    }

    deploy(spec: ServiceSpec, parent: pulumi.Resource): DeployedService {
        this.specs.push(spec);
        return { host: spec.name, ready: parent, initialized: [] };
    }

    readonly handedOver: HandedOverCredentials[] = [];

    handOver(credentials: HandedOverCredentials): boolean {
        this.handedOver.push(credentials);
        return false;
    }

    only(): ServiceSpec {
        if (this.specs.length !== 1) throw new Error(`expected one service, got ${this.specs.length}`);
        return this.specs[0];
    }
}
