/**
 * Image references and what "pinned" means, shared by the policy pack and config
 * validation (components/config/images.ts), so both accept and refuse the same images
 * with the same words. Dependency-free on purpose: the program imports it too.
 *
 * A reference is pinned when it is a valid reference and either
 *   - carries a well-formed digest (`@sha256:<64 hex>`, `@sha512:<128 hex>`), or
 *   - has a tag that names one build:
 *       a version of at least three numeric parts, optionally `v`-prefixed and followed
 *         by a variant: `1.30.5-alpine`, `v1.19.2`, `2.30.2-pg17`, `8.1.7`;
 *       a cumulative update of a year-numbered product: `2025-CU9-ubuntu-22.04`;
 *       PostgreSQL major.minor with an extension's exact version: `pg17.11-ts2.30.1`;
 *       a date stamp `YYYYMMDD`: `jammy-20251015`;
 *       a commit hash of 7 to 40 hex digits, alone or after a branch: `main-4f2c1a9`.
 * Everything else moves: `latest`, `2025-latest`, channels (`stable`, `mainline`),
 * variants and codenames (`alpine`, `bookworm-slim`), flavours (`pg17`), bare majors
 * (`17`, `17-bookworm`) and two-part versions (`1.27`, which follows patch releases).
 */

/** The parts of an image reference: `registry:5000/repo/name:tag@sha256:<digest>`. */
export interface ImageReference {
    readonly repository: string;
    readonly tag?: string;
    readonly digest?: string;
}

export function parseImageReference(reference: string): ImageReference {
    const at = reference.indexOf("@");
    const digest = at >= 0 ? reference.slice(at + 1) : undefined;
    const withoutDigest = at >= 0 ? reference.slice(0, at) : reference;
    const colon = withoutDigest.lastIndexOf(":");
    // A colon before the last slash belongs to a registry port, not to a tag.
    if (colon > withoutDigest.lastIndexOf("/")) {
        return { repository: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1), digest };
    }
    return { repository: withoutDigest, digest };
}

/** A local image ID (`sha256:<hex>`), which is what a container refers to after a pull. */
export function isImageId(image: string): boolean {
    return /^sha256:[a-f0-9]{64}$/.test(image);
}

const WELL_FORMED_DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function hasDigest(ref: ImageReference): boolean {
    return ref.digest !== undefined && WELL_FORMED_DIGEST.test(ref.digest);
}

// The grammar of github.com/distribution/reference.
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const NAME_MAX = 255;

/** Why a reference is not a valid image reference, or undefined when it is. */
function invalidReason(reference: string, ref: ImageReference): string | undefined {
    if (reference !== reference.trim() || /\s/.test(reference)) return "contains whitespace";
    if (ref.repository.length === 0) return "has no repository name";
    if (ref.repository.length > NAME_MAX) return `has a name longer than ${NAME_MAX} characters`;
    const parts = ref.repository.split("/");
    // The first part is a registry when it looks like a host: a dot, a port, or localhost.
    const first = parts[0];
    const hasDomain = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase());
    if (hasDomain && !DOMAIN.test(first)) return `has an invalid registry "${first}"`;
    for (const part of hasDomain ? parts.slice(1) : parts) {
        if (!PATH_COMPONENT.test(part)) {
            return `has an invalid name component "${part}" (lower-case letters, digits and single separators . _ __ - only)`;
        }
    }
    if (ref.tag !== undefined && !TAG.test(ref.tag)) return `has an invalid tag "${ref.tag}"`;
    return undefined;
}

const EXACT_TAG_FORMS: readonly RegExp[] = [
    // 1.30.5, v1.19.2, 2.30.2-pg17, 8.1.7-alpine, 1.2.3.4, 1.2.3+build.5
    /^v?\d+\.\d+\.\d+(?:\.\d+)*(?:[-_+.][\w.-]*)?$/i,
    // PostgreSQL with an extension, both exact: pg17.11-ts2.30.1 (PostgreSQL's versions have two parts since 10), -all variants too
    /^pg\d+\.\d+-[a-z]+\d+\.\d+\.\d+(?:[-_.][\w.-]*)?$/i,
    // SQL Server: 2025-CU9-ubuntu-22.04 (cumulative update n of the 2025 release)
    /^\d{4}-(?:CU|GDR)\d+(?:[-_.][\w.-]*)?$/i,
    // date-stamped builds: jammy-20251015, 20251015
    /(?:^|[-_.])(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[-_.]|$)/,
    // CI builds named by a commit: 4f2c1a9, main-4f2c1a9, sha-4f2c1a9e...
    /(?:^|[-_.])(?=[a-f0-9]*[a-f])(?=[a-f0-9]*\d)[a-f0-9]{7,40}$/,
];

/** Whether a tag names one build (see the module comment for the exact forms). */
export function isExactTag(tag: string): boolean {
    return !/(^|[-_.])latest([-_.]|$)/i.test(tag) && EXACT_TAG_FORMS.some((form) => form.test(tag));
}

/** What a pinned reference looks like, for messages. */
export const PINNED_FORMS =
    "an exact version tag (1.30.5-alpine, v1.19.2, 2025-CU9-ubuntu-22.04, a YYYYMMDD date stamp, a commit build such as main-4f2c1a9) or an @sha256 digest";

/**
 * Why an image reference is not pinned, as a phrase that follows the reference
 * ("nginx:alpine uses the floating tag 'alpine'"), or undefined when it is pinned.
 */
export function unpinnedReason(reference: string): string | undefined {
    if (reference.trim() === "") return "is empty";
    const ref = parseImageReference(reference);
    const invalid = invalidReason(reference, ref);
    if (invalid) return `is not a valid image reference: it ${invalid}`;
    if (ref.digest !== undefined) {
        return hasDigest(ref) ? undefined : `has a malformed digest '${ref.digest}' (sha256: and 64 lower-case hex digits expected)`;
    }
    if (ref.tag === undefined) return "has no tag, so Docker pulls 'latest'";
    if (!isExactTag(ref.tag)) return `uses the floating tag '${ref.tag}'`;
    return undefined;
}

/**
 * The imagePullPolicy that fits how a reference is pinned (the pack's kubernetes-image-pull-policy
 * rule): a digest cannot change content, so a node's copy serves (IfNotPresent); a tag is a name
 * the registry can move, so every pod start resolves it again (Always).
 */
export function pullPolicyFor(reference: string): "Always" | "IfNotPresent" {
    return hasDigest(parseImageReference(reference)) ? "IfNotPresent" : "Always";
}
