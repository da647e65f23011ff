import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface CloudwatchReaderArgs {
    readonly roleName: string;
    readonly clusterName: string;
    readonly namespace: string;
    /** The exporter's ServiceAccount: the Kubernetes platform names it after the service. */
    readonly serviceAccount: string;
    /** Read-only actions (cloudwatch-exporter-conf.ts cloudwatchExporterActions). */
    readonly actions: readonly string[];
}

/**
 * The role the CloudWatch exporter reads the managed services' metrics with, through EKS Pod
 * Identity: trusted by the Pod Identity agent for exactly the exporter's namespace and
 * ServiceAccount (the session tags the agent sets, as the EKS pod-id-role documentation
 * narrows it), allowed the read-only actions only. CloudWatch, the tagging API and
 * DescribeDBInstances take no resource-level restriction: `*`.
 */
export class CloudwatchReader extends pulumi.ComponentResource {
    readonly arn: pulumi.Output<string>;
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
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Service: "pods.eks.amazonaws.com" },
                            Action: ["sts:AssumeRole", "sts:TagSession"],
                            Condition: {
                                StringEquals: {
                                    "aws:RequestTag/kubernetes-namespace": args.namespace,
                                    "aws:RequestTag/kubernetes-service-account": args.serviceAccount,
                                },
                            },
                        },
                    ],
                }),
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
        const association = new aws.eks.PodIdentityAssociation(
            `${name}-pod-identity`,
            { clusterName: args.clusterName, namespace: args.namespace, serviceAccount: args.serviceAccount, roleArn: role.arn },
            child,
        );
        this.arn = role.arn;
        this.ready = [role, association];
        this.registerOutputs({ arn: this.arn });
    }
}
