import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Network } from "./network";
import { Adoption, retained } from "./retained";

export interface ClusterOnlySecurityGroupArgs {
    /** The group's name: the kept name the store's other objects share. */
    readonly id: string;
    /** What listens behind it, for the descriptions (`PostgreSQL`, `Valkey`). */
    readonly what: string;
    readonly port: number;
    readonly network: Network;
    readonly adoption: Adoption;
}

/**
 * A store's security group: no egress, and in only from the EKS cluster's security group on the
 * store's port. Kept with the store it guards (retained.ts): AWS refuses to delete a group in
 * use, and `aws.adopt` finds it again by name.
 */
export function clusterOnlySecurityGroup(name: string, args: ClusterOnlySecurityGroupArgs, opts: pulumi.CustomResourceOptions): aws.ec2.SecurityGroup {
    const { id, what, port, network, adoption } = args;
    const group = new aws.ec2.SecurityGroup(
        `${name}-sg`,
        { name: id, description: `${what} ${id}: the EKS cluster only`, vpcId: network.vpcId, egress: [] },
        retained(opts, adoption, adoption.securityGroupIds[id]),
    );
    new aws.vpc.SecurityGroupIngressRule(
        `${name}-from-cluster`,
        {
            securityGroupId: group.id,
            referencedSecurityGroupId: network.clusterSecurityGroupId,
            ipProtocol: "tcp",
            fromPort: port,
            toPort: port,
            description: `${what} from the EKS cluster security group`,
        },
        opts,
    );
    return group;
}
