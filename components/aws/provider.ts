import * as aws from "@pulumi/aws";
import { AwsSettings } from "./settings";

/** Tags AWS puts on every resource of the stack (the provider's default tags). */
export function defaultTags(a: AwsSettings, stack: string, project: string): Record<string, string> {
    return { ...a.tags, "llm-platform:stack": stack, "llm-platform:project": project, "llm-platform:owner": a.owner };
}

/** The explicit provider every AWS resource and lookup uses: never ambient region or profile defaults. */
export function awsProvider(name: string, region: string, a: AwsSettings, stack: string, project: string): aws.Provider {
    return new aws.Provider(name, { region: region as aws.Region, defaultTags: { tags: defaultTags(a, stack, project) } });
}
