import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { containerViews } from "./support/containers";
import { describeResource } from "./support/describe";
import { DOCKER_CONTAINER, DOCKER_REMOTE_IMAGE } from "./support/docker";
import { hasDigest, isImageId, parseImageReference } from "./support/image-reference";

const schema: PolicyConfigSchema = {
    properties: {
        floatingTagPattern: {
            type: "string",
            // Channels (stable, mainline-alpine), anything "latest" (SQL Server's 2025-latest) and
            // major-only tags (7, 17-bookworm) move under you.
            default: "^(latest|stable|edge|mainline|lts|current|nightly|main|master|develop|dev)([-_.]|$)|(^|[-_.])latest([-_.]|$)|^v?\\d+(-[a-z]+)*$",
            description: "Regular expression of tags that move (case-insensitive).",
        },
        requireDigest: { type: "boolean", default: false, description: "Require an @sha256 digest on every image." },
    },
};

interface Config {
    floatingTagPattern: string;
    requireDigest: boolean;
}

export const imagesPinned: ResourceValidationPolicy = {
    name: "images-pinned",
    description:
        "Every image is pinned: a tag that does not move (not `latest`, `stable`, `2025-latest`, a bare major version) " +
        "or an @sha256 digest, so that a preview shows exactly what will run. Pin the tag in the service's `image`.",
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
    if (typeof reference !== "string" || reference.trim() === "") return `image is ${JSON.stringify(reference)}; required: a pinned image reference`;
    const ref = parseImageReference(reference);
    if (hasDigest(ref)) return undefined;
    if (config.requireDigest) return `image ${reference} has no @sha256 digest; required: repository:tag@sha256:<digest>`;
    if (ref.tag === undefined) return `image ${reference} has no tag, so Docker pulls :latest; required: a fixed tag or an @sha256 digest`;
    if (new RegExp(config.floatingTagPattern, "i").test(ref.tag)) {
        return `image ${reference} uses the floating tag "${ref.tag}"; required: a fixed version tag (e.g. 1.30.5-alpine) or an @sha256 digest`;
    }
    return undefined;
}
