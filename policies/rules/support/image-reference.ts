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

export function hasDigest(ref: ImageReference): boolean {
    return ref.digest !== undefined && /^sha256:[a-f0-9]{64}$/.test(ref.digest);
}
