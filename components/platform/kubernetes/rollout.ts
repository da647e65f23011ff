import * as pulumi from "@pulumi/pulumi";

/** What the provider waits when nothing says otherwise (pulumi-kubernetes provider/pkg/await: DefaultStatefulSetTimeoutMins, DefaultDeploymentTimeoutMins, _defaultDaemonSetTimeout). */
export const DEFAULT_ROLLOUT_TIMEOUT_MINUTES = 10;

export interface RolloutTarget {
    readonly kind: "StatefulSet" | "Deployment" | "DaemonSet";
    readonly name: string;
    readonly namespace: string;
    /** The label selector of its pods, `key=value`. */
    readonly selector: string;
    readonly minutes: number;
    /** The pods ask for a GPU: scheduling waits for a node that offers one. */
    readonly gpu?: boolean;
    /** The pods mount claims (StatefulSet volumes): a Pending claim keeps them Pending. */
    readonly claims?: boolean;
}

/**
 * How long `pulumi up` waits for a workload's rollout. customTimeouts, not the
 * `pulumi.com/timeoutSeconds` annotation: the provider prefers them (provider/pkg/metadata/overrides.go
 * TimeoutDuration), every awaiter takes them (provider/pkg/await/awaiters.go getTimeout, daemonset.go),
 * and changing one changes nothing in the cluster.
 */
export function rolloutTimeouts(minutes: number): pulumi.CustomTimeouts {
    return { create: `${minutes}m`, update: `${minutes}m` };
}

/** The commands that show why a workload's pods are not ready, in the order one reads them. */
export function rolloutHelp(t: RolloutTarget, error: string): string {
    const k = `kubectl -n ${t.namespace}`;
    const object = `${t.kind.toLowerCase()}/${t.name}`;
    const firstPod = t.kind === "StatefulSet" ? `pod/${t.name}-0` : `pods -l ${t.selector}`;
    const lines = [
        `${object} (namespace ${t.namespace}) did not finish its rollout within ${t.minutes} minutes or failed it: ${error.split("\n")[0]}`,
        "What to look at:",
        `  ${k} rollout status ${object}`,
        `  ${k} describe ${firstPod}          # Events: FailedScheduling (no node fits: resources, taints, a missing GPU), FailedAttachVolume, ImagePullBackOff`,
        `  ${k} get events --sort-by=.lastTimestamp | grep ${t.name}`,
        `  ${k} logs ${t.kind === "StatefulSet" ? `${t.name}-0` : `-l ${t.selector}`} --previous          # a container that crashed before it became ready`,
        ...(t.claims ? [`  ${k} get pvc -l ${t.selector}          # a claim still Pending: no node in its volume's zone, the StorageClass missing`] : []),
        ...(t.gpu ? ["  kubectl get nodes -o custom-columns=NAME:.metadata.name,GPUS:.status.allocatable.nvidia\\.com/gpu          # no GPUs: the device plugin is not running, or the node group did not scale up"] : []),
        `If it only needs longer (a first start, a node scale-up, a large image), raise rolloutTimeoutMinutes in the service's config object (now ${t.minutes}) and run \`pulumi up\` again.`,
    ];
    return lines.join("\n");
}

/**
 * An error hook that prints rolloutHelp when the provider fails a workload's create or update
 * (a timed-out await included: it is a partial failure, pulumi pkg/resource/deploy/step.go runs the
 * hooks for it), and never retries: the cause needs a look first.
 */
export function rolloutErrorHook(t: RolloutTarget): pulumi.ErrorHook {
    return new pulumi.ErrorHook(`${t.namespace}-${t.name}-rollout-help`, (args) => {
        if (args.failedOperation === "delete") return false;
        pulumi.log.error(rolloutHelp(t, args.errors[0] ?? `${args.failedOperation} failed`));
        return false;
    });
}
