import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

// Constructing the pack starts the analyzer server: nothing else may live in this file.
new PolicyPack("llm-platform", {
    policies,
    description: "Resource limits, certificate validity and hardening for the llm-platform stacks (Docker dev, Kubernetes + AWS prod).",
    enforcementLevel: "advisory",
});
