import { EngineFacts } from "./engine";

interface Sized {
    readonly cpu: number;
    readonly memoryMb: number;
}

/**
 * Problems that would make Docker refuse a container halfway through `pulumi up`:
 * `cpus` above the engine's CPU count (Docker rejects it) and a memory limit larger
 * than the engine's memory (it could never be met). Each names the key to change.
 */
export function engineFitProblems(services: Readonly<Record<string, Sized>>, engine: EngineFacts): string[] {
    const problems: string[] = [];
    for (const [name, s] of Object.entries(services)) {
        if (s.cpu > engine.cpus) {
            problems.push(
                `llm-platform:${name}.cpu = ${s.cpu}: the Docker engine has ${engine.cpus} CPUs and refuses more; set ${name}.cpu to at most ${engine.cpus} (or give Docker more CPUs)`,
            );
        }
        if (s.memoryMb > engine.memoryMb) {
            problems.push(
                `llm-platform:${name}.memoryMb = ${s.memoryMb}: the Docker engine has ${engine.memoryMb} MB of memory; set ${name}.memoryMb to at most ${engine.memoryMb} (or use size: small, or give Docker more memory)`,
            );
        }
    }
    return problems;
}
