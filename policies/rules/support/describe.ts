/** How every violation names a resource: its type token and logical name. */
export function describeResource(type: string, name: string): string {
    return `${type} "${name}"`;
}

/** The stack a URN belongs to: `urn:pulumi:<stack>::<project>::...`. */
export function stackOfUrn(urn: string): string | undefined {
    const match = /^urn:pulumi:([^:]+)::/.exec(urn);
    return match ? match[1] : undefined;
}

export function formatMb(mb: number): string {
    return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
}
