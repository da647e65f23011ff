import assert from "node:assert/strict";
import { withExampleUserValues } from "../harness/example-user-values";
import { MOCK_CLUSTER_SECURITY_GROUP, MOCK_SUBNETS, MOCK_VPC_ID } from "../harness/mock-state";
import { policyResources } from "../harness/policy-report";
import { LookupOverride, RegisteredResource, runProgram, runStack, stackConfigValues, StackRun, withOverrides } from "../harness/run-stack";
import { runPolicyPack } from "../policies/rules/offline";

const BUCKET = "aws:s3/bucket:Bucket";
const PROVIDER = "pulumi:providers:aws";
const BACKUPS = "llm-platform-prod-123456789012-eu-west-1-backups";
const LOGS = "llm-platform-prod-123456789012-eu-west-1-logs";
const AWS_KEY = "llm-platform:aws";

const S = MOCK_SUBNETS;
const doc = (json: string) => JSON.parse(json);
/** The side resource of a bucket (versioning, policy, ...) by type. */
const sideOf = (run: StackRun, type: string, bucket: string) => {
    const found = run.ofType(type).filter((r) => r.inputs.bucket === bucket);
    assert.equal(found.length, 1, `${type} of ${bucket}`);
    return found[0].inputs;
};
const awsValues = (aws: Record<string, unknown>) => withOverrides(withExampleUserValues(stackConfigValues("prod")).values, { [AWS_KEY]: aws });

/** Runs prod expecting a failure; returns the message and what was registered. */
async function failedRun(values: Record<string, unknown>) {
    const registered: RegisteredResource[] = [];
    const error = await runProgram("prod", values, 0, registered).then(
        () => assert.fail("the program should have failed"),
        (e: Error) => e,
    );
    return { message: error.message, registered };
}

describe("prod stack's AWS pieces (Pulumi.prod.yaml under mocks)", function () {
    this.timeout(30000);
    let run: StackRun;
    before(async () => {
        run = await runStack("prod", { exampleUserValues: true });
    });

    it("puts every AWS resource on one explicit provider with region and the stack's default tags", () => {
        const tagged = run.ofType(PROVIDER).filter((p) => p.inputs.defaultTags !== undefined);
        assert.equal(tagged.length, 1);
        const provider = tagged[0];
        assert.equal(provider.inputs.region, "eu-west-1");
        assert.deepEqual(JSON.parse(provider.inputs.defaultTags).tags, {
            "llm-platform:stack": "prod",
            "llm-platform:project": "llm-platform",
            "llm-platform:owner": "llm-platform-team",
        });
        const awsResources = run.resources.filter((r) => r.custom && r.type.startsWith("aws:"));
        assert.ok(awsResources.length > 40, `${awsResources.length} AWS resources`);
        for (const r of awsResources) assert.equal(r.provider, `${provider.urn}::${provider.name}-id`, `${r.type} ${r.name} uses the tagged provider`);
    });

    it("places the pieces in the cluster's VPC: RDS in the private subnets, the ALB in the public ones", () => {
        const subnetGroup = run.named("aws:rds/subnetGroup:SubnetGroup", "aws-postgres-subnets").inputs;
        assert.deepEqual(subnetGroup.subnetIds, [S.privateA.id, S.privateB.id, S.privateC.id]);
        assert.equal(subnetGroup.name, "llm-platform-prod-postgres");
        const alb = run.named("aws:lb/loadBalancer:LoadBalancer", "aws-alb").inputs;
        assert.deepEqual(alb.subnets, [S.publicA.id, S.publicB.id, S.publicC.id]);
        for (const sg of run.ofType("aws:ec2/securityGroup:SecurityGroup")) assert.equal(sg.inputs.vpcId, MOCK_VPC_ID, sg.name);
        assert.equal(run.named("aws:lb/targetGroup:TargetGroup", "aws-alb-proxy").inputs.vpcId, MOCK_VPC_ID);
    });

    it("hardens both buckets with the aws 7 side resources, kept on destroy, under stack-scoped names", () => {
        assert.deepEqual(run.ofType(BUCKET).map((b) => b.inputs.bucket).sort(), [BACKUPS, LOGS]);
        for (const b of run.ofType(BUCKET)) {
            const name = b.inputs.bucket;
            assert.equal(b.inputs.forceDestroy, false);
            assert.deepEqual([b.options.protect, b.options.retainOnDelete], [true, true], name);
            // Object Lock never through the bucket's ForceNew flag: a stack created before keeps its bucket.
            assert.equal(b.inputs.objectLockEnabled, undefined, name);
            // Every setting is guarded like the bucket: `pulumi destroy --exclude-protected` keeps only
            // protected resources and their dependencies, and these depend on the bucket, not it on them.
            const settings = run.resources.filter((r) => r.type.startsWith("aws:s3/") && r.type !== BUCKET && r.inputs.bucket === name);
            assert.ok(settings.length >= 6, `${name}: ${settings.map((r) => r.name)}`);
            for (const setting of settings) assert.deepEqual([setting.engine.protect, setting.engine.retainOnDelete], [true, true], setting.name);
            assert.equal(sideOf(run, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", name).rule.objectOwnership, "BucketOwnerEnforced");
            const block = sideOf(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name);
            assert.deepEqual([block.blockPublicAcls, block.blockPublicPolicy, block.ignorePublicAcls, block.restrictPublicBuckets], [true, true, true, true]);
            assert.equal(sideOf(run, "aws:s3/bucketVersioning:BucketVersioning", name).versioningConfiguration.status, "Enabled");
            const tls = doc(sideOf(run, "aws:s3/bucketPolicy:BucketPolicy", name).policy).Statement.find((s: any) => s.Sid === "DenyInsecureTransport");
            assert.deepEqual(tls, {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            });
            const [rule] = sideOf(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", name).rules;
            assert.deepEqual(
                { status: rule.status, filter: rule.filter, transitions: rule.transitions, expiration: rule.expiration, noncurrent: rule.noncurrentVersionExpiration, abort: rule.abortIncompleteMultipartUpload },
                {
                    status: "Enabled",
                    filter: {},
                    transitions: [{ days: 30, storageClass: "STANDARD_IA" }, { days: 90, storageClass: "GLACIER" }],
                    expiration: { days: 365 },
                    noncurrent: { noncurrentDays: 30 },
                    abort: { daysAfterInitiation: 7 },
                },
            );
        }
        const policyOf = (bucket: string) => run.ofType("aws:s3/bucketPolicy:BucketPolicy").find((p) => p.inputs.bucket === bucket)!;
        assert.deepEqual(policyOf(BACKUPS).options.dependsOn, ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::aws-backups-public-access"]);
    });

    it("encrypts backups with their own rotating KMS key and a bucket key; logs with SSE-S3, which log delivery requires", () => {
        const keys = run.ofType("aws:kms/key:Key");
        assert.equal(keys.length, 2);
        for (const k of keys) {
            assert.deepEqual([k.inputs.enableKeyRotation, k.inputs.rotationPeriodInDays, k.inputs.deletionWindowInDays], [true, 365, 30], k.name);
            assert.deepEqual([k.options.protect, k.options.retainOnDelete], [true, true], k.name);
        }
        const backupKey = run.named("aws:kms/key:Key", "aws-backups-key").state.arn;
        assert.deepEqual(sideOf(run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", BACKUPS).rules, [
            { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: backupKey }, bucketKeyEnabled: true },
        ]);
        assert.deepEqual(sideOf(run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", LOGS).rules, [
            { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
        ]);
        assert.deepEqual(run.ofType("aws:kms/alias:Alias").map((a) => a.inputs.name).sort(), ["alias/llm-platform-prod-backups", "alias/llm-platform-prod-database"]);
    });

    it("logs S3 access of the backup bucket and the ALB's requests into the log bucket, which grants exactly those writers", () => {
        assert.deepEqual(sideOf(run, "aws:s3/bucketLogging:BucketLogging", BACKUPS), { bucket: BACKUPS, targetBucket: LOGS, targetPrefix: "s3-access/backups/" });
        assert.ok(run.named("aws:s3/bucketLogging:BucketLogging", "aws-backups-logging").options.dependsOn.includes("aws:s3/bucketPolicy:BucketPolicy::aws-logs-policy"), "after the log bucket's grant");
        const grants = doc(sideOf(run, "aws:s3/bucketPolicy:BucketPolicy", LOGS).policy).Statement.filter((s: any) => s.Effect === "Allow");
        assert.deepEqual(
            grants.map((s: any) => [s.Principal, s.Action, s.Resource]),
            [
                [{ AWS: "arn:aws:iam::156460612806:root" }, "s3:PutObject", `arn:aws:s3:::${LOGS}/alb/AWSLogs/123456789012/*`],
                [{ Service: "logging.s3.amazonaws.com" }, "s3:PutObject", `arn:aws:s3:::${LOGS}/s3-access/*`],
            ],
        );
        assert.deepEqual(run.named("aws:lb/loadBalancer:LoadBalancer", "aws-alb").inputs.accessLogs, { bucket: LOGS, prefix: "alb", enabled: true });
        // The log bucket would log its own log deliveries.
        assert.equal(run.ofType("aws:s3/bucketLogging:BucketLogging").length, 1);
    });

    it("gives the backup jobs a Pod Identity role limited to their prefix and their key", () => {
        const role = run.named("aws:iam/role:Role", "aws-backup-role").inputs;
        assert.equal(role.name, "llm-platform-prod-backup");
        // Only this cluster's backup ServiceAccount: the session tags the Pod Identity agent sets (EKS pod-id-role doc).
        assert.deepEqual(doc(role.assumeRolePolicy).Statement, [
            {
                Effect: "Allow",
                Principal: { Service: "pods.eks.amazonaws.com" },
                Action: ["sts:AssumeRole", "sts:TagSession"],
                Condition: {
                    StringEquals: {
                        "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:eu-west-1:123456789012:cluster/example-cluster",
                        "aws:RequestTag/kubernetes-namespace": "llm-platform",
                        // The backup jobs' account, the CloudNativePG cluster's own and its point-in-time restore's.
                        "aws:RequestTag/kubernetes-service-account": ["backup", "timescale", "timescale-pitr"],
                    },
                },
            },
        ]);
        const association = run.named("aws:eks/podIdentityAssociation:PodIdentityAssociation", "aws-backup-role-pod-identity").inputs;
        assert.deepEqual([association.clusterName, association.namespace, association.serviceAccount], ["example-cluster", "llm-platform", "backup"]);
        const statements = doc(run.named("aws:iam/rolePolicy:RolePolicy", "aws-backup-role-access").inputs.policy).Statement;
        const bucketArn = `arn:aws:s3:::${BACKUPS}`;
        // Read, restore from Glacier and add; never delete or change a lock; the key only through S3 of the region.
        assert.deepEqual(statements.map((s: any) => [s.Action, s.Resource]), [
            ["s3:ListBucket", bucketArn],
            [["s3:GetObject", "s3:RestoreObject"], `${bucketArn}/backups/*`],
            [["s3:PutObject", "s3:AbortMultipartUpload"], `${bucketArn}/backups/*`],
            [["kms:Decrypt", "kms:GenerateDataKey"], run.named("aws:kms/key:Key", "aws-backups-key").state.arn],
        ]);
        assert.deepEqual(statements[0].Condition, { StringLike: { "s3:prefix": ["backups/*"] } });
        assert.deepEqual(statements[3].Condition, { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } });
        const actions = statements.flatMap((s: any) => [s.Action].flat());
        for (const never of ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:BypassGovernanceRetention", "s3:PutObjectLegalHold"]) {
            assert.ok(!actions.includes(never) && !actions.some((a: string) => a.endsWith("*")), never);
        }
    });

    it("with IRSA, trusts only the backup ServiceAccounts (and the CloudNativePG clusters' own) through the cluster's OIDC issuer", async () => {
        const irsa = await runProgram("prod", awsValues({ backupBucket: { identity: "irsa" } }));
        assert.equal(irsa.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation").length, 0);
        const [statement] = doc(irsa.named("aws:iam/role:Role", "aws-backup-role").inputs.assumeRolePolicy).Statement;
        const issuer = statement.Principal.Federated.replace(/^arn:aws:iam::123456789012:oidc-provider\//, "");
        assert.match(issuer, /^oidc\.eks\.eu-west-1\.amazonaws\.com\/id\/[0-9A-F]{32}$/);
        assert.equal(statement.Action, "sts:AssumeRoleWithWebIdentity");
        const subjects = ["backup", "timescale", "timescale-pitr"].map((a) => `system:serviceaccount:llm-platform:${a}`);
        assert.deepEqual(statement.Condition.StringEquals, { [`${issuer}:sub`]: subjects, [`${issuer}:aud`]: "sts.amazonaws.com" });
    });

    it("replicates backups to a hardened bucket in a second region when configured, with that region's key and provider", async () => {
        assert.equal(run.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig").length, 0);
        const replicated = await runProgram("prod", awsValues({ backupBucket: { replicaRegion: "eu-central-1" } }));
        const replicaName = "llm-platform-prod-123456789012-eu-central-1-backups";
        const replicaProvider = replicated.ofType(PROVIDER).find((p) => p.inputs.region === "eu-central-1")!;
        assert.ok(JSON.parse(replicaProvider.inputs.defaultTags).tags["llm-platform:owner"]);
        const replica = replicated.ofType(BUCKET).find((b) => b.inputs.bucket === replicaName)!;
        assert.equal(replica.provider, `${replicaProvider.urn}::${replicaProvider.name}-id`);
        assert.deepEqual([replica.options.protect, replica.options.retainOnDelete], [true, true]);
        assert.equal(sideOf(replicated, "aws:s3/bucketVersioning:BucketVersioning", replicaName).versioningConfiguration.status, "Enabled");
        assert.equal(sideOf(replicated, "aws:s3/bucketLogging:BucketLogging", replicaName).targetBucket, "llm-platform-prod-123456789012-eu-central-1-logs");
        const replicaKey = replicated.named("aws:kms/key:Key", "aws-backups-replica-key");
        assert.equal(replicaKey.provider, replica.provider);
        assert.equal(sideOf(replicated, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", replicaName).rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId, replicaKey.state.arn);
        const config = replicated.named("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "aws-backups-replica-config");
        assert.equal(config.inputs.bucket, BACKUPS);
        const [rule] = config.inputs.rules;
        // Deletions stay where they happen: a delete marker in the source hides nothing in the replica.
        assert.deepEqual(
            [rule.status, rule.deleteMarkerReplication, rule.sourceSelectionCriteria, rule.destination],
            ["Enabled", { status: "Disabled" }, { sseKmsEncryptedObjects: { status: "Enabled" } }, { bucket: `arn:aws:s3:::${replicaName}`, storageClass: "STANDARD", encryptionConfiguration: { replicaKmsKeyId: replicaKey.state.arn } }],
        );
        for (const first of ["aws:s3/bucketVersioning:BucketVersioning::aws-backups-versioning", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration::aws-backups-replica-object-lock"]) {
            assert.ok(config.options.dependsOn.includes(first), first);
        }
        assert.deepEqual([config.engine.protect, config.engine.retainOnDelete], [true, true]);
        // The replica is locked like the source; the replication role reads retention and cannot delete there.
        assert.deepEqual(sideOf(replicated, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", replicaName).rule, { defaultRetention: { mode: "GOVERNANCE", days: 365 } });
        const replicationActions = doc(replicated.named("aws:iam/rolePolicy:RolePolicy", "aws-backups-replica-access").inputs.policy).Statement.flatMap((s: any) => [s.Action].flat());
        assert.ok(replicationActions.includes("s3:GetObjectRetention") && replicationActions.includes("s3:GetObjectLegalHold"));
        assert.ok(!replicationActions.some((a: string) => a.includes("Delete")), replicationActions.join());
        // The backup role may read and restore the replica (a restore after losing the first region), never write it.
        const backupStatements = doc(replicated.named("aws:iam/rolePolicy:RolePolicy", "aws-backup-role-access").inputs.policy).Statement;
        const onReplica = backupStatements.filter((s: any) => [s.Resource].flat().some((r: string) => r.includes(replicaName) || r === replicaKey.state.arn));
        assert.deepEqual(onReplica.map((s: any) => s.Action), ["s3:ListBucket", ["s3:GetObject", "s3:RestoreObject"], "kms:Decrypt"]);
        assert.equal(replicated.outputs.aws.backups.replicaBucket, replicaName);
        assert.deepEqual((await runPolicyPack(policyResources(replicated))).filter((v) => v.enforcementLevel === "mandatory"), []);
    });

    it("locks every backup version for as long as the lifecycle keeps it, without replacing the bucket", async () => {
        const lock = sideOf(run, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", BACKUPS);
        assert.deepEqual(lock, { bucket: BACKUPS, objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: "GOVERNANCE", days: 365 } } });
        const resource = run.named("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "aws-backups-object-lock");
        assert.deepEqual(resource.options.dependsOn, ["aws:s3/bucketVersioning:BucketVersioning::aws-backups-versioning"], "Object Lock needs versioning first");
        // Logs are no backups, and S3 refuses an Object Lock bucket as a server access log target.
        assert.equal(run.ofType("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").length, 1);
        // No upload before the lock is on: the backup and restore CronJobs, and the backups taken before a migration.
        // (The migrate templates upload nothing: `npm run migrate` runs the backup Job first; maintenance, drills and the smoke checks upload nothing.)
        const uploading = [
            ...run.ofType("kubernetes:batch/v1:CronJob").filter((c) => !c.name.endsWith("-migrate-template") && !["task", "drill", "smoke"].includes(c.inputs.metadata.labels["llm-platform.role"])),
            ...run.ofType("kubernetes:batch/v1:Job").filter((j) => j.name.includes("-backup-before-")),
        ];
        assert.ok(uploading.length > 8, uploading.map((r) => r.name).join(", "));
        for (const r of uploading) {
            assert.ok(r.options.dependsOn.includes("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration::aws-backups-object-lock"), r.name);
        }
        const compliance = await runProgram("prod", awsValues({ backupBucket: { objectLockMode: "COMPLIANCE", transitionToIaDays: 30, transitionToGlacierDays: 90, expireDays: 730 } }));
        assert.deepEqual(sideOf(compliance, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", BACKUPS).rule, { defaultRetention: { mode: "COMPLIANCE", days: 730 } });
    });

    it("grants ALB log delivery to the region's ELB account, or to the log-delivery service in regions opened since August 2022", async function () {
        this.timeout(90000);
        const grant = (r: StackRun) => doc(sideOf(r, "aws:s3/bucketPolicy:BucketPolicy", r.ofType(BUCKET).find((b) => b.inputs.bucket.endsWith("-logs"))!.inputs.bucket).policy).Statement.find((st: any) => st.Sid === "AlbAccessLogs");
        assert.deepEqual(grant(run).Principal, { AWS: "arn:aws:iam::156460612806:root" });
        for (const region of ["me-central-1"]) {
            const opened = await runProgram("prod", awsValues({ region }));
            const g = grant(opened);
            assert.deepEqual(g.Principal, { Service: "logdelivery.elasticloadbalancing.amazonaws.com" }, region);
            assert.equal(g.Resource, `arn:aws:s3:::llm-platform-prod-123456789012-${region}-logs/alb/AWSLogs/123456789012/*`);
            assert.deepEqual(g.Condition, {
                StringEquals: { "aws:SourceAccount": "123456789012" },
                ArnLike: { "aws:SourceArn": `arn:aws:elasticloadbalancing:${region}:123456789012:loadbalancer/app/llm-platform-prod/*` },
            });
        }
        // S3 server access logs: only from the backup bucket of this account.
        const s3Grant = doc(sideOf(run, "aws:s3/bucketPolicy:BucketPolicy", LOGS).policy).Statement.find((st: any) => st.Sid === "S3ServerAccessLogs");
        assert.deepEqual(s3Grant.Condition, { StringEquals: { "aws:SourceAccount": "123456789012" }, ArnLike: { "aws:SourceArn": [`arn:aws:s3:::${BACKUPS}`] } });
    });

    it("keeps ALB deletion protection on unless turned off for a destroy", async () => {
        assert.equal(run.named("aws:lb/loadBalancer:LoadBalancer", "aws-alb").inputs.enableDeletionProtection, true);
        const off = await runProgram("prod", awsValues({ loadBalancer: { route53ZoneId: "Z0EXAMPLE1234567890AB", deletionProtection: false } }));
        assert.equal(off.named("aws:lb/loadBalancer:LoadBalancer", "aws-alb").inputs.enableDeletionProtection, false);
    });

    it("allows the major upgrade a new engineVersion asks for, and keeps the old parameter group for the instance still using it", () => {
        const db = run.named("aws:rds/instance:Instance", "aws-postgres");
        assert.equal(db.inputs.allowMajorVersionUpgrade, true);
        assert.deepEqual([db.engine.protect, db.engine.retainOnDelete], [true, true]);
        const parameters = run.named("aws:rds/parameterGroup:ParameterGroup", "aws-postgres-parameters");
        // Replaceable (a new family replaces it), but never deleted under an instance.
        assert.deepEqual([parameters.engine.protect, parameters.engine.retainOnDelete], [false, true]);
        for (const name of ["aws-postgres-subnets", "aws-postgres-sg"]) {
            const group = run.resources.find((r) => r.custom && r.name === name)!;
            assert.deepEqual([group.engine.protect, group.engine.retainOnDelete], [false, true], name);
        }
    });

    it("names DNS records by hostname, adopting the records an earlier stack made by position", () => {
        const records = run.ofType("aws:route53/record:Record");
        assert.deepEqual(records.map((r) => [r.name, r.options.aliases]), [
            ["aws-certificate-validation-llm.example.com", [{ name: "aws-certificate-validation-0" }]],
            ["aws-dns-llm.example.com", [{ name: "aws-dns-0" }]],
        ]);
    });

    it("moves backups to Glacier Instant Retrieval when configured", async () => {
        const ir = await runProgram("prod", awsValues({ backupBucket: { glacierStorageClass: "GLACIER_IR" } }));
        assert.deepEqual(sideOf(ir, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", BACKUPS).rules[0].transitions[1], { days: 90, storageClass: "GLACIER_IR" });
        // Instant Retrieval reads at once: a restore Job waits for no archive.
        assert.equal(ir.named("kubernetes:batch/v1:CronJob", "timescale-restore").inputs.spec.jobTemplate.spec.activeDeadlineSeconds, 240 * 60);
    });

    it("runs RDS PostgreSQL encrypted, Multi-AZ, private, protected, with managed password, IAM auth, PI and logs", () => {
        const db = run.named("aws:rds/instance:Instance", "aws-postgres");
        const key = run.named("aws:kms/key:Key", "aws-database-key").state.arn;
        const i = db.inputs;
        assert.deepEqual(
            {
                identifier: i.identifier, engine: i.engine, engineVersion: i.engineVersion, instanceClass: i.instanceClass, storageType: i.storageType,
                allocatedStorage: i.allocatedStorage, maxAllocatedStorage: i.maxAllocatedStorage, storageEncrypted: i.storageEncrypted, kmsKeyId: i.kmsKeyId,
                multiAz: i.multiAz, publiclyAccessible: i.publiclyAccessible, backupRetentionPeriod: i.backupRetentionPeriod, deletionProtection: i.deletionProtection,
                skipFinalSnapshot: i.skipFinalSnapshot, finalSnapshotIdentifier: i.finalSnapshotIdentifier, manageMasterUserPassword: i.manageMasterUserPassword,
                password: i.password, iam: i.iamDatabaseAuthenticationEnabled, pi: i.performanceInsightsEnabled, piKey: i.performanceInsightsKmsKeyId,
                logs: i.enabledCloudwatchLogsExports, subnetGroup: i.dbSubnetGroupName, parameterGroup: i.parameterGroupName, copyTags: i.copyTagsToSnapshot,
            },
            {
                identifier: "llm-platform-prod-postgres", engine: "postgres", engineVersion: "17", instanceClass: "db.m7g.large", storageType: "gp3",
                allocatedStorage: 100, maxAllocatedStorage: 500, storageEncrypted: true, kmsKeyId: key,
                multiAz: true, publiclyAccessible: false, backupRetentionPeriod: 14, deletionProtection: true,
                skipFinalSnapshot: false, finalSnapshotIdentifier: "llm-platform-prod-postgres-final", manageMasterUserPassword: true,
                password: undefined, iam: true, pi: true, piKey: key,
                logs: ["postgresql", "upgrade"], subnetGroup: "llm-platform-prod-postgres", parameterGroup: "llm-platform-prod-postgres-postgres17", copyTags: true,
            },
        );
        assert.deepEqual([db.options.protect, db.options.retainOnDelete], [true, true]);
        assert.deepEqual([i.masterUserSecretKmsKeyId, i.backupWindow, i.maintenanceWindow, i.autoMinorVersionUpgrade], [key, "01:00-02:00", "sun:03:00-sun:04:00", true]);
        assert.equal(i.caCertIdentifier, "rds-ca-rsa2048-g1");
        // Enhanced Monitoring every 60 s through its own role.
        const monitoring = run.named("aws:iam/role:Role", "aws-postgres-monitoring");
        assert.deepEqual([i.monitoringInterval, i.monitoringRoleArn], [60, monitoring.state.arn]);
        assert.deepEqual(doc(monitoring.inputs.assumeRolePolicy).Statement[0].Principal, { Service: "monitoring.rds.amazonaws.com" });
        assert.equal(run.named("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws-postgres-monitoring-policy").inputs.policyArn, "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole");
        // Dependency order: the subnet group (and parameter group, security group) before the database.
        assert.ok(db.options.dependsOn.includes("aws:rds/subnetGroup:SubnetGroup::aws-postgres-subnets"), db.options.dependsOn.join());
        assert.ok(db.options.dependsOn.includes("aws:rds/parameterGroup:ParameterGroup::aws-postgres-parameters"));
    });

    it("tunes PostgreSQL with a parameter group: slow-query log at 1 s, TLS only, pg_stat_statements", () => {
        const pg = run.named("aws:rds/parameterGroup:ParameterGroup", "aws-postgres-parameters").inputs;
        assert.equal(pg.family, "postgres17");
        const byName = Object.fromEntries(pg.parameters.map((p: any) => [p.name, p.value]));
        assert.equal(byName.log_min_duration_statement, "1000");
        assert.equal(byName["rds.force_ssl"], "1");
        assert.equal(byName.shared_preload_libraries, "pg_stat_statements");
        assert.equal(byName["pg_stat_statements.track"], "top");
        assert.equal(byName.track_io_timing, "1");
        // Static: it takes effect at the next reboot, which RDS does not do on its own.
        assert.equal(pg.parameters.find((p: any) => p.name === "shared_preload_libraries").applyMethod, "pending-reboot");
    });

    it("migrates the app database in a Job: the master password from Secrets Manager, a fresh RDS snapshot, then Sqitch with TLS", () => {
        const role = run.named("aws:iam/role:Role", "aws-app-database-migrate").inputs;
        assert.equal(role.name, "llm-platform-prod-app-database-migrate");
        const association = run.named("aws:eks/podIdentityAssociation:PodIdentityAssociation", "aws-app-database-migrate-pod-identity").inputs;
        assert.deepEqual([association.namespace, association.serviceAccount], ["llm-platform", "app-database-migrate"]);
        const instance = run.named("aws:rds/instance:Instance", "aws-postgres").state;
        const statements = doc(run.named("aws:iam/rolePolicy:RolePolicy", "aws-app-database-migrate-access").inputs.policy).Statement;
        const snapshots = "arn:aws:rds:eu-west-1:123456789012:snapshot:llm-platform-prod-postgres-before-migrate-*";
        // That one secret, that one instance's snapshots, nothing else.
        assert.deepEqual(statements.map((x: any) => [x.Sid, x.Action, x.Resource]), [
            ["ReadMasterPassword", "secretsmanager:GetSecretValue", instance.masterUserSecrets[0].secretArn],
            ["DecryptMasterPassword", "kms:Decrypt", run.named("aws:kms/key:Key", "aws-database-key").state.arn],
            ["SnapshotBeforeMigrating", ["rds:CreateDBSnapshot", "rds:AddTagsToResource"], [instance.arn, snapshots]],
            ["WatchSnapshot", "rds:DescribeDBSnapshots", snapshots],
        ]);
        assert.deepEqual(statements[1].Condition, { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } });

        const job = run.named("kubernetes:batch/v1:Job", "app-database-migrate").inputs;
        const pod = job.spec.template.spec;
        assert.equal(job.spec.backoffLimit, 0);
        assert.equal(pod.serviceAccountName, "app-database-migrate");
        assert.deepEqual(pod.initContainers.map((c: any) => [c.name, c.image]), [["password", "amazon/aws-cli:2.37.5"], ["backup-first", "amazon/aws-cli:2.37.5"]]);
        assert.match(pod.initContainers[1].command[2], /aws rds create-db-snapshot --db-instance-identifier "\$DB_INSTANCE" --db-snapshot-identifier "\$snapshot"/);
        const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
        assert.deepEqual([pod.containers[0].image, env.PGHOST, env.PGPORT, env.PGDATABASE, env.PGUSER, env.PGSSLMODE, env.MIGRATE_LOGIN_JSON], [
            "sqitch/sqitch:v1.6.1.2", instance.address, "5432", "app", "app_admin", "require", "/secrets/master.json",
        ]);
        assert.equal(env.PGPASSWORD, undefined, "no password in the Job: it is read at run time");
        assert.deepEqual(pod.volumes.find((v: any) => v.name === "secrets").emptyDir, { medium: "Memory", sizeLimit: "1Mi" });
        // Flows: RDS's subnets on 5432 (and 443 for VPC endpoints), AWS APIs on 443, the Pod Identity agent.
        const flows = run.named("kubernetes:networking.k8s.io/v1:NetworkPolicy", "aws-app-database-migrate-flows").inputs.spec;
        assert.deepEqual(flows.egress[0].to.map((t: any) => t.ipBlock.cidr), [S.privateA.cidrBlock, S.privateB.cidrBlock, S.privateC.cidrBlock]);
        assert.deepEqual(flows.egress[0].ports.map((p: any) => p.port), [5432, 443]);
        assert.deepEqual(flows.egress[2].to, [{ ipBlock: { cidr: "169.254.170.23/32" } }]);
        assert.deepEqual(flows.ingress, []);
        const template = run.named("kubernetes:batch/v1:CronJob", "app-database-migrate-template").inputs;
        assert.equal(template.spec.suspend, true);
        // The same pod; the Jobs made from the template (not in Pulumi's state) are deleted after kubernetes.jobTtlHours.
        assert.deepEqual(template.spec.jobTemplate.spec, { ...job.spec, ttlSecondsAfterFinished: 168 * 3600 }, "`npm run migrate` runs the same pod");
        assert.equal(job.spec.ttlSecondsAfterFinished, undefined, "the Job Pulumi manages stays as long as the stack");
    });

    it("admits only the cluster security group to PostgreSQL", () => {
        const sg = run.named("aws:ec2/securityGroup:SecurityGroup", "aws-postgres-sg").inputs;
        assert.deepEqual(sg.egress, []);
        assert.equal(sg.ingress, undefined);
        const rules = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.securityGroupId === "aws-postgres-sg-id");
        assert.deepEqual(rules.map((r) => [r.inputs.referencedSecurityGroupId, r.inputs.cidrIpv4, r.inputs.fromPort, r.inputs.toPort]), [[MOCK_CLUSTER_SECURITY_GROUP, undefined, 5432, 5432]]);
    });

    it("runs Valkey on ElastiCache: Multi-AZ with failover, TLS required, encrypted with the stack's key, RBAC users, snapshots", () => {
        const group = run.named("aws:elasticache/replicationGroup:ReplicationGroup", "aws-valkey");
        const g = group.inputs;
        assert.equal(g.replicationGroupId, "llm-platform-prod-valkey");
        assert.deepEqual([g.engine, g.engineVersion, g.nodeType, g.port], ["valkey", "8.1", "cache.m7g.large", 6379]);
        assert.ok(g.numCacheClusters >= 2, "a primary and at least one replica");
        assert.deepEqual([g.multiAzEnabled, g.automaticFailoverEnabled], [true, true]);
        assert.deepEqual([g.transitEncryptionEnabled, g.transitEncryptionMode], [true, "required"]);
        assert.equal(g.atRestEncryptionEnabled, true);
        // The stores' key (RDS's), as an ARN: the form the Read stores.
        assert.equal(g.kmsKeyId, run.named("aws:kms/key:Key", "aws-database-key").state.arn);
        // RBAC (tests/elasticache-users.test.ts): the generated password is the platform's user's, no AUTH token.
        assert.equal(g.authToken, undefined);
        assert.equal(g.authTokenUpdateStrategy, "DELETE");
        assert.deepEqual(run.named("aws:elasticache/user:User", "aws-valkey-user-platform").inputs.passwords, [run.outputs.credentials.redisPassword]);
        assert.ok(g.snapshotRetentionLimit > 0);
        assert.equal(g.snapshotWindow, "03:00-04:00");
        assert.equal(g.maintenanceWindow, "sun:05:00-sun:06:00");
        assert.equal(g.finalSnapshotIdentifier, "llm-platform-prod-valkey-final");
        assert.equal(group.options.protect, true);
        assert.deepEqual(g.userGroupIds, ["llm-platform-prod-valkey"], "RBAC, not an AUTH token: the two conflict");
        // In the private subnets, behind a group that admits the cluster's security group on 6379 only.
        const subnets = run.named("aws:elasticache/subnetGroup:SubnetGroup", "aws-valkey-subnets").inputs;
        assert.deepEqual([...subnets.subnetIds].sort(), [S.privateA.id, S.privateB.id, S.privateC.id].sort());
        assert.equal(g.subnetGroupName, subnets.name);
        const sg = run.named("aws:ec2/securityGroup:SecurityGroup", "aws-valkey-sg").inputs;
        assert.deepEqual(sg.egress, []);
        assert.deepEqual(g.securityGroupIds, ["aws-valkey-sg-id"]);
        const rules = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.securityGroupId === "aws-valkey-sg-id");
        assert.deepEqual(rules.map((r) => [r.inputs.referencedSecurityGroupId, r.inputs.cidrIpv4, r.inputs.fromPort, r.inputs.toPort]), [[MOCK_CLUSTER_SECURITY_GROUP, undefined, 6379, 6379]]);
        const parameters = run.named("aws:elasticache/parameterGroup:ParameterGroup", "aws-valkey-parameters-valkey8").inputs;
        assert.deepEqual([parameters.name, parameters.family, parameters.parameters], ["llm-platform-prod-valkey-valkey8", "valkey8", [{ name: "maxmemory-policy", value: "allkeys-lru" }]]);
        assert.equal(g.parameterGroupName, parameters.name);
    });

    it("points clients, the outputs and the exporter at ElastiCache's primary endpoint over TLS", () => {
        const host = run.named("aws:elasticache/replicationGroup:ReplicationGroup", "aws-valkey").state.primaryEndpointAddress;
        assert.match(host, /^master\.llm-platform-prod-valkey\..+\.cache\.amazonaws\.com$/);
        assert.equal(run.outputs.endpoints.redis, `${host}:6379`);
        assert.equal(run.outputs.connectionStrings.redis, `rediss://llm-platform:${run.outputs.credentials.redisPassword}@${host}:6379/0`);
        const exporter = run.named("kubernetes:apps/v1:Deployment", "redis-exporter").inputs.spec.template.spec.containers[0];
        assert.equal(exporter.env.find((e: any) => e.name === "REDIS_ADDR").value, `rediss://${host}:6379`);
        assert.equal(exporter.env.find((e: any) => e.name === "REDIS_USER").value, "llm-platform");
        // No in-cluster Valkey, so no in-cluster backup: ElastiCache's snapshots are the backups.
        assert.equal(run.ofType("kubernetes:batch/v1:CronJob").filter((c) => c.name.startsWith("redis-")).length, 0);
    });

    it("stops redis.engine elasticache without the aws object, naming the key", async () => {
        const values = withOverrides(withExampleUserValues(stackConfigValues("prod")).values, { "llm-platform:backup": { enabled: false } });
        delete values[AWS_KEY];
        const { message, registered } = await failedRun(values);
        assert.match(message, /llm-platform:redis\.engine = "elasticache": .*needs AWS/);
        assert.equal(registered.length, 0);
    });

    it("hands apps the connection details as a Secret in the platform namespace, without the password", () => {
        const secret = run.named("kubernetes:core/v1:Secret", "aws-postgres-connection").inputs;
        assert.equal(secret.metadata.name, "postgres-connection");
        assert.equal(secret.metadata.namespace, "llm-platform");
        assert.deepEqual(Object.keys(secret.stringData).sort(), ["database", "host", "masterUserSecretArn", "port", "sslmode", "username"]);
        assert.match(secret.stringData.host, /^llm-platform-prod-postgres\.c[0-9a-f]+\.eu-west-1\.rds\.amazonaws\.com$/);
        assert.deepEqual([secret.stringData.port, secret.stringData.database, secret.stringData.username, secret.stringData.sslmode], ["5432", "app", "app_admin", "verify-full"]);
        assert.match(secret.stringData.masterUserSecretArn, /^arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!/);
    });

    it("serves HTTPS on an internet-facing ALB with a TLS 1.2+ policy; HTTP only redirects", () => {
        const alb = run.named("aws:lb/loadBalancer:LoadBalancer", "aws-alb");
        assert.deepEqual(
            [alb.inputs.name, alb.inputs.loadBalancerType, alb.inputs.internal, alb.inputs.dropInvalidHeaderFields, alb.inputs.enableDeletionProtection, alb.inputs.idleTimeout],
            ["llm-platform-prod", "application", false, true, true, 600],
        );
        assert.equal(alb.inputs.desyncMitigationMode, "defensive");
        assert.deepEqual(alb.options.dependsOn.filter((d) => d.includes("aws-logs")).length, 4, "waits for the log bucket's policy");
        const https = run.named("aws:lb/listener:Listener", "aws-alb-https");
        const certificateArn = run.named("aws:acm/certificate:Certificate", "aws-certificate").state.arn;
        assert.deepEqual(
            [https.inputs.port, https.inputs.protocol, https.inputs.sslPolicy, https.inputs.certificateArn, https.inputs.defaultActions[0].type],
            [443, "HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06", certificateArn, "forward"],
        );
        // Dependency order: the certificate is validated before the HTTPS listener exists.
        assert.deepEqual(https.options.dependsOn, ["aws:acm/certificateValidation:CertificateValidation::aws-certificate-validation"]);
        const http = run.named("aws:lb/listener:Listener", "aws-alb-http").inputs;
        assert.deepEqual([http.port, http.protocol, http.defaultActions], [80, "HTTP", [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }]]);
    });

    it("validates the ACM certificate by DNS in the configured zone and points the hostname at the ALB", () => {
        const certificate = run.named("aws:acm/certificate:Certificate", "aws-certificate");
        assert.deepEqual([certificate.inputs.domainName, certificate.inputs.validationMethod], ["llm.example.com", "DNS"]);
        const record = run.named("aws:route53/record:Record", "aws-certificate-validation-llm.example.com").inputs;
        const option = certificate.state.domainValidationOptions[0];
        assert.deepEqual([record.zoneId, record.name, record.type, record.records], ["Z0EXAMPLE1234567890AB", option.resourceRecordName, "CNAME", [option.resourceRecordValue]]);
        const validation = run.named("aws:acm/certificateValidation:CertificateValidation", "aws-certificate-validation");
        assert.equal(validation.inputs.certificateArn, certificate.state.arn);
        assert.deepEqual(validation.options.dependsOn, ["aws:route53/record:Record::aws-certificate-validation-llm.example.com"]);
        const alias = run.named("aws:route53/record:Record", "aws-dns-llm.example.com").inputs;
        assert.deepEqual([alias.name, alias.type, alias.aliases[0].name], ["llm.example.com", "A", run.outputs.aws.loadBalancerDnsName]);
    });

    it("uses an imported certificate ARN as is, without ACM issuing one", async () => {
        const arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-4a1b-8c2d-3e4f5a6b7c8d";
        const imported = await runProgram("prod", awsValues({ loadBalancer: { certificateArn: arn, waf: { enabled: false }, allowedCidrs: ["203.0.113.0/24"] } }));
        assert.equal(imported.ofType("aws:acm/certificate:Certificate").length, 0);
        assert.equal(imported.named("aws:lb/listener:Listener", "aws-alb-https").inputs.certificateArn, arn);
        assert.equal(imported.ofType("aws:wafv2/webAcl:WebAcl").length, 0);
        const albIn = imported.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.securityGroupId === "aws-alb-sg-id");
        assert.deepEqual(albIn.map((r) => [r.inputs.cidrIpv4, r.inputs.fromPort]), [["203.0.113.0/24", 443], ["203.0.113.0/24", 80]]);
    });

    it("sends HTTPS to the proxy pods as IP targets, checked on /healthz, bound by a TargetGroupBinding", () => {
        const tg = run.named("aws:lb/targetGroup:TargetGroup", "aws-alb-proxy");
        assert.deepEqual([tg.inputs.name, tg.inputs.targetType, tg.inputs.protocol, tg.inputs.port], ["llm-platform-prod-proxy", "ip", "HTTPS", 443]);
        assert.deepEqual([tg.inputs.healthCheck.path, tg.inputs.healthCheck.protocol, tg.inputs.healthCheck.matcher], ["/healthz", "HTTPS", "200"]);
        const binding = run.named("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding", "aws-alb-binding").inputs;
        assert.deepEqual(binding, {
            apiVersion: "elbv2.k8s.aws/v1beta1",
            kind: "TargetGroupBinding",
            metadata: { name: "proxy-alb", namespace: "llm-platform" },
            spec: { serviceRef: { name: "proxy", port: 443 }, targetGroupARN: tg.state.arn, targetType: "ip" },
        });
        assert.ok(run.ofType("kubernetes:core/v1:Service").some((s) => s.inputs.metadata.name === binding.spec.serviceRef.name && s.inputs.spec.ports.some((p: any) => p.port === 443)));
    });

    it("lets the world reach the ALB on 443 and 80, and only the ALB reach the proxy pods", () => {
        const rules = (type: string, group: string) => run.ofType(type).filter((r) => r.inputs.securityGroupId === group).map((r) => r.inputs);
        const albIn = rules("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws-alb-sg-id");
        assert.deepEqual(albIn.map((r) => [r.cidrIpv4, r.fromPort]), [["0.0.0.0/0", 443], ["0.0.0.0/0", 80]]);
        const albOut = rules("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws-alb-sg-id");
        assert.deepEqual(albOut.map((r) => [r.referencedSecurityGroupId, r.fromPort, r.toPort]), [[MOCK_CLUSTER_SECURITY_GROUP, 443, 443]]);
        const toPods = rules("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", MOCK_CLUSTER_SECURITY_GROUP);
        assert.deepEqual(toPods.map((r) => [r.referencedSecurityGroupId, r.fromPort, r.toPort]), [["aws-alb-sg-id", 443, 443]]);
    });

    it("puts a WAF web ACL with the common rule set and a rate rule in front of the ALB", () => {
        const acl = run.named("aws:wafv2/webAcl:WebAcl", "aws-waf");
        assert.equal(acl.inputs.scope, "REGIONAL");
        const [common, rate] = acl.inputs.rules;
        assert.equal(common.statement.managedRuleGroupStatement.name, "AWSManagedRulesCommonRuleSet");
        // Embedding and chat bodies exceed the set's 8 KB limit: that rule only counts.
        assert.deepEqual(common.statement.managedRuleGroupStatement.ruleActionOverrides, [{ name: "SizeRestrictions_BODY", actionToUse: { count: {} } }]);
        assert.deepEqual([rate.action, rate.statement.rateBasedStatement.limit, rate.statement.rateBasedStatement.aggregateKeyType], [{ block: {} }, 2000, "IP"]);
        const association = run.named("aws:wafv2/webAclAssociation:WebAclAssociation", "aws-waf-association").inputs;
        assert.deepEqual([association.resourceArn, association.webAclArn], [run.named("aws:lb/loadBalancer:LoadBalancer", "aws-alb").state.arn, acl.state.arn]);
    });

    it("exports what the backup CronJobs and the apps need", () => {
        const out = run.outputs.aws;
        assert.deepEqual(out.backups, {
            bucket: BACKUPS,
            prefix: "backups/",
            roleArn: "arn:aws:iam::123456789012:role/llm-platform-prod-backup",
            serviceAccount: "backup",
            identity: "pod-identity",
            kmsKeyArn: run.named("aws:kms/key:Key", "aws-backups-key").state.arn,
            replicaBucket: undefined,
        });
        assert.equal(out.logBucket, LOGS);
        assert.deepEqual({ ...out.database, host: undefined, masterUserSecretArn: undefined }, { host: undefined, port: 5432, database: "app", username: "app_admin", masterUserSecretArn: undefined, connectionSecret: "postgres-connection" });
        assert.match(out.loadBalancerDnsName, /\.eu-west-1\.elb\.amazonaws\.com$/);
    });

    it("passes the policy pack with no mandatory violation", async () => {
        const violations = await runPolicyPack(policyResources(run));
        assert.deepEqual(violations.filter((v) => v.enforcementLevel === "mandatory"), []);
    });
});

describe("prod stack's AWS network checks (before any resource)", function () {
    this.timeout(30000);
    const onlyProviders = (registered: RegisteredResource[]) => registered.filter((r) => !r.type.startsWith("pulumi:providers:"));

    it("stops on a subnet outside the cluster's VPC, naming the key and the subnet", async () => {
        const { message, registered } = await failedRun(awsValues({ network: { privateSubnetIds: [S.privateA.id, S.foreign.id] } }));
        assert.match(message, /llm-platform:aws\.network\.privateSubnetIds: subnet-0ff000000000000ff is in vpc-0ffffffffffffffff, not in the VPC vpc-0a1b2c3d4e5f60718/);
        assert.deepEqual(onlyProviders(registered), []);
    });

    it("stops on private subnets in fewer than two zones (Multi-AZ)", async () => {
        const { message, registered } = await failedRun(awsValues({ network: { privateSubnetIds: [S.privateA.id, S.privateA2.id] } }));
        assert.match(message, /llm-platform:aws\.network\.privateSubnetIds = \["subnet-0aa0000000000000a","subnet-0a2000000000000a2"\]: covers 1 availability zone\(s\) \(eu-west-1a\); at least 2 are required/);
        assert.deepEqual(onlyProviders(registered), []);
    });

    it("stops on public subnets in one zone: the ALB needs two", async () => {
        const { message, registered } = await failedRun(awsValues({ network: { publicSubnetIds: [S.publicB.id] } }));
        assert.match(message, /llm-platform:aws\.network\.publicSubnetIds = \["subnet-0bd0000000000000b"\]: covers 1 availability zone/);
        assert.deepEqual(onlyProviders(registered), []);
    });

    it("stops without a Route 53 zone or certificate, and on the NLB service type, before anything at all", async () => {
        const values = withOverrides(stackConfigValues("prod"), { "llm-platform:kubernetes": { eksClusterName: "example-cluster", awsRegion: "eu-west-1", proxyServiceType: "LoadBalancer" }, "llm-platform:tls": { hostnames: ["llm.example.com"] } });
        const { message, registered } = await failedRun(values);
        assert.match(message, /llm-platform:aws\.loadBalancer\.route53ZoneId = \(not set\): must name the hosted zone of tls\.hostnames/);
        assert.match(message, /llm-platform:kubernetes\.proxyServiceType = "LoadBalancer": must be ClusterIP with the aws object/);
        assert.deepEqual(registered, []);
    });

    it("stops an aws object on the docker platform and a typo inside it, naming the keys", async () => {
        const values = withOverrides(stackConfigValues("dev"), { [AWS_KEY]: { owner: "ops", region: "eu-west-1", database: { instanceClas: "db.t4g.small" } } });
        const { message, registered } = await failedRun(values);
        assert.match(message, /llm-platform:aws\.database\.instanceClas: unknown key \(did you mean instanceClass\?\); allowed keys: engineVersion, instanceClass, /);
        assert.deepEqual(registered, []);
        const onDocker = await failedRun(withOverrides(stackConfigValues("dev"), { [AWS_KEY]: { owner: "ops", region: "eu-west-1" } }));
        assert.match(onDocker.message, /llm-platform:aws = .*: is for the prod platform: set platform to kubernetes/);
        assert.deepEqual(onDocker.registered, []);
    });

    it("stops on lifecycle and storage values that contradict each other, naming the key", async () => {
        const { message, registered } = await failedRun(
            awsValues({ backupBucket: { replicaRegion: "eu-west-1", transitionToIaDays: 60, transitionToGlacierDays: 80, expireDays: 80 }, database: { allocatedStorageGb: 600, maxAllocatedStorageGb: 500 } }),
        );
        assert.match(message, /llm-platform:aws\.backupBucket\.transitionToGlacierDays = 80: must be at least 30 days after aws\.backupBucket\.transitionToIaDays \(60\)/);
        assert.match(message, /llm-platform:aws\.backupBucket\.expireDays = 80: must be later than aws\.backupBucket\.transitionToGlacierDays \(80\)/);
        assert.match(message, /llm-platform:aws\.database\.maxAllocatedStorageGb = 500: must be at least aws\.database\.allocatedStorageGb \(600\)/);
        assert.match(message, /llm-platform:aws\.backupBucket\.replicaRegion = "eu-west-1": must be a second region/);
        assert.deepEqual(registered, []);
    });

    it("takes an explicit network without asking the cluster for it", async () => {
        const explicit = await runProgram(
            "prod",
            awsValues({
                network: { vpcId: MOCK_VPC_ID, privateSubnetIds: [S.privateA.id, S.privateB.id], publicSubnetIds: [S.publicA.id, S.publicB.id], clusterSecurityGroupId: MOCK_CLUSTER_SECURITY_GROUP },
            }),
        );
        assert.deepEqual(explicit.named("aws:rds/subnetGroup:SubnetGroup", "aws-postgres-subnets").inputs.subnetIds, [S.privateA.id, S.privateB.id]);
        assert.deepEqual(explicit.named("aws:lb/loadBalancer:LoadBalancer", "aws-alb").inputs.subnets, [S.publicA.id, S.publicB.id]);
    });
});

describe("prod stack adopting what an earlier destroy kept (aws.adopt)", function () {
    this.timeout(60000);
    const KEY_IDS: Record<string, string> = {
        "alias/llm-platform-prod-backups": "1111aaaa-0000-4000-8000-000000000001",
        "alias/llm-platform-prod-database": "2222bbbb-0000-4000-8000-000000000002",
        "alias/llm-platform-prod-backups-replica": "3333cccc-0000-4000-8000-000000000003",
    };
    /** The account as a destroy left it: the aliases, the database's and the Valkey group's security groups. */
    const keptAccount: LookupOverride = (token, inputs) => {
        if (token === "aws:kms/getAlias:getAlias" && KEY_IDS[inputs.name]) return { name: inputs.name, targetKeyId: KEY_IDS[inputs.name], targetKeyArn: `arn:aws:kms:eu-west-1:123456789012:key/${KEY_IDS[inputs.name]}`, arn: "", id: inputs.name };
        if (token === "aws:ec2/getSecurityGroup:getSecurityGroup" && inputs.name === "llm-platform-prod-postgres") return { id: "sg-0d0d0d0d0d0d0d0d0", name: inputs.name, vpcId: inputs.vpcId };
        if (token === "aws:ec2/getSecurityGroup:getSecurityGroup" && inputs.name === "llm-platform-prod-valkey") return { id: "sg-0e0e0e0e0e0e0e0e0", name: inputs.name, vpcId: inputs.vpcId };
        return undefined;
    };

    it("imports every kept object by the id the program derives from its names", async () => {
        const values = awsValues({ adopt: true, backupBucket: { replicaRegion: "eu-central-1" } });
        const adopted = await runProgram("prod", values, 0, [], undefined, [], keptAccount);
        const kept = adopted.resources.filter((r) => r.custom && r.type.startsWith("aws:") && r.engine.retainOnDelete);
        assert.ok(kept.length > 30, `${kept.length} kept`);
        for (const r of kept) assert.ok(r.engine.importId, `${r.type} ${r.name} has an import id`);
        const importOf = (type: string, name: string) => adopted.named(type, name).engine.importId;
        assert.equal(importOf(BUCKET, "aws-backups"), BACKUPS);
        assert.equal(importOf("aws:s3/bucketPolicy:BucketPolicy", "aws-backups-policy"), BACKUPS);
        assert.equal(importOf("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "aws-backups-object-lock"), BACKUPS);
        assert.equal(importOf("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "aws-backups-replica-config"), BACKUPS);
        assert.equal(importOf(BUCKET, "aws-backups-replica"), "llm-platform-prod-123456789012-eu-central-1-backups");
        assert.equal(importOf("aws:kms/key:Key", "aws-backups-key"), KEY_IDS["alias/llm-platform-prod-backups"]);
        assert.equal(importOf("aws:kms/key:Key", "aws-backups-replica-key"), KEY_IDS["alias/llm-platform-prod-backups-replica"]);
        assert.equal(importOf("aws:kms/alias:Alias", "aws-database-key-alias"), "alias/llm-platform-prod-database");
        assert.equal(importOf("aws:rds/instance:Instance", "aws-postgres"), "llm-platform-prod-postgres");
        assert.equal(importOf("aws:rds/parameterGroup:ParameterGroup", "aws-postgres-parameters"), "llm-platform-prod-postgres-postgres17");
        assert.equal(importOf("aws:rds/subnetGroup:SubnetGroup", "aws-postgres-subnets"), "llm-platform-prod-postgres");
        assert.equal(importOf("aws:ec2/securityGroup:SecurityGroup", "aws-postgres-sg"), "sg-0d0d0d0d0d0d0d0d0");
        assert.equal(importOf("aws:iam/role:Role", "aws-postgres-monitoring"), "llm-platform-prod-postgres-monitoring");
        assert.equal(importOf("aws:iam/rolePolicy:RolePolicy", "aws-backups-replica-access"), "llm-platform-prod-backup-replication:replicate-backups");
        // Valkey on ElastiCache: the protected replication group and the groups it keeps.
        assert.equal(importOf("aws:elasticache/replicationGroup:ReplicationGroup", "aws-valkey"), "llm-platform-prod-valkey");
        assert.equal(importOf("aws:elasticache/subnetGroup:SubnetGroup", "aws-valkey-subnets"), "llm-platform-prod-valkey");
        assert.equal(importOf("aws:elasticache/parameterGroup:ParameterGroup", "aws-valkey-parameters-valkey8"), "llm-platform-prod-valkey-valkey8");
        assert.equal(importOf("aws:ec2/securityGroup:SecurityGroup", "aws-valkey-sg"), "sg-0e0e0e0e0e0e0e0e0");
        assert.equal(importOf("aws:elasticache/userGroup:UserGroup", "aws-valkey-users"), "llm-platform-prod-valkey");
        // Its users: not retained (a removed app's user goes), but kept by `destroy --exclude-protected` as the group's dependencies.
        const USER = "aws:elasticache/user:User";
        for (const key of ["default", "platform"]) assert.equal(importOf(USER, `aws-valkey-user-${key}`), `llm-platform-prod-valkey-${key}`);
        // What a destroy deletes is created again, never imported.
        for (const r of adopted.resources.filter((x) => x.custom && x.type.startsWith("aws:") && x.type !== USER && !x.engine.retainOnDelete && !x.engine.protect)) assert.equal(r.engine.importId, undefined, r.name);
    });

    it("stops before declaring anything when what it would adopt is not there, naming aws.adopt", async () => {
        const { message, registered } = await failedRun(awsValues({ adopt: true }));
        assert.match(message, /llm-platform:aws\.adopt = true: the KMS alias alias\/llm-platform-prod-backups was not found/);
        assert.match(message, /the security group llm-platform-prod-postgres in vpc-0a1b2c3d4e5f60718 was not found/);
        assert.match(message, /the security group llm-platform-prod-valkey in vpc-0a1b2c3d4e5f60718 was not found/);
        assert.deepEqual(registered.filter((r) => !r.type.startsWith("pulumi:providers:")), []);
    });
});
