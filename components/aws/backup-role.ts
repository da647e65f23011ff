import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { partitionOf } from "./names";

/** A bucket the role reads backups from: its ARN, its region (the key is used through S3 there), and its key. */
export interface BackupBucketAccess {
    readonly bucketArn: pulumi.Input<string>;
    readonly region: string;
    readonly kmsKeyArn: pulumi.Input<string>;
}

export interface BackupRoleArgs {
    readonly roleName: string;
    /** The bucket the jobs write to. */
    readonly bucket: BackupBucketAccess;
    /** The replica in a second region: read and restore only (a restore after losing the first region). */
    readonly replica?: BackupBucketAccess;
    /** Ends in `/`; the role reads and writes only below it. */
    readonly prefix: string;
    readonly clusterName: string;
    readonly namespace: string;
    readonly serviceAccount: string;
    /** ServiceAccounts an operator names (a CloudNativePG cluster's, after the cluster) that write to the same prefix. */
    readonly operatorServiceAccounts?: readonly string[];
    /** EKS Pod Identity (an association) or IRSA (the ServiceAccount annotation `eks.amazonaws.com/role-arn`). */
    readonly identity: "pod-identity" | "irsa";
    /** IRSA: the cluster's OIDC issuer URL. */
    readonly oidcIssuer?: string;
    readonly accountId: string;
}

/** Who may assume a role: one ServiceAccount of one namespace in the cluster, in this account and region. */
export type TrustArgs = Pick<BackupRoleArgs, "identity" | "oidcIssuer" | "accountId" | "clusterName" | "namespace" | "serviceAccount" | "operatorServiceAccounts"> & {
    readonly region: string;
};

/**
 * The trust policy. Pod Identity: the agent may assume the role only for this cluster's
 * ServiceAccount in this namespace (the session tags it sets: the EKS `pod-id-role` doc's
 * conditions, with the cluster's ARN as well). IRSA:
 * the cluster's OIDC provider for exactly that ServiceAccount.
 */
export function trustPolicy(args: TrustArgs): string {
    const region = args.region;
    // One ServiceAccount as a string (the form every existing role has), several as a list (any of them).
    const accounts = [args.serviceAccount, ...(args.operatorServiceAccounts ?? [])];
    const oneOf = <T>(values: T[]): T | T[] => (values.length === 1 ? values[0] : values);
    if (args.identity === "pod-identity") {
        const clusterArn = `arn:${partitionOf(region)}:eks:${region}:${args.accountId}:cluster/${args.clusterName}`;
        return JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { Service: "pods.eks.amazonaws.com" },
                    Action: ["sts:AssumeRole", "sts:TagSession"],
                    // The session tags the agent sets on AssumeRole (EKS pod-id-abac doc, "List of session tags").
                    Condition: {
                        StringEquals: {
                            "aws:RequestTag/eks-cluster-arn": clusterArn,
                            "aws:RequestTag/kubernetes-namespace": args.namespace,
                            "aws:RequestTag/kubernetes-service-account": oneOf(accounts),
                        },
                    },
                },
            ],
        });
    }
    const issuer = (args.oidcIssuer as string).replace(/^https:\/\//, "");
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: `arn:${partitionOf(region)}:iam::${args.accountId}:oidc-provider/${issuer}` },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${issuer}:sub`]: oneOf(accounts.map((a) => `system:serviceaccount:${args.namespace}:${a}`)),
                        [`${issuer}:aud`]: "sts.amazonaws.com",
                    },
                },
            },
        ],
    });
}

/**
 * The role the backup jobs run as. Under its prefix only: list, read, restore archived
 * objects (RestoreObject: GLACIER needs it before a read) and add new objects; never delete,
 * never change a lock (the bucket's Object Lock keeps every version for its retention
 * anyway). Its keys only through S3 of their region (kms:ViaService).
 */
export class BackupRole extends pulumi.ComponentResource {
    readonly arn: pulumi.Output<string>;

    constructor(name: string, args: BackupRoleArgs, opts: pulumi.ComponentResourceOptions & { provider: aws.Provider }) {
        super("llm-platform:aws:BackupRole", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const role = new aws.iam.Role(name, { name: args.roleName, assumeRolePolicy: trustPolicy({ ...args, region: args.bucket.region }), maxSessionDuration: 3600 }, child);
        const replica = args.replica;
        const policy = pulumi
            .all([args.bucket.bucketArn, args.bucket.kmsKeyArn, replica?.bucketArn ?? "", replica?.kmsKeyArn ?? ""])
            .apply(([bucket, key, replicaBucket, replicaKey]) => JSON.stringify({ Version: "2012-10-17", Statement: backupStatements(args, { bucket, key }, replica && { bucket: replicaBucket, key: replicaKey }) }));
        new aws.iam.RolePolicy(`${name}-access`, { role: role.name, name: "backup-bucket-prefix", policy }, child);
        if (args.identity === "pod-identity") {
            new aws.eks.PodIdentityAssociation(
                `${name}-pod-identity`,
                { clusterName: args.clusterName, namespace: args.namespace, serviceAccount: args.serviceAccount, roleArn: role.arn },
                child,
            );
            for (const account of args.operatorServiceAccounts ?? []) {
                new aws.eks.PodIdentityAssociation(
                    `${name}-pod-identity-${account}`,
                    { clusterName: args.clusterName, namespace: args.namespace, serviceAccount: account, roleArn: role.arn },
                    child,
                );
            }
        }
        this.arn = role.arn;
        this.registerOutputs({ arn: this.arn });
    }
}

const viaS3 = (region: string) => ({ StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } });

function backupStatements(args: BackupRoleArgs, own: { bucket: string; key: string }, replica?: { bucket: string; key: string }) {
    const prefix = args.prefix;
    const read = (sid: string, bucket: string) => [
        { Sid: `List${sid}`, Effect: "Allow", Action: "s3:ListBucket", Resource: bucket, Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } } },
        { Sid: `ReadAndRestore${sid}`, Effect: "Allow", Action: ["s3:GetObject", "s3:RestoreObject"], Resource: `${bucket}/${prefix}*` },
    ];
    return [
        ...read("Backups", own.bucket),
        // New backups only: a PUT never replaces a locked version, it adds one (Object Lock).
        { Sid: "WriteNewBackups", Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload"], Resource: `${own.bucket}/${prefix}*` },
        { Sid: "UseBackupKeyThroughS3", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: own.key, Condition: viaS3(args.bucket.region) },
        ...(replica && args.replica
            ? [...read("Replica", replica.bucket), { Sid: "ReadReplicaKeyThroughS3", Effect: "Allow", Action: "kms:Decrypt", Resource: replica.key, Condition: viaS3(args.replica.region) }]
            : []),
    ];
}
