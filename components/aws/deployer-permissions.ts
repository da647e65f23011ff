import { keptNames } from "./names";

/** What scopes the deployer's permissions to one stack. Account and region are `*` unless known. */
export interface DeployerScope {
    /** `llm-platform-<stack>`. */
    readonly prefix: string;
    readonly partition: string;
    readonly region: string;
    readonly account: string;
    readonly clusterName: string;
    readonly route53ZoneId: string;
    /** The stack's value of the default tag `llm-platform:stack` (KMS keys are scoped by it: their ARNs carry no name). */
    readonly stack: string;
}

/** One grant: actions on resources, under an optional condition. */
export interface Grant {
    readonly actions: readonly string[];
    readonly resources: readonly string[];
    readonly condition?: Record<string, Record<string, string | string[]>>;
}

type Permissions = (s: DeployerScope) => Grant[];

const arn = (s: DeployerScope, service: string, resource: string, region = s.region, account = s.account) => `arn:${s.partition}:${service}:${region}:${account}:${resource}`;
const buckets = (s: DeployerScope) => [`arn:${s.partition}:s3:::${s.prefix}-*`];
const roles = (s: DeployerScope) => [arn(s, "iam", `role/${s.prefix}-*`, "")];
/** KMS keys have no name in their ARN: the stack's default tag scopes them. */
const stackKeys = (s: DeployerScope, actions: string[]): Grant => ({
    actions,
    resources: [arn(s, "kms", "key/*", "*")],
    condition: { StringEquals: { "aws:ResourceTag/llm-platform:stack": s.stack } },
});
/** Passing the stack's roles to the services that assume them (one statement for all: S3 replication, RDS monitoring, EKS Pod Identity). */
const passRoles = (s: DeployerScope): Grant => ({
    actions: ["iam:PassRole"],
    resources: roles(s),
    condition: { StringEquals: { "iam:PassedToService": ["s3.amazonaws.com", "monitoring.rds.amazonaws.com", "pods.eks.amazonaws.com"] } },
});
/** The service-linked roles RDS and ELB create on first use in an account. */
const serviceLinkedRoles: Grant = {
    actions: ["iam:CreateServiceLinkedRole"],
    resources: ["*"],
    condition: { StringEquals: { "iam:AWSServiceName": ["rds.amazonaws.com", "elasticloadbalancing.amazonaws.com", "elasticache.amazonaws.com"] } },
};
/**
 * The stores encrypted with the stack's key (RDS: storage, the master password's secret, Performance
 * Insights; ElastiCache: storage and snapshots): each service takes grants on it for the caller.
 */
const storesKey = (s: DeployerScope): Grant => ({
    ...stackKeys(s, ["kms:DescribeKey", "kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey"]),
    condition: { StringEquals: { "aws:ResourceTag/llm-platform:stack": s.stack }, StringLike: { "kms:ViaService": [`rds.${s.region}.amazonaws.com`, `elasticache.${s.region}.amazonaws.com`] } },
});
const rds = (s: DeployerScope, kind: string, name: string) => arn(s, "rds", `${kind}:${name}`);
const elb = (s: DeployerScope, ...kinds: string[]) => kinds.map((k) => arn(s, "elasticloadbalancing", k));

/**
 * Every bucket of the stack, and every setting of one: the provider creates, reads (it reads
 * all settings of a bucket), puts and deletes them. The stack's own buckets only.
 */
const s3Buckets: Permissions = (s) => [
    {
        actions: ["s3:CreateBucket", "s3:DeleteBucket", "s3:DeleteBucket*", "s3:ListBucket", "s3:GetBucket*", "s3:PutBucket*", "s3:Get*Configuration", "s3:Put*Configuration", "s3:TagResource", "s3:UntagResource", "s3:ListTagsForResource"],
        resources: buckets(s),
    },
];
/** The stack's load balancer, target group and listeners (the provider creates, modifies, tags and deletes each). */
const elbResources: Permissions = (s) => [
    {
        actions: ["elasticloadbalancing:Create*", "elasticloadbalancing:Modify*", "elasticloadbalancing:Delete*", "elasticloadbalancing:Set*", "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
        resources: elb(s, `loadbalancer/app/${s.prefix}*/*`, `targetgroup/${s.prefix}*/*`, `listener/app/${s.prefix}*/*`),
    },
    { actions: ["elasticloadbalancing:Describe*"], resources: ["*"] },
];
/** The database, its parameter groups and subnet group (and what CreateDBInstance names: the default option group, VPC security groups). */
const rdsResources: Permissions = (s) => {
    const id = keptNames(s.prefix).database;
    return [
        {
            actions: ["rds:Create*", "rds:Modify*", "rds:Delete*", "rds:Reset*", "rds:Describe*", "rds:AddTagsToResource", "rds:RemoveTagsFromResource", "rds:ListTagsForResource"],
            resources: [rds(s, "db", id), rds(s, "pg", `${id}-*`), rds(s, "subgrp", id), rds(s, "og", "default:*"), rds(s, "secgrp", "*")],
        },
    ];
};
/**
 * ElastiCache for Valkey: the replication group, its member clusters (`<id>-001`...), its subnet
 * and parameter groups, its users and user group, the final snapshot a delete takes (replication_group.go: Create, Describe*,
 * Modify, Delete, tags), all under the stack's `<prefix>-valkey` names.
 */
const elasticacheResources: Permissions = (s) => {
    const ec = (resource: string) => arn(s, "elasticache", resource);
    return [
        {
            // Every action, on the stack's own ElastiCache names only (one managed policy has 6,144 characters).
            actions: ["elasticache:*"],
            // replicationgroup:<id>, cluster:<id>-001..., subnetgroup:<id>, parametergroup:<id>-valkey8, snapshot:<id>-final,
            // as `<prefix>-*` like the stack's buckets and roles (one managed policy holds 6,144 characters).
            resources: [ec(`*:${s.prefix}-*`)],
        },
        { actions: ["elasticache:Describe*"], resources: ["*"] },
    ];
};
/** Security groups and their rules: created and changed by VPC; deleted only when they carry the stack's tag. */
const securityGroups: Permissions = (s) => [
    { actions: ["ec2:Describe*"], resources: ["*"] },
    {
        actions: ["ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroup*", "ec2:RevokeSecurityGroupIngress", "ec2:ModifySecurityGroupRules", "ec2:UpdateSecurityGroupRuleDescriptions*", "ec2:CreateTags"],
        resources: [arn(s, "ec2", "vpc/*"), arn(s, "ec2", "security-group/*"), arn(s, "ec2", "security-group-rule/*")],
    },
    // The provider removes the default allow-all egress of a group declared with `egress: []`.
    { actions: ["ec2:DeleteSecurityGroup", "ec2:RevokeSecurityGroupEgress", "ec2:DeleteTags"], resources: [arn(s, "ec2", "security-group/*")], condition: { StringEquals: { "aws:ResourceTag/llm-platform:stack": s.stack } } },
];
/**
 * The AWS API calls terraform-provider-aws makes to create, read, update and delete each
 * resource type the program declares (and for its lookups), scoped to the stack's names. The
 * command `npm run deployer-policy -- <stack>` runs the program and grants exactly the types
 * it registers; a type the program declares without an entry here stops that command (and
 * its test), so a new resource cannot be deployed with a policy that forgot it.
 */
export const DEPLOYER_PERMISSIONS: Readonly<Record<string, Permissions>> = {
    "pulumi:providers:aws": () => [{ actions: ["sts:GetCallerIdentity"], resources: ["*"] }],
    "aws:s3/bucket:Bucket": s3Buckets,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": s3Buckets,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": s3Buckets,
    "aws:s3/bucketVersioning:BucketVersioning": s3Buckets,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": s3Buckets,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": s3Buckets,
    "aws:s3/bucketPolicy:BucketPolicy": s3Buckets,
    "aws:s3/bucketLogging:BucketLogging": s3Buckets,
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": s3Buckets,
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": (s) => [
        ...s3Buckets(s),
        passRoles(s),
    ],
    "aws:kms/key:Key": (s) => [
        { actions: ["kms:CreateKey"], resources: ["*"], condition: { StringEquals: { "aws:RequestTag/llm-platform:stack": s.stack } } },
        { actions: ["kms:TagResource"], resources: [arn(s, "kms", "key/*", "*")], condition: { StringEquals: { "aws:RequestTag/llm-platform:stack": s.stack } } },
        stackKeys(s, ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation", "kms:ListResourceTags", "kms:UntagResource", "kms:PutKeyPolicy", "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion"]),
    ],
    "aws:kms/alias:Alias": (s) => [
        { actions: ["kms:ListAliases"], resources: ["*"] },
        { actions: ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"], resources: [arn(s, "kms", `alias/${s.prefix}-*`, "*")] },
        stackKeys(s, ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"]),
    ],
    "aws:rds/instance:Instance": (s): Grant[] => {
        return [
            ...rdsResources(s),
            storesKey(s),
            // manageMasterUserPassword: RDS creates and rotates the secret `rds!db-...` on the caller's behalf.
            { actions: ["secretsmanager:CreateSecret", "secretsmanager:TagResource", "secretsmanager:RotateSecret", "secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret"], resources: [arn(s, "secretsmanager", "secret:rds!db-*")] },
            passRoles(s),
            serviceLinkedRoles,
        ];
    },
    "aws:rds/parameterGroup:ParameterGroup": rdsResources,
    "aws:elasticache/replicationGroup:ReplicationGroup": (s): Grant[] => [
        ...elasticacheResources(s),
        storesKey(s),
        serviceLinkedRoles,
    ],
    "aws:elasticache/subnetGroup:SubnetGroup": elasticacheResources,
    "aws:elasticache/parameterGroup:ParameterGroup": elasticacheResources,
    // user:<prefix>-valkey-<principal>, usergroup:<prefix>-valkey (CreateUser, ModifyUser, CreateUserGroup, ModifyUserGroup, Describe*).
    "aws:elasticache/user:User": elasticacheResources,
    "aws:elasticache/userGroup:UserGroup": elasticacheResources,
    "aws:rds/subnetGroup:SubnetGroup": rdsResources,
    "aws:ec2/securityGroup:SecurityGroup": securityGroups,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": securityGroups,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": securityGroups,
    "aws:iam/role:Role": (s) => [
        {
            actions: ["iam:CreateRole", "iam:GetRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"],
            resources: roles(s),
        },
    ],
    "aws:iam/rolePolicy:RolePolicy": (s) => [{ actions: ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"], resources: roles(s) }],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (s) => [
        {
            actions: ["iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies"],
            resources: roles(s),
            condition: { ArnEquals: { "iam:PolicyARN": "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole" } },
        },
    ],
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": (s) => [
        {
            actions: ["eks:CreatePodIdentityAssociation", "eks:DescribePodIdentityAssociation", "eks:UpdatePodIdentityAssociation", "eks:DeletePodIdentityAssociation", "eks:TagResource", "eks:UntagResource"],
            resources: [arn(s, "eks", `cluster/${s.clusterName}`), arn(s, "eks", `podidentityassociation/${s.clusterName}/*`)],
        },
        passRoles(s),
    ],
    "aws:acm/certificate:Certificate": (s) => [
        { actions: ["acm:RequestCertificate", "acm:AddTagsToCertificate"], resources: ["*"], condition: { StringEquals: { "aws:RequestTag/llm-platform:stack": s.stack } } },
        { actions: ["acm:DescribeCertificate", "acm:ListTagsForCertificate", "acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate", "acm:DeleteCertificate"], resources: [arn(s, "acm", "certificate/*")] },
    ],
    "aws:acm/certificateValidation:CertificateValidation": (s) => [{ actions: ["acm:DescribeCertificate"], resources: [arn(s, "acm", "certificate/*")] }],
    "aws:route53/record:Record": (s) => [
        { actions: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets", "route53:GetHostedZone"], resources: [arn(s, "route53", `hostedzone/${s.route53ZoneId}`, "", "")] },
        { actions: ["route53:GetChange"], resources: [arn(s, "route53", "change/*", "", "")] },
    ],
    "aws:lb/loadBalancer:LoadBalancer": (s) => [
        ...elbResources(s),
        serviceLinkedRoles,
    ],
    "aws:lb/targetGroup:TargetGroup": elbResources,
    "aws:lb/listener:Listener": elbResources,
    "aws:wafv2/webAcl:WebAcl": (s) => [
        {
            actions: ["wafv2:CreateWebACL", "wafv2:GetWebACL", "wafv2:UpdateWebACL", "wafv2:DeleteWebACL", "wafv2:ListTagsForResource", "wafv2:TagResource", "wafv2:UntagResource"],
            resources: [arn(s, "wafv2", `regional/webacl/${s.prefix}/*`), arn(s, "wafv2", "regional/managedruleset/*/*")],
        },
    ],
    "aws:wafv2/webAclAssociation:WebAclAssociation": (s) => [
        { actions: ["wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACLForResource"], resources: [arn(s, "wafv2", `regional/webacl/${s.prefix}/*`), ...elb(s, `loadbalancer/app/${s.prefix}*/*`)] },
        ...elbResources(s),
    ],
    // Lookups (provider functions) the program calls before declaring anything, with the calls
    // their data sources make in terraform-provider-aws (EC2's Describe* take no resource ARN).
    // eks/cluster_data_source.go dataSourceClusterRead: FindClusterByName (DescribeCluster); the
    // Kubernetes provider's cluster lookup (platform/kubernetes/provider.ts) is the same function.
    "aws:eks/getCluster:getCluster": (s) => [{ actions: ["eks:DescribeCluster"], resources: [arn(s, "eks", `cluster/${s.clusterName}`)] }],
    // The one EC2 API that reads a subnet (the data source's file was not read here).
    "aws:ec2/getSubnet:getSubnet": () => [{ actions: ["ec2:DescribeSubnets"], resources: ["*"] }],
    // ec2/vpc_data_source.go dataSourceVPCRead (@01606926): findVPC (DescribeVpcs), findVPCAttribute
    // for the DNS and address-usage attributes (DescribeVpcAttribute), findVPCMainRouteTable (DescribeRouteTables).
    "aws:ec2/getVpc:getVpc": () => [{ actions: ["ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeRouteTables"], resources: ["*"] }],
    "aws:index/getCallerIdentity:getCallerIdentity": () => [{ actions: ["sts:GetCallerIdentity"], resources: ["*"] }],
    "aws:kms/getAlias:getAlias": (s) => [{ actions: ["kms:ListAliases"], resources: ["*"] }, stackKeys(s, ["kms:DescribeKey"])],
    // The one EC2 API that reads a security group (the data source's file was not read here).
    "aws:ec2/getSecurityGroup:getSecurityGroup": () => [{ actions: ["ec2:DescribeSecurityGroups"], resources: ["*"] }],
};

/** IAM's action wildcard (`ec2:Describe*`) against an action, case-insensitively. */
const coveredBy = (pattern: string, action: string) =>
    pattern !== action && new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i").test(action);

/**
 * The IAM policy document for what a stack declares and looks up: every grant of every
 * type, merged where resources and conditions agree (a managed policy holds at most 6,144
 * characters). Throws on a type without an entry.
 */
export function deployerPolicy(types: readonly string[], scope: DeployerScope): { Version: string; Statement: object[] } {
    const missing = types.filter((t) => !DEPLOYER_PERMISSIONS[t]);
    if (missing.length > 0) throw new Error(`components/aws/deployer-permissions.ts has no permissions for ${missing.join(", ")}: add the API calls the provider makes for them`);
    const merged = new Map<string, { actions: Set<string>; resources: Set<string>; condition?: Grant["condition"] }>();
    for (const type of [...new Set(types)].sort()) {
        for (const g of DEPLOYER_PERMISSIONS[type](scope)) {
            // One statement per resource set and condition: the actions on it add up (an action a wildcard there covers is left out).
            const k = JSON.stringify([[...g.resources].sort(), g.condition ?? null]);
            const m = merged.get(k) ?? { actions: new Set<string>(), resources: new Set(g.resources), condition: g.condition };
            for (const a of g.actions) m.actions.add(a);
            merged.set(k, m);
        }
    }
    const statements = [...merged.values()]
        .map((m) => ({ Effect: "Allow", Action: [...m.actions].filter((a) => ![...m.actions].some((p) => coveredBy(p, a))).sort(), Resource: [...m.resources].sort(), ...(m.condition ? { Condition: m.condition } : {}) }))
        .sort((a, b) => a.Action[0].localeCompare(b.Action[0]) || JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return { Version: "2012-10-17", Statement: statements };
}
