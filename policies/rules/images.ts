import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { containerViews } from "./support/containers";
import { describeResource } from "./support/describe";
import { DOCKER_CONTAINER, DOCKER_REMOTE_IMAGE } from "./support/docker";
import { hasDigest, isImageId, parseImageReference, PINNED_FORMS, unpinnedReason } from "./support/image-reference";

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
        `container) is a valid reference pinned to ${PINNED_FORMS}. Floating tags (latest, 2025-latest, alpine, ` +
        "bookworm-slim, pg17, 17, 1.27) fail. The same definition validates the services' `image` config keys.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const config = configOf<Config>(schema, args);
        const check = (reference: unknown, where: string) => {
            const problem = pinningProblem(reference, config);
            if (problem) reportViolation(`${where}: ${problem}`);
        };
        if (args.type === DOCKER_REMOTE_IMAGE) {
            check(args.props.name, describeResource(args.type, args.name));
            return;
        }
        for (const view of containerViews(args.type, args.name, args.props)) {
            // A Docker container refers to the ID of an image pulled by a RemoteImage, which is checked there.
            if (args.type === DOCKER_CONTAINER && typeof view.image === "string" && isImageId(view.image)) continue;
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
