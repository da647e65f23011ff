import * as aws from "@pulumi/aws";
import { ConfigError, CONFIG_NAMESPACE, PlatformConfig } from "../config/load";
import { resolveNetwork, Network } from "./network";
import { awsProvider } from "./provider";

/** What every AWS piece of a stack builds on: the explicit provider, the checked network, the account. */
export interface AwsFoundation {
    readonly provider: aws.Provider;
    readonly network: Network;
    readonly accountId: string;
    readonly region: string;
    /** The same provider in `aws.backupBucket.replicaRegion`, when backups are replicated. */
    readonly replicaProvider?: aws.Provider;
    /** The EKS cluster the backup role is bound to. */
    readonly clusterName: string;
}

/**
 * Reads and checks what the AWS pieces need from AWS (network, account) before any of
 * them is declared, so a bad subnet stops `pulumi up` with nothing created but the
 * provider. Undefined when the stack has no `aws` object.
 */
export async function prepareAws(config: PlatformConfig, stack: string, project: string): Promise<AwsFoundation | undefined> {
    const a = config.aws;
    if (a === undefined) return undefined;
    // checkAwsConfig made sure each has a value.
    const clusterName = (a.network.eksClusterName ?? config.kubernetes.eksClusterName) as string;
    const region = (a.region ?? config.kubernetes.awsRegion) as string;
    const provider = awsProvider(`llm-platform-${stack}-aws`, region, a, stack, project);
    const [network, identity] = await Promise.all([resolveNetwork(a, clusterName, provider), aws.getCallerIdentity({}, { provider })]);
    if (a.backupBucket.identity === "irsa" && network.oidcIssuer === undefined) {
        throw new ConfigError([`${CONFIG_NAMESPACE}:aws.backupBucket.identity = "irsa": cluster ${clusterName} has no OIDC issuer; use "pod-identity" or enable IRSA on the cluster`]);
    }
    const replicaRegion = a.backupBucket.replicaRegion;
    const replicaProvider = replicaRegion === undefined ? undefined : awsProvider(`llm-platform-${stack}-aws-${replicaRegion}`, replicaRegion, a, stack, project);
    return { provider, network, accountId: identity.accountId, region, clusterName, ...(replicaProvider ? { replicaProvider } : {}) };
}
