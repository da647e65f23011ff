import { pulumiCommand } from "../../config/commands";

/** How many of a failed step's last output lines the error quotes. */
const QUOTED_LINES = 15;

export interface StepOutcome {
    readonly step: string;
    readonly containerName: string;
    readonly urn: string;
    /** Undefined when the run never finished: a create that timed out is saved with an init error and no exit code. */
    readonly exitCode: number | undefined;
    readonly logs: string | undefined;
}

/** The error for a one-shot step that did not succeed, or undefined when it did (exit code 0 and nothing else). */
export function stepFailure(o: StepOutcome): string | undefined {
    if (o.exitCode === 0) return undefined;
    const what =
        o.exitCode === undefined
            ? `did not report an exit code: its run did not finish (a create that timed out, e.g. a slow download, is saved unfinished; raise llm-platform:docker.pullTimeoutMinutes if it needs longer)`
            : `exited with code ${o.exitCode}`;
    const tail = (o.logs ?? "").trimEnd().split("\n").filter((l) => l.trim() !== "").slice(-QUOTED_LINES);
    return (
        `one-shot step ${o.step} ${what}` +
        (tail.length > 0 ? `; its last lines:\n    ${tail.join("\n    ")}\n` : "; ") +
        `see \`docker logs ${o.containerName}\`, fix the cause, then run it again with ` +
        `\`${pulumiCommand(stackOfUrn(o.urn), `up --replace '${o.urn}'`)}\` (the step is safe to re-run)`
    );
}

/** `urn:pulumi:<stack>::<project>::...` -> the stack. */
function stackOfUrn(urn: string): string | undefined {
    return /^urn:pulumi:([^:]+)::/.exec(urn)?.[1];
}
