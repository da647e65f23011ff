import * as aws from "@pulumi/aws";
import { AwsSettings } from "./settings";
import { CONFIG_NAMESPACE, ConfigError } from "../config/load";

/** Where the AWS pieces go, checked against what AWS reports. */
export interface Network {
    readonly vpcId: string;
    readonly privateSubnetIds: string[];
    /** The private subnets' address ranges (RDS is in them): where the in-cluster jobs that reach RDS may connect. */
    readonly privateSubnetCidrs: string[];
    readonly publicSubnetIds: string[];
    readonly clusterSecurityGroupId: string;
    /** The VPC's IPv4 CIDRs: where its interface endpoints (S3, STS under private DNS) answer. */
    readonly vpcCidrs: string[];
    /** The cluster's OIDC issuer (IRSA), when read from the cluster. */
    readonly oidcIssuer?: string;
}

interface Subnet {
    readonly id: string;
    readonly vpcId: string;
    readonly cidrBlock: string;
    readonly availabilityZone?: string;
    readonly tags: Record<string, string>;
}

// The EKS convention the AWS Load Balancer Controller also follows.
const PUBLIC_ROLE_TAG = "kubernetes.io/role/elb";
const PRIVATE_ROLE_TAG = "kubernetes.io/role/internal-elb";
const MIN_ZONES = 2;

/**
 * Reads the network from config or from the EKS cluster and validates it: every subnet in
 * the VPC and in a zone, private and public subnets each in at least two zones (Multi-AZ
 * RDS and the ALB need two). Runs before any AWS resource exists; a problem names its key.
 */
export async function resolveNetwork(a: AwsSettings, clusterFallback: string | undefined, provider: aws.Provider): Promise<Network> {
    const n = a.network;
    const key = (k: string) => `${CONFIG_NAMESPACE}:aws.network.${k}`;
    const clusterName = n.eksClusterName ?? clusterFallback;
    const cluster = clusterName === undefined ? undefined : await aws.eks.getCluster({ name: clusterName }, { provider });
    const clusterKey = n.eksClusterName !== undefined ? key("eksClusterName") : `${CONFIG_NAMESPACE}:kubernetes.eksClusterName`;
    const fromCluster = cluster?.vpcConfig;

    const vpcId = n.vpcId ?? fromCluster?.vpcId;
    const securityGroup = n.clusterSecurityGroupId ?? fromCluster?.clusterSecurityGroupId;
    const problems: string[] = [];
    if (!vpcId) problems.push(`${key("vpcId")} = (not set): cluster ${clusterName} reports no VPC; set it`);
    if (!securityGroup) problems.push(`${key("clusterSecurityGroupId")} = (not set): cluster ${clusterName} reports no cluster security group; set it`);

    const lookup = (ids: readonly string[]) =>
        Promise.all(ids.map(async (id): Promise<Subnet> => {
            const s = await aws.ec2.getSubnet({ id }, { provider });
            return { id, vpcId: s.vpcId, cidrBlock: s.cidrBlock, availabilityZone: s.availabilityZone || undefined, tags: s.tags ?? {} };
        }));
    const clusterSubnets = n.privateSubnetIds && n.publicSubnetIds ? [] : await lookup(fromCluster?.subnetIds ?? []);
    const pick = async (explicit: readonly string[] | undefined, roleTag: string, name: string) =>
        explicit !== undefined
            ? { subnets: await lookup(explicit), where: key(name) }
            : { subnets: clusterSubnets.filter((s) => s.tags[roleTag] === "1"), where: `${clusterKey} (the cluster's subnets tagged ${roleTag}=1, or set ${key(name)})` };
    const groups = [await pick(n.privateSubnetIds, PRIVATE_ROLE_TAG, "privateSubnetIds"), await pick(n.publicSubnetIds, PUBLIC_ROLE_TAG, "publicSubnetIds")];

    for (const { subnets, where } of groups) {
        for (const s of subnets) {
            if (vpcId && s.vpcId !== vpcId) problems.push(`${where}: ${s.id} is in ${s.vpcId}, not in the VPC ${vpcId}; every subnet must be in the cluster's VPC`);
            if (!s.availabilityZone) problems.push(`${where}: ${s.id} reports no availability zone`);
        }
        const zones = new Set(subnets.map((s) => s.availabilityZone).filter((z) => z));
        if (zones.size < MIN_ZONES) {
            problems.push(
                `${where} = ${JSON.stringify(subnets.map((s) => s.id))}: covers ${zones.size} availability zone(s) (${[...zones].join(", ") || "none"}); ` +
                    `at least ${MIN_ZONES} are required (Multi-AZ RDS and the ALB each need two)`,
            );
        }
    }
    if (problems.length > 0) throw new ConfigError(problems);
    const vpc = await aws.ec2.getVpc({ id: vpcId }, { provider });
    const gone = ["disassociating", "disassociated", "failing", "failed"];
    const vpcCidrs = [...new Set([vpc.cidrBlock, ...vpc.cidrBlockAssociations.filter((a) => !gone.includes(a.state)).map((a) => a.cidrBlock)])];
    const issuer = cluster?.identities[0]?.oidcs[0]?.issuer;
    return {
        vpcId: vpcId as string,
        privateSubnetIds: groups[0].subnets.map((s) => s.id),
        privateSubnetCidrs: groups[0].subnets.map((s) => s.cidrBlock),
        publicSubnetIds: groups[1].subnets.map((s) => s.id),
        clusterSecurityGroupId: securityGroup as string,
        vpcCidrs,
        ...(issuer ? { oidcIssuer: issuer } : {}),
    };
}
