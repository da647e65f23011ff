import * as pulumi from "@pulumi/pulumi";
import { mockState } from "../../harness/mock-state";
import { setMocksWithErrorHooks } from "../../harness/mock-monitor";

export interface Registered {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

/** Installs Pulumi's mocks for a component test; returns what gets registered. */
export async function useMocks(stack = "test"): Promise<Registered[]> {
    const registered: Registered[] = [];
    await setMocksWithErrorHooks(
        {
            newResource(args) {
                registered.push({ type: args.type, name: args.name, inputs: args.inputs });
                const state = mockState(args.type, args.name, args.inputs, 0);
                return { id: `${args.name}-id`, state };
            },
            call: (args) => args.inputs,
        },
        "llm-platform",
        stack,
    );
    return registered;
}

/** The plain value of any input (secrets unwrapped). */
export function settle<T>(value: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
    return (pulumi.output(value) as any).promise();
}
