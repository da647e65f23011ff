import * as aws from "@pulumi/aws";
import { ConfigError, CONFIG_NAMESPACE, PlatformConfig } from "../config/load";
import { keptNames } from "./names";
import { resolveNetwork, Network } from "./network";
import { awsProvider } from "./provider";
import { Adoption, NO_ADOPTION } from "./retained";

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
    /** What `aws.adopt` imports, with the ids that had to be looked up. */
    readonly adoption: Adoption;
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
    const adoption = a.adopt ? await lookUpAdoption(`llm-platform-${stack}`, network, provider, replicaProvider, config.redis.engine === "elasticache") : NO_ADOPTION;
    return { provider, network, accountId: identity.accountId, region, clusterName, adoption, ...(replicaProvider ? { replicaProvider } : {}) };
}

/**
 * The ids `aws.adopt` imports by that are not names: each KMS key's id (through its alias)
 * and the database's and the ElastiCache group's security group ids (by name in the VPC). A missing one stops the program
 * before anything is declared: there is nothing of that stack to adopt.
 */
async function lookUpAdoption(prefix: string, network: Network, provider: aws.Provider, replicaProvider: aws.Provider | undefined, cache: boolean): Promise<Adoption> {
    const names = keptNames(prefix);
    const problems: string[] = [];
    const find = async <T>(what: string, lookup: () => Promise<T>): Promise<T | undefined> => {
        try {
            return await lookup();
        } catch (e) {
            problems.push(`${CONFIG_NAMESPACE}:aws.adopt = true: ${what} was not found (${(e as Error).message.split("\n")[0]}); adopt only what an earlier destroy of this stack kept, or set aws.adopt to false`);
            return undefined;
        }
    };
    const aliases: [string, aws.Provider][] = [[names.backupsKeyAlias, provider], [names.databaseKeyAlias, provider], ...(replicaProvider ? [[names.replicaKeyAlias, replicaProvider] as [string, aws.Provider]] : [])];
    const keyIds: Record<string, string> = {};
    for (const [alias, p] of aliases) {
        const found = await find(`the KMS alias ${alias}`, () => aws.kms.getAlias({ name: alias }, { provider: p }));
        if (found) keyIds[alias] = found.targetKeyId;
    }
    const securityGroupIds: Record<string, string> = {};
    for (const name of [names.database, ...(cache ? [names.cache] : [])]) {
        const group = await find(`the security group ${name} in ${network.vpcId}`, () => aws.ec2.getSecurityGroup({ name, vpcId: network.vpcId }, { provider }));
        if (group) securityGroupIds[name] = group.id;
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return { enabled: true, keyIds, securityGroupIds };
}
