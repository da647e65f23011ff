import * as pulumi from "@pulumi/pulumi";
import { prepareAws } from "./components/aws/foundation";
import { loadConfig } from "./components/config/load";
import { readEngineFacts } from "./components/platform/docker/engine";
import { buildStack } from "./components/stack";

// Validation comes first: a bad value (or, on AWS, a bad subnet) stops the program before any resource exists.
export = async () => {
    // The machine's facts are read here and handed to validation as plain inputs.
    const config = loadConfig(readEngineFacts);
    const stack = pulumi.getStack();
    return buildStack(config, stack, undefined, await prepareAws(config, stack, pulumi.getProject()));
};
