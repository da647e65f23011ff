/**
 * The rules of the llm-platform policy pack. Importing this module only defines them:
 * `policies/index.ts` hands them to a PolicyPack, the tests and the offline check run them.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { exemptions } from "../exemptions";
import { acmCertificateDnsValidation } from "./acm-certificates";
import { autoscaledReplicas } from "./autoscaled-replicas";
import { dockerStatefulBackups, kubernetesStatefulBackups } from "./backups";
import { containerNonRoot, helmReleaseOpaque, kubernetesEphemeralStorage } from "./advisories";
import { kubernetesSecretsNotInConfigMaps } from "./config-map-secrets";
import { cloudnativePgClusters } from "./cloudnative-pg";
import { containerSandbox } from "./container-sandbox";
import { podDisruptionBudgets } from "./disruption-budgets";
import { dockerContainerLimits } from "./docker-limits";
import { kubernetesNoExternalIps } from "./external-ips";
import { gpuRequested } from "./gpu";
import { noHostAccess } from "./host-access";
import { imagesPinned, kubernetesImagePullPolicy } from "./images";
import { kubernetesContainerResources } from "./kubernetes-limits";
import { kubernetesProbes } from "./kubernetes-probes";
import { kmsKeyRotation } from "./kms-keys";
import { loadBalancerHardening } from "./load-balancer-hardening";
import { loadBalancerListenerTls } from "./load-balancers";
import { memorySettingsFitLimits } from "./memory-settings";
import { defaultDenyNetworkPolicy } from "./network-policies";
import { pemCertificateValidity } from "./pem-certificates";
import { noPrivilegeEscalation } from "./privilege-escalation";
import { tlsPrivateKeyStrength } from "./private-keys";
import { noPrivilegedContainers } from "./privileged";
import { proxyAuthRequired } from "./proxy-auth";
import { proxyTlsProtocols } from "./proxy-tls";
import { qdrantPeers } from "./qdrant-peers";
import { databasePortsNotPublic } from "./published-ports";
import { rdsInstanceHardening, rdsMonitoring } from "./rds";
import { elasticacheHardening } from "./elasticache";
import { s3BucketHardening } from "./s3-backups";
import { dockerSecretsInEnv, kubernetesSecretsNotInEnv } from "./secret-env";
import { kubernetesServiceAccountTokens } from "./service-account-tokens";
import { serviceResourceBounds } from "./service-bounds";
import { withExemptions } from "./support/exemptions";
import { tlsCertificateValidity, tlsLeafCertificateUsage } from "./tls-certificates";

type Rule = ResourceValidationPolicy | StackValidationPolicy;

/** Every rule as written, before exemptions. */
export const rules: readonly Rule[] = [
    // Resource limits
    dockerContainerLimits,
    kubernetesContainerResources,
    serviceResourceBounds,
    memorySettingsFitLimits,
    gpuRequested,
    // SSL validity
    tlsCertificateValidity,
    tlsLeafCertificateUsage,
    tlsPrivateKeyStrength,
    pemCertificateValidity,
    acmCertificateDnsValidation,
    loadBalancerListenerTls,
    proxyTlsProtocols,
    // Hardening
    proxyAuthRequired,
    imagesPinned,
    kubernetesImagePullPolicy,
    noPrivilegedContainers,
    noPrivilegeEscalation,
    noHostAccess,
    containerSandbox,
    kubernetesServiceAccountTokens,
    kubernetesSecretsNotInEnv,
    kubernetesSecretsNotInConfigMaps,
    dockerSecretsInEnv,
    databasePortsNotPublic,
    kubernetesNoExternalIps,
    // AWS
    s3BucketHardening,
    kmsKeyRotation,
    loadBalancerHardening,
    rdsInstanceHardening,
    rdsMonitoring,
    elasticacheHardening,
    // Availability on Kubernetes
    cloudnativePgClusters,
    qdrantPeers,
    kubernetesProbes,
    podDisruptionBudgets,
    autoscaledReplicas,
    defaultDenyNetworkPolicy,
    // Data outlives mistakes
    kubernetesStatefulBackups,
    dockerStatefulBackups,
    // Advisory
    kubernetesEphemeralStorage,
    containerNonRoot,
    helmReleaseOpaque,
];

/** The pack: the rules with policies/exemptions.ts applied, and the advisory rule that lists those exemptions. */
export const policies: Rule[] = withExemptions(rules, exemptions);
