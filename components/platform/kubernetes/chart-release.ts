import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** A chart pinned to an exact version in its repository. */
export interface PinnedChart {
    readonly chart: string;
    readonly chartVersion: string;
    readonly repo: string;
}

/**
 * A cluster add-on installed from its pinned chart (the CloudNativePG operator, its Barman Cloud
 * plugin, cert-manager): the release named after the chart, atomic, so a failed install or upgrade is
 * rolled back and no webhook is left pointing at a missing pod.
 */
export function chartRelease(
    pinned: PinnedChart,
    a: { namespace: string; createNamespace?: boolean; values: pulumi.Inputs },
    opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
    return new k8s.helm.v3.Release(
        pinned.chart,
        {
            name: pinned.chart,
            chart: pinned.chart,
            version: pinned.chartVersion,
            repositoryOpts: { repo: pinned.repo },
            namespace: a.namespace,
            ...(a.createNamespace ? { createNamespace: true } : {}),
            atomic: true,
            cleanupOnFail: true,
            timeout: 600,
            values: a.values,
        },
        opts,
    );
}
