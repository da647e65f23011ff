import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./components/config/load";
import { buildStack } from "./components/stack";

// Validation comes first: a bad value stops the program before any resource exists.
export = buildStack(loadConfig(), pulumi.getStack());
