import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Adoption, guarded } from "./retained";

export interface KmsKeyArgs {
    readonly description: string;
    /** `alias/...`: stack-scoped, so two stacks in one account never share a key. */
    readonly alias: string;
    readonly adoption: Adoption;
}

/**
 * A customer-managed KMS key with yearly rotation and an alias. Both are kept on destroy:
 * the data the key encrypts (retained buckets, snapshots) would be unreadable without it,
 * and the alias is how people and `aws.adopt` find the key again.
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
            guarded(child, args.adoption, args.adoption.keyIds[args.alias]),
        );
        new aws.kms.Alias(`${name}-alias`, { name: args.alias, targetKeyId: key.keyId }, guarded(child, args.adoption, args.alias));
        this.arn = key.arn;
        this.keyId = key.keyId;
        this.registerOutputs({ arn: this.arn });
    }
}
