import * as policySdk from "@pulumi/policy";

/**
 * What the analyzer throws when a policy reads a value that is unknown during preview:
 * exported by @pulumi/policy at runtime, internal in its typings.
 */
export const { unknownCheckingProxy, UnknownValueError } = policySdk as unknown as {
    unknownCheckingProxy<T>(props: T): T;
    UnknownValueError: new (...args: any[]) => Error;
};

/**
 * Checks every item even when some read values unknown during preview, then rethrows
 * the first unknown so that the engine still notes the check as incomplete. Without
 * this, one computed value anywhere in a stack would silence a stack policy entirely.
 */
export function eachKnown<T>(items: Iterable<T>, check: (item: T) => void): void {
    let unknown: Error | undefined;
    for (const item of items) {
        try {
            check(item);
        } catch (e) {
            if (!(e instanceof UnknownValueError)) throw e;
            unknown ??= e;
        }
    }
    if (unknown) throw unknown;
}
