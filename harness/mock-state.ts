import { createHash } from "crypto";

const digest = (s: string) => createHash("sha256").update(s).digest("hex");
const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${Buffer.from(body).toString("base64")}\n-----END ${label}-----\n`;

/** A password of the requested length that meets every composition rule we ask for. */
function mockPassword(name: string, length: number, special: boolean): string {
    const seed = digest(name);
    const base = special ? `Aa1-Bb2_${seed}` : `Aa1Bb2${seed}`;
    return base.repeat(Math.ceil(length / base.length)).slice(0, length);
}

/**
 * The state a provider would return for a resource: its inputs plus the outputs the
 * program reads (image ids, generated secrets, PEMs, exit codes). Deterministic.
 */
export function mockState(type: string, name: string, inputs: Record<string, any>, stepExitCode: number | null): Record<string, any> {
    switch (type) {
        case "docker:index/remoteImage:RemoteImage":
            return { ...inputs, imageId: `sha256:${digest(inputs.name)}`, repoDigest: `${inputs.name}@sha256:${digest(inputs.name)}` };
        case "docker:index/container:Container":
            return inputs.attach ? { ...inputs, exitCode: stepExitCode ?? undefined, containerLogs: inputs.logs ? `step ${name} output\n` : undefined } : inputs;
        case "random:index/randomPassword:RandomPassword":
            return { ...inputs, result: mockPassword(name, inputs.length, inputs.special !== false) };
        case "tls:index/privateKey:PrivateKey":
            return { ...inputs, privateKeyPem: pem("PRIVATE KEY", `mock key ${name}`), publicKeyPem: pem("PUBLIC KEY", `mock ${name}`) };
        case "tls:index/certRequest:CertRequest":
            return { ...inputs, certRequestPem: pem("CERTIFICATE REQUEST", `mock csr ${name}`) };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert": {
            const start = new Date("2026-01-01T00:00:00Z");
            const end = new Date(start.getTime() + inputs.validityPeriodHours * 3600_000);
            return {
                ...inputs,
                // A new validity is a new certificate (the provider replaces it, as an early renewal does): new content.
                certPem: pem("CERTIFICATE", `mock cert ${name} for ${inputs.validityPeriodHours} h`),
                validityStartTime: start.toISOString(),
                validityEndTime: end.toISOString(),
                readyForRenewal: false,
            };
        }
        case "kubernetes:batch/v1:Job": {
            // What the Job reports once its pod exited: complete, or failed after every retry.
            // null: no outcome at all, as a Job saved after its create timed out.
            const status =
                stepExitCode === null
                    ? {}
                    : stepExitCode === 0
                      ? { succeeded: 1, conditions: [{ type: "Complete", status: "True" }] }
                      : { failed: (inputs.spec?.backoffLimit ?? 6) + 1, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] };
            return { ...inputs, status };
        }
        default:
            return type.startsWith("aws:") ? mockAwsState(type, name, inputs) : inputs;
    }
}

/** The attributes AWS computes that the program reads: ARNs, endpoints, DNS names, validation records. */
function mockAwsState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    const id = digest(`${type}/${name}`).slice(0, 17);
    const arn = (service: string, resource: string) => `arn:aws:${service}:eu-west-1:123456789012:${resource}`;
    switch (type) {
        case "aws:s3/bucket:Bucket":
            return { ...inputs, arn: `arn:aws:s3:::${inputs.bucket}`, bucketRegionalDomainName: `${inputs.bucket}.s3.eu-west-1.amazonaws.com` };
        case "aws:kms/key:Key":
            return { ...inputs, keyId: `${id.slice(0, 8)}-0000-4000-8000-${id.slice(0, 12)}`, arn: arn("kms", `key/${id.slice(0, 8)}-0000-4000-8000-${id.slice(0, 12)}`) };
        case "aws:iam/role:Role":
            return { ...inputs, arn: `arn:aws:iam::123456789012:role/${inputs.name ?? name}`, uniqueId: `AROA${id.toUpperCase()}` };
        case "aws:iam/policy:Policy":
            return { ...inputs, arn: `arn:aws:iam::123456789012:policy/${inputs.name ?? name}` };
        case "aws:acm/certificate:Certificate": {
            const names: string[] = [inputs.domainName, ...(inputs.subjectAlternativeNames ?? [])];
            return {
                ...inputs,
                arn: arn("acm", `certificate/${id.slice(0, 8)}-1111-4111-8111-${id.slice(0, 12)}`),
                domainValidationOptions: [...new Set(names)].map((domainName) => ({
                    domainName,
                    resourceRecordName: `_${digest(domainName).slice(0, 32)}.${domainName}.`,
                    resourceRecordType: "CNAME",
                    resourceRecordValue: `_${digest(`v ${domainName}`).slice(0, 32)}.xlfgrmvvlj.acm-validations.aws.`,
                })),
            };
        }
        case "aws:lb/loadBalancer:LoadBalancer":
            return {
                ...inputs,
                arn: arn("elasticloadbalancing", `loadbalancer/app/${inputs.name}/${id.slice(0, 16)}`),
                arnSuffix: `app/${inputs.name}/${id.slice(0, 16)}`,
                dnsName: `${inputs.name}-${parseInt(id.slice(0, 8), 16)}.eu-west-1.elb.amazonaws.com`,
                zoneId: "Z32O12XQLNTSW2",
            };
        case "aws:lb/targetGroup:TargetGroup":
            return { ...inputs, arn: arn("elasticloadbalancing", `targetgroup/${inputs.name}/${id.slice(0, 16)}`) };
        case "aws:rds/instance:Instance":
            return {
                ...inputs,
                arn: arn("rds", `db:${inputs.identifier}`),
                address: `${inputs.identifier}.c${id.slice(0, 11)}.eu-west-1.rds.amazonaws.com`,
                endpoint: `${inputs.identifier}.c${id.slice(0, 11)}.eu-west-1.rds.amazonaws.com:5432`,
                port: inputs.port ?? 5432,
                resourceId: `db-${id.toUpperCase()}`,
                masterUserSecrets: inputs.manageMasterUserPassword
                    ? [{ kmsKeyId: inputs.masterUserSecretKmsKeyId, secretArn: arn("secretsmanager", `secret:rds!db-${id.slice(0, 8)}-AbCdEf`), secretStatus: "active" }]
                    : [],
            };
        case "aws:elasticache/replicationGroup:ReplicationGroup":
            // Cluster mode off: a primary and a reader endpoint (master./replica. names); the Read's forms (engine_version major.minor).
            return {
                ...inputs,
                arn: arn("elasticache", `replicationgroup:${inputs.replicationGroupId}`),
                primaryEndpointAddress: `master.${inputs.replicationGroupId}.${id.slice(0, 6)}.euw1.cache.amazonaws.com`,
                readerEndpointAddress: `replica.${inputs.replicationGroupId}.${id.slice(0, 6)}.euw1.cache.amazonaws.com`,
                engineVersionActual: `${inputs.engineVersion}.0`,
                memberClusters: Array.from({ length: inputs.numCacheClusters }, (_, i) => `${inputs.replicationGroupId}-00${i + 1}`),
            };
        case "aws:wafv2/webAcl:WebAcl":
            return { ...inputs, arn: arn("wafv2", `regional/webacl/${inputs.name}/${id.slice(0, 8)}`) };
        default:
            return { ...inputs, arn: arn(type.split(":")[1].split("/")[0], `${name}/${id}`) };
    }
}

/**
 * The example account's network as EC2 would describe it: an EKS-style VPC with private
 * and public subnets in three zones (tagged as eksctl and the EKS console tag them), and a
 * subnet of another VPC and a single-zone pair for tests of bad network config.
 */
export const MOCK_VPC_ID = "vpc-0a1b2c3d4e5f60718";
export const MOCK_VPC_CIDR = "10.0.0.0/16";
export const MOCK_CLUSTER_SECURITY_GROUP = "sg-0c1a2b3c4d5e6f708";
const subnet = (id: string, vpcId: string, zone: string, cidr: string, role: "elb" | "internal-elb") => ({
    id,
    vpcId,
    availabilityZone: zone,
    availabilityZoneId: `euw1-az${zone.slice(-1) === "a" ? 1 : zone.slice(-1) === "b" ? 2 : 3}`,
    cidrBlock: cidr,
    mapPublicIpOnLaunch: role === "elb",
    tags: { [`kubernetes.io/role/${role}`]: "1" },
});
export const MOCK_SUBNETS = {
    privateA: subnet("subnet-0aa0000000000000a", MOCK_VPC_ID, "eu-west-1a", "10.0.0.0/19", "internal-elb"),
    privateB: subnet("subnet-0bb0000000000000b", MOCK_VPC_ID, "eu-west-1b", "10.0.32.0/19", "internal-elb"),
    privateC: subnet("subnet-0cc0000000000000c", MOCK_VPC_ID, "eu-west-1c", "10.0.64.0/19", "internal-elb"),
    publicA: subnet("subnet-0ad0000000000000a", MOCK_VPC_ID, "eu-west-1a", "10.0.96.0/22", "elb"),
    publicB: subnet("subnet-0bd0000000000000b", MOCK_VPC_ID, "eu-west-1b", "10.0.100.0/22", "elb"),
    publicC: subnet("subnet-0cd0000000000000c", MOCK_VPC_ID, "eu-west-1c", "10.0.104.0/22", "elb"),
    /** Another VPC's subnet. */
    foreign: subnet("subnet-0ff000000000000ff", "vpc-0ffffffffffffffff", "eu-west-1a", "172.31.0.0/20", "internal-elb"),
    /** A second private subnet in zone a. */
    privateA2: subnet("subnet-0a2000000000000a2", MOCK_VPC_ID, "eu-west-1a", "10.0.128.0/19", "internal-elb"),
} as const;

/** What a provider function returns under mocks: the cluster an EKS lookup finds, its subnets. */
export function mockCall(token: string, inputs: Record<string, any>): Record<string, any> {
    switch (token) {
        case "aws:eks/getCluster:getCluster":
            return {
                ...inputs,
                arn: `arn:aws:eks:eu-west-1:123456789012:cluster/${inputs.name}`,
                endpoint: `https://${digest(inputs.name).slice(0, 32).toUpperCase()}.gr7.eu-west-1.eks.amazonaws.com`,
                certificateAuthorities: [{ data: Buffer.from(pem("CERTIFICATE", `mock cluster CA ${inputs.name}`)).toString("base64") }],
                identities: [{ oidcs: [{ issuer: `https://oidc.eks.eu-west-1.amazonaws.com/id/${digest(inputs.name).slice(0, 32).toUpperCase()}` }] }],
                vpcConfig: {
                        vpcId: MOCK_VPC_ID,
                        clusterSecurityGroupId: MOCK_CLUSTER_SECURITY_GROUP,
                        securityGroupIds: [],
                        subnetIds: ["privateA", "privateB", "privateC", "publicA", "publicB", "publicC"].map((k) => MOCK_SUBNETS[k as keyof typeof MOCK_SUBNETS].id),
                        endpointPrivateAccess: true,
                        endpointPublicAccess: true,
                        publicAccessCidrs: ["0.0.0.0/0"],
                        controlPlaneEgressMode: "",
                },
            };
        case "aws:ec2/getSubnet:getSubnet": {
            const found = Object.values(MOCK_SUBNETS).find((s) => s.id === inputs.id);
            // EC2 answers InvalidSubnetID.NotFound; the provider fails the lookup.
            if (!found) throw new Error(`reading EC2 Subnet (${inputs.id}): couldn't find resource`);
            return { ...inputs, ...found, arn: `arn:aws:ec2:eu-west-1:123456789012:subnet/${found.id}` };
        }
        case "aws:ec2/getVpc:getVpc": {
            if (inputs.id !== MOCK_VPC_ID) throw new Error(`reading EC2 VPC (${inputs.id}): couldn't find resource`);
            // The primary CIDR, and a secondary one as EKS custom networking adds for pods.
            const cidrBlockAssociations = [
                { associationId: "vpc-cidr-assoc-0a1b2c3d", cidrBlock: MOCK_VPC_CIDR, state: "associated" },
                { associationId: "vpc-cidr-assoc-0e1f2a3b", cidrBlock: "100.64.0.0/16", state: "associated" },
            ];
            return { ...inputs, arn: `arn:aws:ec2:eu-west-1:123456789012:vpc/${MOCK_VPC_ID}`, cidrBlock: MOCK_VPC_CIDR, cidrBlockAssociations };
        }
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return { accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/deployer", id: "123456789012", userId: "AIDAEXAMPLE" };
        case "aws:kms/getAlias:getAlias":
            // The mock account starts empty: an alias exists only where a test's cloud model says so.
            throw new Error(`NotFoundException: Alias arn:aws:kms:eu-west-1:123456789012:${inputs.name} is not found.`);
        case "aws:ec2/getSecurityGroup:getSecurityGroup":
            throw new Error(`no matching EC2 Security Group found (${inputs.name} in ${inputs.vpcId})`);
        case "aws:index/getPartition:getPartition":
            return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws", reverseDnsPrefix: "com.amazonaws" };
        default:
            return inputs;
    }
}
