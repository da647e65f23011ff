import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface KmsKeyArgs {
    readonly description: string;
    /** `alias/<aliasName>`: stack-scoped, so two stacks in one account never share a key. */
    readonly aliasName: string;
}

/**
 * A customer-managed KMS key with yearly rotation and an alias. Kept on destroy: the data it
 * encrypts (retained buckets, snapshots) would be unreadable without it.
 */
export class KmsKey extends pulumi.ComponentResource {
    readonly arn: pulumi.Output<string>;
    readonly keyId: pulumi.Output<string>;

    constructor(name: string, args: KmsKeyArgs, opts: pulumi.ComponentResourceOptions & { provider: aws.Provider }) {
        super("llm-platform:aws:KmsKey", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const key = new aws.kms.Key(
            name,
            { description: args.description, enableKeyRotation: true, rotationPeriodInDays: 365, deletionWindowInDays: 30 },
            { ...child, protect: true, retainOnDelete: true },
        );
        new aws.kms.Alias(`${name}-alias`, { name: `alias/${args.aliasName}`, targetKeyId: key.keyId }, child);
        this.arn = key.arn;
        this.keyId = key.keyId;
        this.registerOutputs({ arn: this.arn });
    }
}
