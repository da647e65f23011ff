/**
 * Kubernetes resource quantities ("500m", "2", "512Mi", "1.5Gi", "1e9", "129M") as numbers
 * in base units: cores for cpu, bytes for memory.
 */
const SUFFIX_FACTORS: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
};

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

export function parseQuantity(value: unknown): number | undefined {
    if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
    if (typeof value !== "string") return undefined;
    const match = QUANTITY.exec(value.trim());
    if (!match) return undefined;
    const [, number, exponent, suffix] = match;
    const base = Number(number);
    if (exponent) return base * 10 ** Number(exponent.slice(1));
    return suffix ? base * SUFFIX_FACTORS[suffix] : base;
}

/** Memory quantity in MiB, the unit Docker's `memory` (called MB there) uses. */
export function quantityToMb(value: unknown): number | undefined {
    const bytes = parseQuantity(value);
    return bytes === undefined ? undefined : bytes / 2 ** 20;
}

export function quantityToCores(value: unknown): number | undefined {
    return parseQuantity(value);
}
