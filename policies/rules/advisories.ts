import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { HELM_RELEASE, helmBlocks } from "./support/helm-values";
import { describeContainer, LONG_RUNNING_KINDS, podContainers, podTemplateOf, kubernetesServiceOf } from "./support/kubernetes";
import { asArray, asRecord, isRecord } from "./support/values";

/** Advisory rules: things worth a look that do not block a deploy. */

const helmSchema: PolicyConfigSchema = {
    properties: {
        reportOpaque: { type: "boolean", default: true, description: "Note every Helm Release (off: only those whose values set no image or resources at all)." },
    },
};

export const helmReleaseOpaque: ResourceValidationPolicy = {
    name: "helm-release-opaque",
    description:
        "Advisory: a Helm Release (kubernetes.helm.sh/v3.Release) deploys objects the pack never sees. Its chart version and " +
        "the images and resources its values set are judged by images-pinned, kubernetes-container-resources and " +
        "service-resource-bounds; everything else the chart renders (security contexts, probes, budgets, network policies, " +
        "defaults of values not set) goes unchecked. Prefer helm.v4.Chart, whose objects are registered one by one and " +
        "checked like the rest.",
    enforcementLevel: "advisory",
    configSchema: helmSchema,
    validateResource: (args, reportViolation) => {
        if (!HELM_RELEASE.test(args.type)) return;
        const { reportOpaque } = configOf<{ reportOpaque: boolean }>(helmSchema, args);
        const blocks = helmBlocks(args.props.values);
        const images = blocks.filter((b) => b.image).length;
        const resources = blocks.filter((b) => b.resources).length;
        if (!reportOpaque && images + resources > 0) return;
        const chart = `${args.props.chart ?? "?"}${args.props.version ? `@${args.props.version}` : ""}`;
        reportViolation(
            `${describeResource(args.type, args.name)}: chart ${chart} deploys objects the policy pack cannot check; read from its values: ` +
                `${images} image(s), ${resources} resources block(s) (the chart's own defaults and everything else it renders are not seen); ` +
                "prefer kubernetes.helm.v4.Chart",
        );
    },
};

const storageSchema: PolicyConfigSchema = {
    properties: {
        diskHeavyServices: {
            type: "array",
            items: { type: "string" },
            default: ["ollama", "qdrant", "elasticsearch", "logstash"],
            description: "Services that write models, indices or queues to local disk and should bound it with an ephemeral-storage limit.",
        },
    },
};

export const kubernetesEphemeralStorage: ResourceValidationPolicy = {
    name: "kubernetes-ephemeral-storage",
    description:
        "Advisory: containers of diskHeavyServices (models, indices, queues) and containers that mount an emptyDir without a " +
        "sizeLimit set resources.limits[\"ephemeral-storage\"], so one pod filling the node's disk is evicted instead of the node failing.",
    enforcementLevel: "advisory",
    configSchema: storageSchema,
    validateResource: (args, reportViolation) => {
        const template = podTemplateOf(args.type, args.props);
        if (!template || !LONG_RUNNING_KINDS.includes(template.kind)) return;
        const { diskHeavyServices } = configOf<{ diskHeavyServices: string[] }>(storageSchema, args);
        const service = kubernetesServiceOf(args.name, template.labels);
        const unbounded = new Set(asArray(template.spec.volumes).filter((v) => isRecord(v) && isRecord(v.emptyDir) && v.emptyDir.sizeLimit === undefined).map((v) => v.name));
        for (const c of podContainers(template.spec)) {
            if (c.init) continue;
            const mountsUnbounded = asArray(c.container.volumeMounts).some((m) => isRecord(m) && unbounded.has(m.name));
            if (!diskHeavyServices.includes(service) && !mountsUnbounded) continue;
            if (asRecord(asRecord(c.container.resources).limits)["ephemeral-storage"] !== undefined) continue;
            const why = mountsUnbounded ? "mounts an emptyDir without sizeLimit" : `service ${service} is in diskHeavyServices`;
            reportViolation(`${describeResource(args.type, args.name)} ${describeContainer(c)}: ${why} and sets no resources.limits["ephemeral-storage"]; recommended: a limit such as "10Gi"`);
        }
    },
};

const nonRootSchema: PolicyConfigSchema = {
    properties: {
        rootServices: {
            type: "array",
            items: { type: "string" },
            default: [],
            description: "Services whose image needs root or a writable root filesystem (say why in the README); not noted.",
        },
    },
};

export const containerNonRoot: ResourceValidationPolicy = {
    name: "container-non-root",
    description:
        "Advisory: Kubernetes containers run as non-root (runAsNonRoot true on the container or the pod) with a read-only root " +
        "filesystem (readOnlyRootFilesystem true, writable paths as volumes), as Pod Security \"restricted\" expects. Images " +
        "that need root or write their root filesystem go in rootServices.",
    enforcementLevel: "advisory",
    configSchema: nonRootSchema,
    validateResource: (args, reportViolation) => {
        const template = podTemplateOf(args.type, args.props);
        if (!template) return;
        const { rootServices } = configOf<{ rootServices: string[] }>(nonRootSchema, args);
        if (rootServices.includes(kubernetesServiceOf(args.name, template.labels))) return;
        const pod = asRecord(template.spec.securityContext);
        for (const c of podContainers(template.spec)) {
            const context = asRecord(c.container.securityContext);
            const missing: string[] = [];
            if ((context.runAsNonRoot ?? pod.runAsNonRoot) !== true) missing.push("runAsNonRoot true");
            if (context.readOnlyRootFilesystem !== true) missing.push("readOnlyRootFilesystem true");
            if (missing.length > 0) reportViolation(`${describeResource(args.type, args.name)} ${describeContainer(c)}: recommended: ${missing.join(" and ")}`);
        }
    },
};
