import * as pulumi from "@pulumi/pulumi";
import { prepareAws } from "./components/aws/foundation";
import { loadConfig } from "./components/config/load";
import { readEngineFacts } from "./components/platform/docker/engine";
import { checkClaimSizes } from "./components/platform/kubernetes/claims";
import { buildStack } from "./components/stack";

// Validation comes first: a bad value (or, on AWS, a bad subnet; on Kubernetes, a size below a
// live claim's) stops the program before any resource exists.
export = async () => {
    // The machine's facts are read here and handed to validation as plain inputs.
    const config = loadConfig(readEngineFacts);
    checkClaimSizes(config);
    const stack = pulumi.getStack();
    return buildStack(config, stack, undefined, await prepareAws(config, stack, pulumi.getProject()));
};
