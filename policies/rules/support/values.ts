/**
 * Resource properties as the Pulumi engine hands them to a policy: secrets unwrapped to
 * their plain value, resource references reduced to their id (or URN). Mocked stacks and
 * serialized inputs still carry the wire form, e.g.
 * `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": ...}`.
 */
const SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_REFERENCE_SIGNATURE = "5cf8f73096256a8f31e491e813e4eb8e";

/** Whether a value is the wire form of a Pulumi secret. */
export function isSecretValue(value: unknown): value is { value: unknown } {
    return isRecord(value) && value[SIGNATURE_KEY] === SECRET_SIGNATURE;
}

export function plainValue(value: unknown): any {
    if (Array.isArray(value)) return value.map(plainValue);
    if (value === null || typeof value !== "object") return value;
    const record = value as Record<string, unknown>;
    const signature = record[SIGNATURE_KEY];
    if (signature === SECRET_SIGNATURE) return plainValue(record.value);
    if (signature === RESOURCE_REFERENCE_SIGNATURE) return record.id ?? record.urn;
    // Assets and archives keep their wire form: no rule reads them.
    if (signature !== undefined) return value;
    const plain: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(record)) {
        if (v !== undefined) plain[key] = plainValue(v);
    }
    return plain;
}

export function isRecord(value: unknown): value is Record<string, any> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function asArray(value: unknown): any[] {
    return Array.isArray(value) ? value : [];
}

export function asRecord(value: unknown): Record<string, any> {
    return isRecord(value) ? value : {};
}

export function nonEmptyString(value: unknown): value is string {
    return typeof value === "string" && value.trim().length > 0;
}
