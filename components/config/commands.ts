/**
 * `npm run pulumi -- <args>`: Pulumi in the project's environment (its state backend and
 * passphrase), never a bare `pulumi`, which would look for the stack in Pulumi Cloud.
 */
export function pulumiCommand(stack: string | undefined, args: string): string {
    return `${stack && stack !== "dev" ? `LLM_PLATFORM_STACK=${stack} ` : ""}npm run pulumi -- ${args}`;
}
