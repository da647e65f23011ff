/**
 * The deployer's IAM policy, generated from what the prod stack declares (npm run
 * deployer-policy), evaluated with IAM's matching rules on the calls the provider makes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DEPLOYER_PERMISSIONS, deployerPolicy, DeployerScope } from "../components/aws/deployer-permissions";
import { stackDeployerPolicy } from "../harness/deployer-policy";
import { withExampleUserValues } from "../harness/example-user-values";
import { runProgram, stackConfigValues, StackRun, withOverrides } from "../harness/run-stack";
import { tsNode } from "./helpers/ts-node";

type Policy = ReturnType<typeof deployerPolicy>;
interface Statement {
    Action: string[];
    Resource: string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

/** IAM's wildcards: `*` any run, `?` one character (actions compare case-insensitively). */
const matches = (pattern: string, value: string, ignoreCase = false) =>
    new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("")}$`, ignoreCase ? "i" : "").test(value);

/** Whether the policy allows the call: an Allow statement whose action, resource and every condition match the request context. */
function allows(policy: Policy, action: string, resource: string, context: Record<string, string> = {}): boolean {
    return (policy.Statement as Statement[]).some((s) => {
        if (!s.Action.some((a) => matches(a, action, true)) || !s.Resource.some((r) => matches(r, resource))) return false;
        return Object.entries(s.Condition ?? {}).every(([operator, keys]) =>
            Object.entries(keys).every(([k, expected]) => {
                const actual = context[k];
                if (actual === undefined) return false;
                const values = [expected].flat();
                if (operator === "StringEquals" || operator === "Bool") return values.includes(actual);
                if (operator === "ArnEquals" || operator === "ArnLike" || operator === "StringLike") return values.some((v) => matches(v, actual));
                throw new Error(`condition operator ${operator} is not evaluated here`);
            }),
        );
    });
}

const DB_KEY = "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-0000-4000-8000-000000000001";
const tagged = { "aws:ResourceTag/llm-platform:stack": "prod" };
const awsTypes = (run: StackRun) => [...run.resources.filter((r) => r.custom && (r.type.startsWith("aws:") || r.type === "pulumi:providers:aws")).map((r) => r.type), ...run.calls.filter((c) => c.startsWith("aws:"))];

describe("deployer policy generated from what the prod stack declares", function () {
    this.timeout(120000);
    let policy: Policy;
    before(async () => {
        policy = (await stackDeployerPolicy("prod")).policy;
    });

    it("lets the deployer create the database encrypted with the stack's key (kms:CreateGrant, kms:DescribeKey through RDS)", () => {
        const viaRds = { ...tagged, "kms:ViaService": "rds.eu-west-1.amazonaws.com" };
        for (const action of ["kms:CreateGrant", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"]) assert.ok(allows(policy, action, DB_KEY, viaRds), action);
        assert.ok(allows(policy, "rds:CreateDBInstance", "arn:aws:rds:eu-west-1:111122223333:db:llm-platform-prod-postgres"));
        assert.ok(allows(policy, "rds:CreateDBInstance", "arn:aws:rds:eu-west-1:111122223333:pg:llm-platform-prod-postgres-postgres17"));
        assert.ok(allows(policy, "secretsmanager:CreateSecret", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-1a2b3c-AbCdEf"));
        assert.ok(allows(policy, "iam:PassRole", "arn:aws:iam::111122223333:role/llm-platform-prod-postgres-monitoring", { "iam:PassedToService": "monitoring.rds.amazonaws.com" }));
        // Another stack's key, or a grant asked for outside RDS, is not the deployer's.
        assert.ok(!allows(policy, "kms:CreateGrant", DB_KEY, { "aws:ResourceTag/llm-platform:stack": "dev", "kms:ViaService": "rds.eu-west-1.amazonaws.com" }));
        assert.ok(!allows(policy, "kms:CreateGrant", DB_KEY, tagged));
    });

    it("covers every call the stack's buckets, keys, DNS, load balancer and WAF need, on the stack's own names only", () => {
        const bucket = "arn:aws:s3:::llm-platform-prod-111122223333-eu-west-1-backups";
        for (const action of ["s3:CreateBucket", "s3:PutBucketObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration", "s3:PutBucketPolicy", "s3:PutLifecycleConfiguration", "s3:PutEncryptionConfiguration", "s3:PutBucketLogging", "s3:PutBucketVersioning", "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls"]) {
            assert.ok(allows(policy, action, bucket), action);
        }
        assert.ok(!allows(policy, "s3:PutBucketPolicy", "arn:aws:s3:::someone-elses-bucket"));
        assert.ok(allows(policy, "kms:CreateKey", "*", { "aws:RequestTag/llm-platform:stack": "prod" }));
        assert.ok(!allows(policy, "kms:CreateKey", "*"), "an untagged key is not the stack's");
        assert.ok(allows(policy, "kms:ScheduleKeyDeletion", DB_KEY, tagged));
        assert.ok(!allows(policy, "kms:ScheduleKeyDeletion", DB_KEY, { "aws:ResourceTag/llm-platform:stack": "dev" }));
        assert.ok(allows(policy, "kms:CreateAlias", "arn:aws:kms:eu-west-1:111122223333:alias/llm-platform-prod-backups"));
        assert.ok(allows(policy, "route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z0123"));
        assert.ok(allows(policy, "elasticloadbalancing:CreateLoadBalancer", "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/llm-platform-prod/0123"));
        assert.ok(!allows(policy, "elasticloadbalancing:DeleteLoadBalancer", "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/other/0123"));
        assert.ok(allows(policy, "wafv2:AssociateWebACL", "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/llm-platform-prod/0123"));
        assert.ok(allows(policy, "eks:CreatePodIdentityAssociation", "arn:aws:eks:eu-west-1:111122223333:cluster/my-cluster"));
        assert.ok(allows(policy, "iam:PassRole", "arn:aws:iam::111122223333:role/llm-platform-prod-backup", { "iam:PassedToService": "pods.eks.amazonaws.com" }));
        assert.ok(!allows(policy, "iam:PassRole", "arn:aws:iam::111122223333:role/admin", { "iam:PassedToService": "pods.eks.amazonaws.com" }));
        assert.ok(!allows(policy, "ec2:DeleteSecurityGroup", "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0c1a2b3c4d5e6f708"), "the cluster's group is not the stack's to delete");
    });

    it("grants each lookup the program calls what its data source asks AWS (the VPC's ranges, the cluster), and no action twice", async () => {
        const { run } = await stackDeployerPolicy("prod");
        // The API calls each data source makes, read in terraform-provider-aws: vpc_data_source.go
        // dataSourceVPCRead (@01606926: findVPC, findVPCAttribute, findVPCMainRouteTable), eks
        // cluster_data_source.go dataSourceClusterRead (FindClusterByName), the others by their one read API.
        const cluster = "arn:aws:eks:eu-west-1:111122223333:cluster/example-cluster";
        const dataSourceCalls: Record<string, [string, string][]> = {
            "aws:ec2/getVpc:getVpc": [["ec2:DescribeVpcs", "*"], ["ec2:DescribeVpcAttribute", "*"], ["ec2:DescribeRouteTables", "*"]],
            "aws:eks/getCluster:getCluster": [["eks:DescribeCluster", cluster]],
            "aws:ec2/getSubnet:getSubnet": [["ec2:DescribeSubnets", "*"]],
            "aws:index/getCallerIdentity:getCallerIdentity": [["sts:GetCallerIdentity", "*"]],
        };
        const calls = [...new Set(run.calls.filter((c) => c.startsWith("aws:")))];
        for (const lookup of ["aws:ec2/getVpc:getVpc", "aws:eks/getCluster:getCluster"]) assert.ok(calls.includes(lookup), `the prod program calls ${lookup}`);
        const scope: DeployerScope = { prefix: "llm-platform-prod", partition: "aws", region: "eu-west-1", account: "*", clusterName: "example-cluster", route53ZoneId: "Z0EXAMPLE1234567890AB", stack: "prod" };
        for (const call of calls) {
            assert.ok(dataSourceCalls[call], `${call}: say here which API calls its data source makes`);
            // Each lookup's own grant, alone, lets its data source read; and so does the stack's policy.
            const alone = deployerPolicy([call], scope);
            for (const [action, resource] of dataSourceCalls[call]) {
                assert.ok(allows(alone, action, resource), `${call} alone grants ${action}`);
                assert.ok(allows(policy, action, resource.replace("example-cluster", "my-cluster")), `the prod policy grants ${action}`);
            }
        }
        assert.ok(!allows(deployerPolicy(["aws:ec2/getVpc:getVpc"], scope), "ec2:DescribeInstances", "*"), "a lookup grants its reads, not EC2's");
        // A statement lists no action its own wildcard already covers (ec2:DescribeVpcs beside ec2:Describe*).
        for (const st of policy.Statement as Statement[]) {
            for (const a of st.Action) assert.ok(!st.Action.some((w) => w !== a && w.includes("*") && matches(w, a, true)), `${a} is covered by a wildcard of the same statement`);
        }
    });

    it("has permissions for every AWS type and lookup the program uses in any configuration, and fits one managed policy", async () => {
        const base = withExampleUserValues(stackConfigValues("prod")).values;
        const a = base["llm-platform:aws"] as Record<string, any>;
        const widest = await runProgram("prod", withOverrides(base, { "llm-platform:aws": { ...a, backupBucket: { ...a.backupBucket, replicaRegion: "eu-central-1", identity: "irsa" } } }));
        const imported = await runProgram("prod", withOverrides(base, { "llm-platform:aws": { ...a, loadBalancer: { ...a.loadBalancer, route53ZoneId: undefined, certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-4a1b-8c2d-3e4f5a6b7c8d", waf: { enabled: false } } } }));
        const types = [...new Set([...awsTypes(widest), ...awsTypes(imported), "aws:kms/getAlias:getAlias", "aws:ec2/getSecurityGroup:getSecurityGroup"])];
        for (const type of types) assert.ok(DEPLOYER_PERMISSIONS[type], `${type} has deployer permissions`);
        const scope: DeployerScope = { prefix: "llm-platform-prod", partition: "aws", region: "eu-west-1", account: "*", clusterName: "example-cluster", route53ZoneId: "Z0EXAMPLE1234567890AB", stack: "prod" };
        const all = deployerPolicy(types, scope);
        // IAM counts a managed policy's characters without whitespace: at most 6,144.
        assert.ok(JSON.stringify(all).length <= 6144, `${JSON.stringify(all).length} characters`);
        assert.throws(() => deployerPolicy([...types, "aws:ec2/instance:Instance"], scope), /no permissions for aws:ec2\/instance:Instance/);
    });

    it("is the policy docs/aws.md shows, and what `npm run deployer-policy -- prod` prints", () => {
        const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "aws.md"), "utf8");
        const block = /<!-- deployer-policy prod -->\n```json\n([\s\S]*?)```/.exec(doc);
        assert.ok(block, "docs/aws.md holds the generated policy between the deployer-policy marker");
        assert.deepEqual(JSON.parse(block[1]), policy, "regenerate it: npm run -s deployer-policy -- prod");
        const printed = spawnSync(...tsNode("scripts/deployer-policy.ts", ["prod"]), { cwd: path.join(__dirname, ".."), encoding: "utf8" });
        assert.equal(printed.status, 0, printed.stderr);
        assert.deepEqual(JSON.parse(printed.stdout), policy);
    });
});
