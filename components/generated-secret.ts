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
