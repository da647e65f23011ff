import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ServiceSpec } from "../platform/types";
import { trustPolicy } from "./backup-role";

export interface CloudwatchReaderArgs {
    readonly roleName: string;
    readonly clusterName: string;
    readonly namespace: string;
    /** The exporter's ServiceAccount: the Kubernetes platform names it after the service. */
    readonly serviceAccount: string;
    /** Read-only actions (cloudwatch-exporter-conf.ts cloudwatchExporterActions). */
    readonly actions: readonly string[];
    /** How the cluster's pods take roles: as the backup jobs do (aws.backupBucket.identity). */
    readonly identity: "pod-identity" | "irsa";
    /** IRSA: the cluster's OIDC issuer URL. */
    readonly oidcIssuer?: string;
    readonly accountId: string;
    /** The cluster's region (the trust policy names the cluster's ARN). */
    readonly region: string;
}

/**
 * The role the CloudWatch exporter reads the managed services' metrics with, taken as the
 * backup jobs take theirs: through EKS Pod Identity (trusted by the agent for exactly the
 * exporter's namespace and ServiceAccount: the session tags the agent sets, as the EKS
 * pod-id-role documentation narrows it) or IRSA (the cluster's OIDC provider for that
 * ServiceAccount); allowed the read-only actions only. CloudWatch, the tagging API and
 * DescribeDBInstances take no resource-level restriction: `*`.
 */
export class CloudwatchReader extends pulumi.ComponentResource {
    readonly arn: pulumi.Output<string>;
    /** How the exporter's ServiceAccount takes the role (ServiceSpec.awsIdentity). */
    readonly identity: NonNullable<ServiceSpec["awsIdentity"]>;
    /** The role and its association: the exporter's pods must start after them to get credentials. */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: CloudwatchReaderArgs, opts: pulumi.ComponentResourceOptions & { provider: aws.Provider }) {
        super("llm-platform:aws:CloudwatchReader", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const role = new aws.iam.Role(
            name,
            {
                name: args.roleName,
                maxSessionDuration: 3600,
                assumeRolePolicy: trustPolicy(args),
            },
            child,
        );
        new aws.iam.RolePolicy(
            `${name}-read`,
            {
                role: role.name,
                name: "read-managed-service-metrics",
                policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "ReadMetrics", Effect: "Allow", Action: [...args.actions], Resource: "*" }] }),
            },
            child,
        );
        const association =
            args.identity === "pod-identity"
                ? new aws.eks.PodIdentityAssociation(
                      `${name}-pod-identity`,
                      { clusterName: args.clusterName, namespace: args.namespace, serviceAccount: args.serviceAccount, roleArn: role.arn },
                      child,
                  )
                : undefined;
        this.arn = role.arn;
        this.identity = args.identity === "pod-identity" ? { kind: "pod-identity" } : { kind: "irsa", roleArn: role.arn };
        this.ready = association ? [role, association] : [role];
        this.registerOutputs({ arn: this.arn });
    }
}
