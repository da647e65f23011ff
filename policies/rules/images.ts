import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { containerViews } from "./support/containers";
import { describeResource } from "./support/describe";
import { DOCKER_CONTAINER, DOCKER_REMOTE_IMAGE } from "./support/docker";
import { HELM_RELEASE, helmBlocks, isExactChartVersion } from "./support/helm-values";
import { hasDigest, isImageId, parseImageReference, PINNED_FORMS, unpinnedReason } from "../shared/image-reference";
import { describeContainer, podContainers, podTemplateOf } from "./support/kubernetes";

const schema: PolicyConfigSchema = {
    properties: {
        requireDigest: { type: "boolean", default: false, description: "Require an @sha256 digest on every image." },
        immutableTagPattern: {
            type: "string",
            default: "",
            description:
                "Regular expression of further tags your registry guarantees immutable (e.g. ^release-\\d+$ with tag immutability on); empty: none.",
        },
    },
};

interface Config {
    requireDigest: boolean;
    immutableTagPattern: string;
}

export const imagesPinned: ResourceValidationPolicy = {
    name: "images-pinned",
    description:
        "Every image (Docker RemoteImage and container, every Kubernetes container, init container and Job/CronJob " +
        `container, the images a *Patch sets) is a valid reference pinned to ${PINNED_FORMS}. Floating tags (latest, ` +
        "2025-latest, alpine, bookworm-slim, pg17, 17, 1.27) fail. A Helm Release pins its chart to an exact version and " +
        "every image its values set (an image whose values leave the tag out gets the pinned chart's default). The same " +
        "definition validates the services' `image` config keys.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const config = configOf<Config>(schema, args);
        const check = (reference: unknown, where: string) => {
            const problem = pinningProblem(reference, config);
            if (problem) reportViolation(`${where}: ${problem}`);
        };
        const where = describeResource(args.type, args.name);
        if (args.type === DOCKER_REMOTE_IMAGE) {
            check(args.props.name, where);
            return;
        }
        if (HELM_RELEASE.test(args.type)) {
            if (!isExactChartVersion(args.props.version)) {
                reportViolation(
                    `${where}: chart ${args.props.chart ?? "?"} version is ${JSON.stringify(args.props.version ?? null)}, so its templates and the images ` +
                        "they default to change with every chart release; required: an exact chart version such as \"1.2.3\"",
                );
            }
            for (const block of helmBlocks(args.props.values)) {
                if (block.image?.reference !== undefined) check(block.image.reference, `${where} ${block.image.path}`);
            }
            return;
        }
        for (const view of containerViews(args.type, args.name, args.props)) {
            // A Docker container refers to the ID of an image pulled by a RemoteImage, which is checked there.
            if (args.type === DOCKER_CONTAINER && typeof view.image === "string" && isImageId(view.image)) continue;
            // A patch that sets no image keeps the live one.
            if (view.patch && view.image === undefined) continue;
            check(view.image, view.where);
        }
    },
};

function pinningProblem(reference: unknown, config: Config): string | undefined {
    if (typeof reference !== "string" || reference.trim() === "") return `image is ${JSON.stringify(reference)}; required: ${PINNED_FORMS}`;
    const ref = parseImageReference(reference);
    let reason = unpinnedReason(reference);
    if (reason && ref.tag !== undefined && ref.digest === undefined && config.immutableTagPattern !== "" && new RegExp(config.immutableTagPattern).test(ref.tag)) {
        reason = reason.startsWith("uses the floating tag") ? undefined : reason;
    }
    if (reason) return `image ${reference} ${reason}; required: ${PINNED_FORMS}`;
    if (config.requireDigest && !hasDigest(ref)) return `image ${reference} has no @sha256 digest; required: repository:tag@sha256:<digest> (requireDigest)`;
    return undefined;
}

const pullSchema: PolicyConfigSchema = {
    properties: {
        allowedWithDigest: {
            type: "array",
            items: { type: "string", enum: ["Always", "IfNotPresent", "Never"] },
            default: ["IfNotPresent", "Always"],
            description: "imagePullPolicy values allowed for an image pinned by digest (unset means IfNotPresent).",
        },
        allowedWithTag: {
            type: "array",
            items: { type: "string", enum: ["Always", "IfNotPresent", "Never"] },
            default: ["Always"],
            description: "imagePullPolicy values allowed for an image pinned by tag only (unset means IfNotPresent for any tag but latest).",
        },
    },
};

/** What Kubernetes defaults imagePullPolicy to: Always for `latest` or no tag, else IfNotPresent. */
function defaultPullPolicy(image: string): string {
    const ref = parseImageReference(image);
    return ref.digest === undefined && (ref.tag === undefined || ref.tag === "latest") ? "Always" : "IfNotPresent";
}

export const kubernetesImagePullPolicy: ResourceValidationPolicy = {
    name: "kubernetes-image-pull-policy",
    description:
        "A Kubernetes container's imagePullPolicy fits how its image is pinned: a tag is a name a registry can move, so an " +
        "image pinned by tag only is pulled Always (every node resolves the tag to the registry's current digest and checks " +
        "the pull secret, instead of running whatever it cached under that name); an image pinned by digest may use " +
        "IfNotPresent (its content cannot differ). Never runs only where someone pre-loaded the image and fails.",
    enforcementLevel: "mandatory",
    configSchema: pullSchema,
    validateResource: (args, reportViolation) => {
        const template = podTemplateOf(args.type, args.props, { patches: true });
        if (!template) return;
        const { allowedWithDigest, allowedWithTag } = configOf<{ allowedWithDigest: string[]; allowedWithTag: string[] }>(pullSchema, args);
        for (const c of podContainers(template.spec)) {
            const image = c.container.image;
            const written = c.container.imagePullPolicy;
            // A patch judges the pair only when it sets the image (the live policy is unknown otherwise).
            if (typeof image !== "string" || image.trim() === "" || (template.patch && written === undefined)) continue;
            const policy = typeof written === "string" ? written : defaultPullPolicy(image);
            const byDigest = hasDigest(parseImageReference(image));
            const allowed = byDigest ? allowedWithDigest : allowedWithTag;
            if (allowed.includes(policy)) continue;
            reportViolation(
                `${describeResource(args.type, args.name)} ${describeContainer(c)}: image ${image} is pinned by ${byDigest ? "digest" : "tag only"} and ` +
                    `imagePullPolicy is ${written === undefined ? `not set (${policy})` : policy}; required: ${allowed.join(" or ")}` +
                    (byDigest ? "" : " (or pin the image by @sha256 digest)"),
            );
        }
    },
};
