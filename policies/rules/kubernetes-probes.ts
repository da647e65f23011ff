import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { describeContainer, LONG_RUNNING_KINDS, podContainers, podTemplateOf } from "./support/kubernetes";
import { isRecord } from "./support/values";

const HANDLERS = ["httpGet", "tcpSocket", "exec", "grpc"];

const schema: PolicyConfigSchema = {
    properties: {
        requiredProbes: {
            type: "array",
            items: { type: "string", enum: ["readinessProbe", "livenessProbe", "startupProbe"] },
            default: ["readinessProbe", "livenessProbe"],
            description: "Probes every container of a long-running workload must define, each with a handler (httpGet, tcpSocket, exec or grpc).",
        },
    },
};

export const kubernetesProbes: ResourceValidationPolicy = {
    name: "kubernetes-probes",
    description:
        "Every container of a long-running workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, " +
        "and a bare Pod with restartPolicy Always) " +
        "has the probes in requiredProbes (default readinessProbe and livenessProbe) with a handler: without readiness a " +
        "Service sends traffic to a pod that is not ready, without liveness a hung process is never restarted. Init and " +
        "Job containers run to completion and need none.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const template = podTemplateOf(args.type, args.props);
        // A bare Pod that restarts its containers (restartPolicy Always, the default) runs as long as a Deployment's.
        const longRunningPod = template?.kind === "Pod" && (template.spec.restartPolicy ?? "Always") === "Always";
        if (!template || !(LONG_RUNNING_KINDS.includes(template.kind) || longRunningPod)) return;
        const { requiredProbes } = configOf<{ requiredProbes: string[] }>(schema, args);
        for (const c of podContainers(template.spec)) {
            if (c.init) continue;
            for (const probe of requiredProbes) {
                const value = c.container[probe];
                if (isRecord(value) && HANDLERS.some((h) => isRecord(value[h]))) continue;
                const found = value === undefined ? "not set" : `set without a handler (${HANDLERS.join(", ")})`;
                reportViolation(`${describeResource(args.type, args.name)} ${describeContainer(c)}: ${probe} is ${found}; required: a ${probe} with one of ${HANDLERS.join(", ")}`);
            }
        }
    },
};
