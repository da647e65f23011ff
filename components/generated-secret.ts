import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/**
 * A generated password that meets SQL Server's policy (upper, lower, digit and symbol)
 * and whose symbols are safe in URLs, connection strings and shell words.
 */
export function generatedPassword(name: string, parent: pulumi.Resource, length = 32): pulumi.Output<string> {
    return new random.RandomPassword(
        name,
        {
            length,
            special: true,
            overrideSpecial: "-_.~",
            minUpper: 2,
            minLower: 2,
            minNumeric: 2,
            minSpecial: 2,
        },
        { parent },
    ).result;
}

/** A generated API key: letters and digits only. */
export function generatedApiKey(name: string, parent: pulumi.Resource, length = 48): pulumi.Output<string> {
    return new random.RandomPassword(name, { length, special: false }, { parent }).result;
}
