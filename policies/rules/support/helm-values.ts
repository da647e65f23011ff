import { isRecord } from "./values";

/**
 * What the pack can read of a Helm Release (`kubernetes:helm.sh/v3:Release`): its inline
 * `values` only. The chart's templates, its own values.yaml and `valueYamlFiles` are not
 * visible to a policy, so the objects the chart renders are judged as far as the values set:
 *
 * - every `image` in the values, as a string (`repo:tag`) or as an object with `repository`
 *   (or `name`) and optional `registry`, `tag` and `digest`: Bitnami's and most charts' form;
 *   an image without tag or digest takes the chart's default tag (usually its appVersion),
 *   which the chart's `version` pins;
 * - every `resources` object (`requests`, `limits`);
 * - a `resources` next to an `image` in the same object describes one container: the pair
 *   identifies the service (service-resource-bounds).
 */
export const HELM_RELEASE = /^kubernetes:helm\.sh\/v\d+:Release$/;

export interface HelmImage {
    /** Where in the values, e.g. `values.primary.image`. */
    readonly path: string;
    /** The reference the chart would use, or undefined when the values leave the tag to the chart. */
    readonly reference?: string;
    /** The reference as written (for messages). */
    readonly written: string;
}

export interface HelmBlock {
    /** The object holding `image` and/or `resources`, e.g. `values.primary`. */
    readonly path: string;
    readonly image?: HelmImage;
    readonly resources?: Record<string, any>;
}

const text = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v).trim() : "");

function helmImage(value: unknown, path: string): HelmImage | undefined {
    if (typeof value === "string" && value.trim() !== "") return { path, reference: value.trim(), written: value.trim() };
    if (!isRecord(value)) return undefined;
    const repository = text(value.repository) || text(value.name);
    if (repository === "") return undefined;
    const registry = text(value.registry);
    const name = registry !== "" && !repository.startsWith(`${registry}/`) ? `${registry}/${repository}` : repository;
    const tag = text(value.tag);
    const digest = text(value.digest);
    const written = `${name}${tag ? `:${tag}` : ""}${digest ? `@${digest}` : ""}`;
    // A repository written with its tag (`repository: nginx:1.27.3`) is a whole reference.
    const hasOwnTag = /:[^/]+$/.test(repository) || repository.includes("@");
    if (tag === "" && digest === "" && !hasOwnTag) return { path, written };
    return { path, reference: written, written };
}

/** Every object of the values that sets an `image` or `resources`, in document order. */
export function helmBlocks(values: unknown, path = "values"): HelmBlock[] {
    if (Array.isArray(values)) return values.flatMap((v, i) => helmBlocks(v, `${path}[${i}]`));
    if (!isRecord(values)) return [];
    const blocks: HelmBlock[] = [];
    const image = "image" in values ? helmImage(values.image, `${path}.image`) : undefined;
    const resources = isRecord(values.resources) ? values.resources : undefined;
    if (image || resources) blocks.push({ path, ...(image ? { image } : {}), ...(resources ? { resources } : {}) });
    for (const [key, value] of Object.entries(values)) {
        if (key === "resources" || (key === "image" && image)) continue;
        if (isRecord(value) || Array.isArray(value)) blocks.push(...helmBlocks(value, `${path}.${key}`));
    }
    return blocks;
}

/** Whether a chart version names one release of the chart (`1.2.3`, `v1.2.3-rc.1`), not a range. */
export function isExactChartVersion(version: unknown): boolean {
    return typeof version === "string" && /^v?\d+\.\d+\.\d+(?:[-+][\w.-]+)?$/.test(version.trim());
}
