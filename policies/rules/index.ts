/**
 * The rules of the llm-platform policy pack. Importing this module only defines them:
 * `policies/index.ts` hands them to a PolicyPack, the tests and the offline check run them.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { acmCertificateDnsValidation } from "./acm-certificates";
import { dockerContainerLimits } from "./docker-limits";
import { gpuRequested } from "./gpu";
import { imagesPinned } from "./images";
import { kubernetesContainerResources } from "./kubernetes-limits";
import { classicElbTlsPolicy, loadBalancerListenerTls } from "./load-balancers";
import { memorySettingsFitLimits } from "./memory-settings";
import { pemCertificateValidity } from "./pem-certificates";
import { tlsPrivateKeyStrength } from "./private-keys";
import { noPrivilegedContainers } from "./privileged";
import { proxyTlsProtocols } from "./proxy-tls";
import { databasePortsNotPublic } from "./published-ports";
import { rdsInstanceHardening } from "./rds";
import { s3BucketHardening } from "./s3-backups";
import { serviceResourceBounds } from "./service-bounds";
import { tlsCertificateValidity, tlsLeafCertificateUsage } from "./tls-certificates";

export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
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
    classicElbTlsPolicy,
    proxyTlsProtocols,
    // Hardening
    imagesPinned,
    noPrivilegedContainers,
    databasePortsNotPublic,
    s3BucketHardening,
    rdsInstanceHardening,
];
