import assert from "node:assert/strict";
import { policyResources } from "../harness/policy-report";
import { RegisteredResource, runStack, StackRun } from "../harness/run-stack";
import { runPolicyPack } from "../policies/rules/offline";

/** Kubernetes kinds that live outside any namespace: their names are cluster-wide. */
const CLUSTER_SCOPED = new Set(["Namespace", "StorageClass", "PriorityClass", "ClusterRole", "ClusterRoleBinding", "RuntimeClass", "PersistentVolume", "CustomResourceDefinition"]);

/**
 * The names a resource takes in the account or cluster, which two stacks there must not share:
 * AWS `name`/`bucket`/`identifier`/`roleName`/alias names and Route 53 record names (by zone),
 * Kubernetes objects by namespace/kind/name (cluster-scoped ones by kind/name).
 */
function physicalNames(r: RegisteredResource): string[] {
    const i = r.inputs;
    if (r.type.startsWith("kubernetes:")) {
        const kind = i.kind ?? r.type.slice(r.type.lastIndexOf(":") + 1);
        const name = i.metadata?.name;
        if (typeof name !== "string") return [];
        return [CLUSTER_SCOPED.has(kind) ? `k8s ${kind}/${name}` : `k8s ${i.metadata.namespace}/${kind}/${name}`];
    }
    if (!r.type.startsWith("aws:")) return [];
    if (r.type === "aws:route53/record:Record") return [`route53 ${i.zoneId} ${i.name} ${i.type}`];
    const names: string[] = [];
    for (const key of ["name", "bucket", "identifier", "roleName", "namePrefix", "clusterIdentifier", "finalSnapshotIdentifier"]) {
        if (typeof i[key] === "string") names.push(`${r.type} ${key}=${i[key]}`);
    }
    return names;
}

/** Resources whose name is not the account's: a bucket's side resources, an inline policy's name (scoped to its role). */
const isSideResource = (r: RegisteredResource) => /^aws:s3\/bucket(?!:Bucket$)/.test(r.type) || r.type === "aws:iam/rolePolicy:RolePolicy";

const namesOf = (run: StackRun) => new Set(run.resources.filter((r) => r.custom && !isSideResource(r)).flatMap(physicalNames));

describe("staging stack (Pulumi.staging.yaml under mocks)", function () {
    this.timeout(120000);
    let staging: StackRun;
    let prod: StackRun;
    before(async () => {
        staging = await runStack("staging", { exampleUserValues: true });
        prod = await runStack("prod", { exampleUserValues: true });
    });

    it("has prod's shape: the same resource types, Kubernetes and AWS (the CloudNativePG operator is prod's)", () => {
        // One operator per Kubernetes cluster: prod installs it, staging (kubernetes.cloudnativePg.install false) uses it.
        const types = (run: StackRun) => [...new Set(run.resources.filter((r) => r.custom && r.type !== "kubernetes:helm.sh/v3:Release").map((r) => r.type))].sort();
        assert.deepEqual(types(staging), types(prod));
        assert.equal(staging.ofType("kubernetes:postgresql.cnpg.io/v1:Cluster").length, 1);
        assert.equal(staging.config.platform, "kubernetes");
        assert.ok(staging.ofType("aws:rds/instance:Instance").length === 1);
        assert.ok(staging.ofType("aws:lb/loadBalancer:LoadBalancer").length === 1);
    });

    it("is smaller than prod: every workload's limits at most prod's, most of them below", () => {
        const c = staging.config;
        const p = prod.config;
        // Valkey is ElastiCache on both: its size is the node type.
        assert.equal(c.redis.engine, "elasticache");
        assert.notEqual(c.aws?.cache.nodeType, p.aws?.cache.nodeType);
        for (const service of ["sqlserver", "ollama", "proxy", "timescale", "qdrant"] as const) {
            assert.ok(c[service].cpu <= p[service].cpu && c[service].memoryMb <= p[service].memoryMb, service);
            assert.ok(c[service].memoryMb < p[service].memoryMb, `${service} memory is below prod's`);
        }
        for (const service of ["sqlserver", "ollama", "timescale", "qdrant"] as const) {
            assert.ok(c[service].storageGb < p[service].storageGb, `${service}.storageGb`);
        }
        assert.notEqual(c.aws?.database.instanceClass, p.aws?.database.instanceClass);
    });

    it("shares no physical name with prod: buckets, RDS, KMS aliases, ALB, target groups, IAM roles, DNS, namespaces, StorageClasses", () => {
        const s = namesOf(staging);
        const p = namesOf(prod);
        const shared = [...s].filter((n) => p.has(n));
        assert.deepEqual(shared, []);
        // The names the brief lists are all among those compared (so the check cannot pass by looking at nothing).
        for (const pattern of [
            /aws:s3\/bucket:Bucket bucket=llm-platform-staging-\d+-eu-west-1-backups/,
            /aws:rds\/instance:Instance identifier=llm-platform-staging/,
            /aws:kms\/alias:Alias name=alias\/llm-platform-staging-backups/,
            /aws:lb\/loadBalancer:LoadBalancer name=llm-platform-staging/,
            /aws:lb\/targetGroup:TargetGroup name=llm-platform-staging-proxy/,
            /aws:iam\/role:Role name=llm-platform-staging-backup/,
            /route53 Z0EXAMPLE1234567890AB llm-staging.example.com A/,
            /k8s Namespace\/llm-platform-staging$/,
            /k8s Namespace\/llm-platform-staging-node-agents/,
            /k8s StorageClass\/llm-platform-staging-gp3$/,
            /k8s PriorityClass\/llm-platform-staging-node-agent/,
        ]) {
            assert.ok([...s].some((n) => pattern.test(n)), `${pattern} is among staging's names: ${[...s].filter((n) => !n.startsWith("k8s llm")).join("\n")}`);
        }
    });

    it("passes the policy pack as a production stack (deletion protection, final snapshot, Multi-AZ)", async () => {
        const violations = await runPolicyPack(policyResources(staging));
        assert.deepEqual(violations.filter((v) => v.enforcementLevel === "mandatory"), []);
        const rds = staging.ofType("aws:rds/instance:Instance")[0].inputs;
        assert.deepEqual([rds.deletionProtection, rds.multiAz, rds.skipFinalSnapshot], [true, true, false]);
        assert.equal(staging.ofType("aws:lb/loadBalancer:LoadBalancer")[0].inputs.enableDeletionProtection, true);
    });

    it("is held to the production checks: the pack fails it when Multi-AZ is off", async () => {
        const single = await runStack("staging", { exampleUserValues: true, overrides: { "llm-platform:aws": { database: { ...staging.config.aws!.database, multiAz: false } } } });
        const violations = (await runPolicyPack(policyResources(single))).filter((v) => v.enforcementLevel === "mandatory");
        assert.ok(violations.some((v) => /multiAz is false in production stack staging/.test(v.message)), JSON.stringify(violations.map((v) => v.message)));
    });
});
