/**
 * `npm run pulumi -- <stack> <args>`: Pulumi in the project's environment (its state backend
 * and passphrase), never a bare `pulumi`, which would look for the stack in Pulumi Cloud. The
 * stack is named whenever it is known, so the command acts on it whatever LLM_PLATFORM_STACK
 * says (scripts/stack-arg.sh: the first argument, else the variable, else dev).
 */
export function pulumiCommand(stack: string | undefined, args: string): string {
    return `npm run pulumi -- ${stack ? `${stack} ` : ""}${args}`;
}
