import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface BackupRoleArgs {
    readonly roleName: string;
    readonly bucketArn: pulumi.Input<string>;
    /** Ends in `/`; the role reads, writes and prunes only below it. */
    readonly prefix: string;
    readonly kmsKeyArn: pulumi.Input<string>;
    readonly clusterName: string;
    readonly namespace: string;
    readonly serviceAccount: string;
    /** EKS Pod Identity (an association) or IRSA (the ServiceAccount annotation `eks.amazonaws.com/role-arn`). */
    readonly identity: "pod-identity" | "irsa";
    /** IRSA: the cluster's OIDC issuer URL. */
    readonly oidcIssuer?: string;
    readonly accountId: pulumi.Input<string>;
}

/** The trust policy: the EKS Pod Identity agent, or the cluster's OIDC provider for exactly one ServiceAccount. */
export function trustPolicy(args: Pick<BackupRoleArgs, "identity" | "oidcIssuer" | "accountId" | "namespace" | "serviceAccount">): pulumi.Output<string> {
    if (args.identity === "pod-identity") {
        return pulumi.output(
            JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
            }),
        );
    }
    const issuer = (args.oidcIssuer as string).replace(/^https:\/\//, "");
    return pulumi.output(args.accountId).apply((account) =>
        JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { Federated: `arn:aws:iam::${account}:oidc-provider/${issuer}` },
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: {
                        StringEquals: {
                            [`${issuer}:sub`]: `system:serviceaccount:${args.namespace}:${args.serviceAccount}`,
                            [`${issuer}:aud`]: "sts.amazonaws.com",
                        },
                    },
                },
            ],
        }),
    );
}

/**
 * The role the backup jobs run as: list, read, write and delete (pruning) under its
 * prefix of the backup bucket only, and use only the bucket's KMS key.
 */
export class BackupRole extends pulumi.ComponentResource {
    readonly arn: pulumi.Output<string>;

    constructor(name: string, args: BackupRoleArgs, opts: pulumi.ComponentResourceOptions & { provider: aws.Provider }) {
        super("llm-platform:aws:BackupRole", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const role = new aws.iam.Role(name, { name: args.roleName, assumeRolePolicy: trustPolicy(args), maxSessionDuration: 3600 }, child);
        const policy = pulumi.all([args.bucketArn, args.kmsKeyArn]).apply(([bucket, key]) =>
            JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    { Sid: "ListOwnPrefix", Effect: "Allow", Action: "s3:ListBucket", Resource: bucket, Condition: { StringLike: { "s3:prefix": [`${args.prefix}*`] } } },
                    { Sid: "ReadWriteOwnPrefix", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"], Resource: `${bucket}/${args.prefix}*` },
                    { Sid: "UseBucketKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"], Resource: key },
                ],
            }),
        );
        new aws.iam.RolePolicy(`${name}-access`, { role: role.name, name: "backup-bucket-prefix", policy }, child);
        if (args.identity === "pod-identity") {
            new aws.eks.PodIdentityAssociation(
                `${name}-pod-identity`,
                { clusterName: args.clusterName, namespace: args.namespace, serviceAccount: args.serviceAccount, roleArn: role.arn },
                child,
            );
        }
        this.arn = role.arn;
        this.registerOutputs({ arn: this.arn });
    }
}
