import type { PolicyConfigSchema, StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { scalerOf, scaleTargets } from "./support/autoscaling";
import { podTemplateOf } from "./support/kubernetes";
import { eachKnown } from "./support/unknowns";
import { asRecord } from "./support/values";

const schema: PolicyConfigSchema = {
    properties: {
        scaledKinds: {
            type: "array",
            items: { type: "string" },
            default: ["Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"],
            description: "Workload kinds whose spec.replicas an autoscaler owns once it targets them.",
        },
    },
};

export const autoscaledReplicas: StackValidationPolicy = {
    name: "kubernetes-hpa-replicas",
    description:
        "A workload a HorizontalPodAutoscaler of the stack targets (scaleTargetRef: kind and name in its namespace) does not " +
        "also pin spec.replicas, itself or through a *Patch: every `pulumi up` would set the count back to the pinned number, " +
        "scaling the service down under the load the autoscaler scaled it up for. Leave replicas unset; the autoscaler's " +
        "minReplicas is the floor.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateStack: (args, reportViolation) => {
        const { scaledKinds } = configOf<{ scaledKinds: string[] }>(schema, args);
        const targets = scaleTargets(args.resources);
        if (targets.length === 0) return;
        eachKnown(args.resources, (r) => {
            const template = podTemplateOf(r.type, r.props, { patches: true });
            if (!template || !scaledKinds.includes(template.kind)) return;
            const replicas = asRecord(r.props.spec).replicas;
            if (replicas === undefined || replicas === null) return;
            const scaler = scalerOf(targets, template.kind, r.props);
            if (!scaler) return;
            reportViolation(
                `${describeResource(r.type, r.name)}: spec.replicas is ${replicas} while HorizontalPodAutoscaler "${scaler.hpa.name}" scales it ` +
                    `(minReplicas ${scaler.minReplicas}), so every update resets the count to ${replicas}; required: spec.replicas not set`,
                r.urn,
            );
        });
    },
};
