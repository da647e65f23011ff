import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Resources } from "../types";
import { chartRelease } from "./chart-release";
import { containerResources } from "./quantities";

/**
 * The pinned cert-manager, which the Barman Cloud plugin's chart needs (its Issuer and Certificates;
 * plugin-barman-cloud web/docs/installation.mdx lists it as a requirement). Chart `cert-manager` v1.21.2
 * of https://charts.jetstack.io: the newest release found (1.21's second patch, out by October 2026; 1.22 was due
 * ~November 2026 and not found), for Kubernetes 1.33 to 1.36 (cert-manager/website
 * content/docs/releases/README.md, "Currently supported releases"). The values' keys are those of
 * deploy/charts/cert-manager/values.yaml at tag v1.21.1 (crds.enabled, and `resources` on the
 * controller, webhook, cainjector and startupapicheck), whose values.schema.json refuses unknown keys.
 */
export const CERT_MANAGER = {
    chart: "cert-manager",
    chartVersion: "v1.21.2",
    repo: "https://charts.jetstack.io",
    /** Its images' tag (the chart's appVersion, said once more so a chart bump cannot move them silently). */
    version: "v1.21.2",
} as const;

/** Its pods sign and renew a few certificates and answer the API server's webhook calls: small. */
export const CERT_MANAGER_RESOURCES = {
    controller: { cpu: 0.2, memoryMb: 256, cpuReservation: 0.02, memoryReservationMb: 64 },
    webhook: { cpu: 0.1, memoryMb: 128, cpuReservation: 0.01, memoryReservationMb: 32 },
    cainjector: { cpu: 0.2, memoryMb: 256, cpuReservation: 0.02, memoryReservationMb: 64 },
    startupapicheck: { cpu: 0.1, memoryMb: 64, cpuReservation: 0.01, memoryReservationMb: 32 },
} as const satisfies Record<string, Resources>;

export function certManagerValues() {
    const r = CERT_MANAGER_RESOURCES;
    return {
        // Its CRDs with the release, kept when it is uninstalled (crds.keep, the chart's default: true):
        // deleting them would delete every Certificate and Issuer of the cluster.
        crds: { enabled: true },
        // `image.tag` of each component (values.yaml at v1.21.1: "If no value is set, the chart's appVersion is used").
        image: { tag: CERT_MANAGER.version },
        resources: containerResources(r.controller),
        webhook: { image: { tag: CERT_MANAGER.version }, resources: containerResources(r.webhook) },
        cainjector: { image: { tag: CERT_MANAGER.version }, resources: containerResources(r.cainjector) },
        startupapicheck: { image: { tag: CERT_MANAGER.version }, resources: containerResources(r.startupapicheck) },
    };
}

/** cert-manager in its own namespace. */
export function certManager(namespace: string, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    return chartRelease(CERT_MANAGER, { namespace, createNamespace: true, values: certManagerValues() }, opts);
}
