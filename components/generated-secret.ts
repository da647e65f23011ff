import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/**
 * A generated password that meets SQL Server's policy (upper, lower, digit and symbol)
 * and whose symbols are safe in URLs, connection strings and shell words.
 */
export function generatedPassword(
    name: string,
    parent: pulumi.Resource,
    options: { length?: number; protect?: boolean } = {},
): pulumi.Output<string> {
    return new random.RandomPassword(
        name,
        {
            length: options.length ?? 32,
            special: true,
            overrideSpecial: "-_.~",
            minUpper: 2,
            minLower: 2,
            minNumeric: 2,
            minSpecial: 2,
        },
        { parent, protect: options.protect },
    ).result;
}

/**
 * For a password a database writes into its data volume on first start: it must outlive
 * `pulumi destroy` as the volume does, or the kept data can no longer be opened.
 * `pulumi destroy --exclude-protected` keeps it; `pulumi state unprotect` releases it.
 */
export function dataVolumePassword(name: string, parent: pulumi.Resource): pulumi.Output<string> {
    return generatedPassword(name, parent, { protect: true });
}

/** A generated API key: letters and digits only. */
export function generatedApiKey(name: string, parent: pulumi.Resource, length = 48): pulumi.Output<string> {
    return new random.RandomPassword(name, { length, special: false }, { parent }).result;
}

/** Rotation state by secret name (the `rotation` config). */
export type Rotations = Readonly<Record<string, { readonly generation: number; readonly previousAccepted: boolean }>>;

/** A generated secret across rotations: the current value and, while a rotation needs it, the one before. */
export interface RotatingSecret {
    readonly current: pulumi.Output<string>;
    readonly previous?: pulumi.Output<string>;
    readonly generation: number;
}

/** The resource of a generation: the secret's own name first, then `<name>-r<generation>`, so earlier generations keep their values. */
const generationName = (name: string, generation: number) => (generation === 0 ? name : `${name}-r${generation}`);

/**
 * A secret with generations (`npm run rotate` raises one): each generation is its own
 * RandomPassword, so raising it adds a new value and keeps the one before as long as
 * `previous` says: `login` (a step logs in with it to change the stored one), `accepted`
 * (an API key accepted until revoked), `none` (consumers take the new one at once).
 */
export function rotatingSecret(
    name: string,
    rotations: Rotations,
    previous: "login" | "accepted" | "none",
    make: (resourceName: string) => pulumi.Output<string>,
): RotatingSecret {
    const state = rotations[name] ?? { generation: 0, previousAccepted: false };
    const n = state.generation;
    const keepPrevious = n > 0 && (previous === "login" || (previous === "accepted" && state.previousAccepted));
    return {
        current: make(generationName(name, n)),
        ...(keepPrevious ? { previous: make(generationName(name, n - 1)) } : {}),
        generation: n,
    };
}
