import { InitStep } from "./types";

/**
 * Runs a service's steps in the order it lists them: each starts after the service is
 * ready, or after the earlier step it names in `afterStep`; the others side by side (two
 * model pulls download at the same time).
 */
export function runStepsInOrder<R>(service: string, steps: readonly InitStep[], ready: R, run: (step: InitStep, after: R) => R): R[] {
    const done = new Map<string, R>();
    return steps.map((step) => {
        const after = step.afterStep === undefined ? ready : done.get(step.afterStep);
        if (after === undefined) throw new Error(`service ${service}: step ${step.name} runs after step '${step.afterStep}', which the service does not list before it`);
        const result = run(step, after);
        done.set(step.name, result);
        return result;
    });
}
