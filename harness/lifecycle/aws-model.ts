/**
 * What terraform-provider-aws (the v6 provider @pulumi/aws 7.48.0 bridges) and AWS itself do
 * with each AWS resource type the prod stack declares, as a pure model for the lifecycle
 * tests: which input changes replace a resource (ForceNew in the provider's schema), which it
 * updates in place, which AWS refuses, and which names AWS keeps unique (a create collides
 * with an object an earlier destroy kept).
 *
 * Sources. Provider files were read in the stored copies of hashicorp/terraform-provider-aws
 * (the exact tag @pulumi/aws 7.48.0 bundles could not be read here: the pulumi-aws release
 * notes and its `upstream` submodule pointer are not in the stored material; 7.48.0 was
 * published 2026-09-22, after the v6.46.0 upgrade, pulumi/pulumi-aws#6392). Line numbers are
 * of the stored commit named with them; the schema keys cited have kept their ForceNew flags
 * across v6. Entries marked NOT READ HERE give the provider's documented behaviour for types
 * no lifecycle scenario changes; the tests assert only on entries read from source. A type
 * the program declares without an entry is an error, never a guess.
 */

type Inputs = Record<string, any>;

export interface AwsBehaviour {
    /** Input keys whose change replaces the resource (ForceNew). Any other change is an update in place. */
    readonly replaceOn: readonly string[];
    /** Keys the provider holds as sets (TypeSet): a new order is no change. */
    readonly sets?: readonly string[];
    /** The id AWS and `pulumi import` know the object by (the @pulumi/aws 7.48.0 docs' "Import" sections); default: none of its own. */
    readonly id?: (inputs: Inputs, outputs: Inputs) => string;
    /** The name AWS keeps unique while the object exists: a create with it fails. Undefined: creates upsert or names are AWS's. */
    readonly unique?: (inputs: Inputs) => string | undefined;
    /** Refusals of an update by AWS or the provider (before -> after), as the error the user sees. */
    readonly refuseUpdate?: (before: Inputs, after: Inputs) => string | undefined;
    /** Refusals of a delete (the object as the state holds it). */
    readonly refuseDelete?: (state: Inputs) => string | undefined;
    /** Where each of the above was read. */
    readonly source: string;
}

const S3_SETTING = (extra: readonly string[] = []): AwsBehaviour => ({
    replaceOn: ["bucket", "expectedBucketOwner", ...extra],
    id: (i) => i.bucket,
    // PutBucket* calls replace the bucket's setting: a second create on the same bucket overwrites, it does not collide.
    source: "internal/service/s3/bucket_*.go schemas: bucket and expected_bucket_owner ForceNew (bucket_object_lock_configuration.go:31-42 @01c08000); the Put* APIs upsert",
});

const majorOf = (version: string) => Number(String(version).split(".")[0]);
/** A record name as the provider stores it: no trailing dot, lower case (record.go StateFunc, :270-276). */
const recordName = (name: unknown) => String(name).replace(/\.$/, "").toLowerCase();

/**
 * What the provider's plan refuses of a replication group's auth settings (replication_group.go,
 * stored text 4789450415): `auth_token` ConflictsWith `user_group_ids`, and
 * authTokenUpdateStrategyValidate: DELETE with a token, or another strategy without one.
 */
export function replicationGroupPlanError(i: Inputs): string | undefined {
    const token = i.authToken !== undefined && i.authToken !== null;
    if (token && Array.isArray(i.userGroupIds) && i.userGroupIds.length > 0) return '"auth_token": conflicts with user_group_ids';
    if (i.authTokenUpdateStrategy === "DELETE" && token) return '"auth_token" must not be specified when "auth_token_update_strategy" is "DELETE"';
    if (i.authTokenUpdateStrategy !== undefined && i.authTokenUpdateStrategy !== "DELETE" && !token) return '"auth_token_update_strategy": "auth_token" must be specified';
    return undefined;
}

export const AWS_BEHAVIOURS: Readonly<Record<string, AwsBehaviour>> = {
    "aws:s3/bucket:Bucket": {
        replaceOn: ["bucket", "bucketPrefix", "objectLockEnabled"],
        id: (i) => i.bucket,
        unique: (i) => `s3 bucket ${i.bucket}`,
        refuseDelete: (s) => (s.forceDestroy ? undefined : `BucketNotEmpty: the bucket ${s.bucket} you tried to delete is not empty (its backups and their versions)`),
        source:
            "internal/service/s3/bucket.go schema: bucket ForceNew, object_lock_enabled Optional+Computed+ForceNew (stored text 446709073); bucket names are global (CreateBucket: BucketAlreadyOwnedByYou)",
    },
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": S3_SETTING(),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": S3_SETTING(),
    "aws:s3/bucketVersioning:BucketVersioning": S3_SETTING(),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": S3_SETTING(),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": S3_SETTING(),
    "aws:s3/bucketPolicy:BucketPolicy": S3_SETTING(),
    "aws:s3/bucketLogging:BucketLogging": S3_SETTING(),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": S3_SETTING(),
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": {
        ...S3_SETTING(["objectLockEnabled"]),
        source: "internal/service/s3/bucket_object_lock_configuration.go:31-49 @01c08000 (bucket, expected_bucket_owner, object_lock_enabled ForceNew; rule updates in place: PutObjectLockConfiguration)",
    },
    "aws:kms/key:Key": {
        replaceOn: ["customerMasterKeySpec", "keySpec", "keyUsage", "multiRegion"],
        id: (_, o) => o.keyId,
        source: "NOT READ HERE (no lifecycle scenario changes it): internal/service/kms/key.go schema (key spec, usage, multi-Region ForceNew); keys have no name of their own",
    },
    "aws:kms/alias:Alias": {
        replaceOn: ["name", "namePrefix"],
        id: (i) => i.name,
        unique: (i) => `kms ${i.name}`,
        source: "internal/service/kms/alias.go:35-39 @01c08000 (name ForceNew), :77 CreateAlias (AlreadyExistsException for a taken name); target_key_id updates (UpdateAlias)",
    },
    "aws:rds/instance:Instance": {
        replaceOn: ["storageEncrypted", "kmsKeyId", "dbName", "username", "characterSetName", "availabilityZone"],
        id: (i) => i.identifier,
        unique: (i) => `rds instance ${i.identifier}`,
        refuseUpdate: (before, after) => {
            const [from, to] = [majorOf(before.engineVersion), majorOf(after.engineVersion)];
            if (to < from) return `InvalidParameterCombination: Cannot upgrade postgres from ${before.engineVersion} to ${after.engineVersion}`;
            if (to > from && after.allowMajorVersionUpgrade !== true) {
                return "InvalidParameterCombination: The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.";
            }
            return undefined;
        },
        refuseDelete: (s) => (s.deletionProtection ? "InvalidParameterCombination: Cannot delete protected DB Instance, please disable deletion protection and try again." : undefined),
        source:
            "internal/service/rds/instance.go: resourceInstanceUpdate sends EngineVersion with AllowMajorVersionUpgrade from the config and DBParameterGroupName in one ModifyDBInstance (stored text 1659451291 at 67117); identifier, instance_class, allocated_storage, multi_az update in place (dbInstancePopulateModify); storage_encrypted ForceNew (stored text 4814102057); RDS ModifyDBInstance refuses a major upgrade without the flag",
    },
    "aws:rds/parameterGroup:ParameterGroup": {
        replaceOn: ["name", "namePrefix", "family", "description"],
        id: (i) => i.name,
        unique: (i) => `rds parameter group ${i.name}`,
        source:
            "internal/service/rds/parameter_group.go @01606926 schema: description, family, name ForceNew; parameters update in place (ModifyDBParameterGroup); Delete retries InvalidDBParameterGroupStateFault for 3 minutes, then fails",
    },
    "aws:rds/subnetGroup:SubnetGroup": {
        replaceOn: ["name", "namePrefix"],
        id: (i) => i.name,
        unique: (i) => `rds subnet group ${i.name}`,
        source: "NOT READ HERE (no lifecycle scenario changes it): internal/service/rds/subnet_group.go (name ForceNew); CreateDBSubnetGroup: DBSubnetGroupAlreadyExists",
    },
    "aws:elasticache/replicationGroup:ReplicationGroup": {
        replaceOn: ["replicationGroupId", "atRestEncryptionEnabled", "kmsKeyId", "port", "subnetGroupName", "networkType", "dataTieringEnabled", "globalReplicationGroupId", "securityGroupNames", "snapshotArns", "snapshotName"],
        sets: ["securityGroupIds", "userGroupIds", "logDeliveryConfigurations"],
        id: (i) => String(i.replicationGroupId).toLowerCase(),
        unique: (i) => `elasticache replication group ${String(i.replicationGroupId).toLowerCase()}`,
        refuseUpdate: (_, after) => replicationGroupPlanError(after),
        source:
            "the plan checks: replication_group.go (stored text 4789450415) auth_token ConflictsWith user_group_ids and authTokenUpdateStrategyValidate; " +
            "internal/service/elasticache/replication_group.go @001b6364 schema: replication_group_id (lower-cased StateFunc), at_rest_encryption_enabled, kms_key_id, port, subnet_group_name, network_type, data_tiering_enabled, global_replication_group_id, security_group_names, snapshot_arns, snapshot_name ForceNew; engine_version, node_type, num_cache_clusters, multi_az_enabled, automatic_failover_enabled, transit_encryption_enabled/mode, parameter_group_name, windows, snapshot_retention_limit update in place (ModifyReplicationGroup); security_group_ids a set",
    },
    "aws:elasticache/user:User": {
        replaceOn: ["userId", "userName"],
        sets: ["passwords"],
        id: (i) => i.userId,
        unique: (i) => `elasticache user ${i.userId}`,
        source:
            "internal/service/elasticache/user.go @01f43111 schema: user_id, user_name ForceNew; access_string, passwords (a set, at most 2, 16-128 characters), engine (SuppressEquivalentStringCaseInsensitive), no_password_required, authentication_mode update in place (resourceUserUpdate: one ModifyUser); resourceUserRead stores access_string as DescribeUsers returns it and keeps passwords as configured",
    },
    "aws:elasticache/userGroup:UserGroup": {
        replaceOn: ["engine"],
        sets: ["userIds"],
        id: (i) => i.userGroupId,
        unique: (i) => `elasticache user group ${i.userGroupId}`,
        refuseUpdate: (before, after) =>
            before.userGroupId === after.userGroupId ? undefined : `the provider's Update sends only user_ids (ModifyUserGroup): user_group_id ${before.userGroupId} is never changed to ${after.userGroupId}`,
        source:
            "internal/service/elasticache/user_group.go @16a38e65 schema: engine ForceNew (EqualFold DiffSuppress), user_group_id Required but not ForceNew, user_ids a set; resourceUserGroupUpdate sends UserIdsToAdd/UserIdsToRemove only",
    },
    "aws:elasticache/subnetGroup:SubnetGroup": {
        replaceOn: ["name"],
        sets: ["subnetIds"],
        id: (i) => String(i.name).toLowerCase(),
        unique: (i) => `elasticache subnet group ${String(i.name).toLowerCase()}`,
        source: "internal/service/elasticache/subnet_group.go @01c08000 schema: name ForceNew (lower-cased StateFunc), subnet_ids a set, description updates (ModifyCacheSubnetGroup)",
    },
    "aws:elasticache/parameterGroup:ParameterGroup": {
        replaceOn: ["name", "family", "description"],
        sets: ["parameters"],
        id: (i) => String(i.name).toLowerCase(),
        unique: (i) => `elasticache parameter group ${String(i.name).toLowerCase()}`,
        source: "NOT READ HERE (no lifecycle scenario changes it): internal/service/elasticache/parameter_group.go (name, family, description ForceNew; parameters a set, ModifyCacheParameterGroup)",
    },
    "aws:ec2/securityGroup:SecurityGroup": {
        replaceOn: ["name", "namePrefix", "description", "vpcId"],
        // AWS names a group sg-<hex>; the model's id stands in for it (the adoption lookup returns it).
        id: (i) => `sg-${i.vpcId}-${i.name}`,
        unique: (i) => `security group ${i.vpcId}/${i.name}`,
        source: "NOT READ HERE (no lifecycle scenario changes it): internal/service/ec2/vpc_security_group.go (name, description, vpc_id ForceNew); CreateSecurityGroup: InvalidGroup.Duplicate",
    },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": { replaceOn: ["securityGroupId"], source: "NOT READ HERE (no lifecycle scenario changes it): internal/service/ec2/vpc_security_group_ingress_rule.go (security_group_id RequiresReplace)" },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": { replaceOn: ["securityGroupId"], source: "NOT READ HERE (no lifecycle scenario changes it): internal/service/ec2/vpc_security_group_egress_rule.go (security_group_id RequiresReplace)" },
    "aws:iam/role:Role": {
        replaceOn: ["name", "namePrefix", "path"],
        id: (i) => i.name,
        unique: (i) => `iam role ${i.name}`,
        source: "NOT READ HERE (no lifecycle scenario changes it): internal/service/iam/role.go (name, path ForceNew; assume_role_policy updates: UpdateAssumeRolePolicy); CreateRole: EntityAlreadyExists",
    },
    "aws:iam/rolePolicy:RolePolicy": { replaceOn: ["name", "namePrefix", "role"], id: (i) => `${i.role}:${i.name}`, source: "NOT READ HERE (no lifecycle scenario changes it): internal/service/iam/role_policy.go (name, role ForceNew; PutRolePolicy upserts the document)" },
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": { replaceOn: ["role", "policyArn"], id: (i) => `${i.role}/${i.policyArn}`, source: "NOT READ HERE (no lifecycle scenario changes it): internal/service/iam/role_policy_attachment.go (both ForceNew; AttachRolePolicy is idempotent)" },
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": {
        replaceOn: ["clusterName", "namespace", "serviceAccount"],
        unique: (i) => `pod identity ${i.clusterName}/${i.namespace}/${i.serviceAccount}`,
        source: "NOT READ HERE (no lifecycle scenario changes it): internal/service/eks/pod_identity_association.go (cluster, namespace, service account RequiresReplace; role_arn updates)",
    },
    "aws:acm/certificate:Certificate": {
        replaceOn: ["domainName", "subjectAlternativeNames", "validationMethod", "keyAlgorithm"],
        sets: ["subjectAlternativeNames"],
        source: "internal/service/acm/certificate.go schema: domain_name, subject_alternative_names, validation_method ForceNew (stored text 13302273305)",
    },
    "aws:acm/certificateValidation:CertificateValidation": {
        replaceOn: ["certificateArn", "validationRecordFqdns"],
        sets: ["validationRecordFqdns"],
        source: "NOT READ HERE (no lifecycle scenario changes it): internal/service/acm/certificate_validation.go (certificate_arn, validation_record_fqdns ForceNew: it only waits for ACM)",
    },
    "aws:route53/record:Record": {
        replaceOn: ["name", "zoneId"],
        sets: ["records"],
        id: (i) => `${i.zoneId}_${recordName(i.name)}_${i.type}`,
        // CREATE, not UPSERT, unless allow_overwrite: a second record of the same name and type fails.
        unique: (i) => (i.allowOverwrite ? undefined : `route53 ${i.zoneId}/${recordName(i.name)}/${i.type}`),
        source: "internal/service/route53/record.go @00655c16: name ForceNew (:266-269), type updates (:294-298), zone_id ForceNew (:321-324), create is CREATE unless allow_overwrite (:349-357)",
    },
    "aws:lb/loadBalancer:LoadBalancer": {
        replaceOn: ["name", "namePrefix", "internal", "loadBalancerType"],
        unique: (i) => `load balancer ${i.name}`,
        refuseDelete: (s) => (s.enableDeletionProtection ? `OperationNotPermitted: Load balancer '${s.name}' cannot be deleted because deletion protection is enabled` : undefined),
        source:
            "ELB DeleteLoadBalancer refuses while deletion_protection.enabled is true (issue #16 item 12; the provider's Delete just calls it); NOT READ HERE: internal/service/elbv2/load_balancer.go (name, internal, load_balancer_type ForceNew; enable_deletion_protection updates the attribute)",
    },
    "aws:lb/targetGroup:TargetGroup": {
        replaceOn: ["name", "namePrefix", "port", "protocol", "protocolVersion", "vpcId", "targetType"],
        unique: (i) => `target group ${i.name}`,
        source: "NOT READ HERE (no lifecycle scenario changes it): internal/service/elbv2/target_group.go (name, port, protocol, protocol_version, vpc_id, target_type ForceNew)",
    },
    "aws:lb/listener:Listener": { replaceOn: ["loadBalancerArn"], source: "NOT READ HERE (no lifecycle scenario changes it): internal/service/elbv2/listener.go (load_balancer_arn ForceNew; port, protocol, ssl_policy, certificate_arn update: ModifyListener)" },
    "aws:wafv2/webAcl:WebAcl": {
        replaceOn: ["name", "scope"],
        unique: (i) => `web acl ${i.scope}/${i.name}`,
        source: "NOT READ HERE (no lifecycle scenario changes it): internal/service/wafv2/web_acl.go (name, scope ForceNew; rules update)",
    },
    "aws:wafv2/webAclAssociation:WebAclAssociation": { replaceOn: ["resourceArn", "webAclArn"], source: "NOT READ HERE (no lifecycle scenario changes it): internal/service/wafv2/web_acl_association.go (both ForceNew)" },
};

/** The behaviour of a type; a type the program declares without an entry here fails the test that uses it. */
export function behaviourOf(type: string): AwsBehaviour {
    const b = AWS_BEHAVIOURS[type];
    if (!b) throw new Error(`harness/lifecycle/aws-model.ts has no entry for ${type}: read its schema in terraform-provider-aws and add it`);
    return b;
}

/** Deep equality of input values as the engine diffs them (object key order does not matter). */
export function sameValue(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    const ka = Object.keys(a).filter((k) => (a as Inputs)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Inputs)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameValue((a as Inputs)[k], (b as Inputs)[k]));
}

/** The input keys that differ. */
export function changedKeys(before: Inputs, after: Inputs): string[] {
    return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !sameValue(before[k], after[k])).sort();
}

/** What the provider does with a change of an AWS resource: nothing, an update in place, or a replacement (and why). */
export function awsChange(type: string, before: Inputs, after: Inputs): { kind: "same" | "update" | "replace"; keys: string[] } {
    const sets = behaviourOf(type).sets ?? [];
    const asSet = (i: Inputs) => Object.fromEntries(Object.entries(i).map(([k, v]) => [k, sets.includes(k) && Array.isArray(v) ? [...v].map((x) => JSON.stringify(x)).sort() : v]));
    const keys = changedKeys(asSet(before), asSet(after));
    if (keys.length === 0) return { kind: "same", keys };
    const forceNew = keys.filter((k) => behaviourOf(type).replaceOn.includes(k));
    return forceNew.length > 0 ? { kind: "replace", keys: forceNew } : { kind: "update", keys };
}
