/**
 * The managed-service alarms' path on prod: yet-another-cloudwatch-exporter (v0.67.0) reads
 * RDS's CloudWatch metrics with a read-only role through EKS Pod Identity, Prometheus scrapes
 * it, and the same rules and routes as the platform's own stores apply (the rules' edges are
 * tested in prometheus-files.test.ts; the metric names the rules and the dashboard read, in
 * dashboards.test.ts). No AWS here: the config's keys are checked against YACE's config
 * structs, the names against YACE's naming rule and its own tests' outputs.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { CLOUDWATCH_EXPORTER, cloudwatchExporterActions, renderCloudwatchExporterConf, yaceMetricName } from "../../components/observability/cloudwatch-exporter-conf";
import { runStack, StackRun } from "../../harness/run-stack";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

describe("managed-service alarms: the CloudWatch exporter (prod on AWS, under mocks)", function () {
    this.timeout(120000);
    let run: StackRun;
    before(async () => {
        run = await runStack("prod", { exampleUserValues: true });
    });

    it("names metrics as YACE does (BuildMetricName, pkg/promutil/migrate.go:32, v0.67.0)", () => {
        // Names YACE's own tests expect: pkg/promutil/migrate_test.go:1268, :475; pkg/exporter_enhancedmetrics_test.go:222.
        assert.equal(yaceMetricName("AWS/ElastiCache", "CPUUtilization", "Average"), "aws_elasticache_cpuutilization_average");
        assert.equal(yaceMetricName("AWS/ElastiCache", "FreeableMemory", "Average"), "aws_elasticache_freeable_memory_average");
        assert.equal(yaceMetricName("AWS/RDS", "AllocatedStorage", ""), "aws_rds_allocated_storage");
        assert.equal(yaceMetricName("AWS/RDS", "FreeStorageSpace", "Average"), "aws_rds_free_storage_space_average");
        assert.equal(yaceMetricName("AWS/RDS", "ReplicaLag", "Average"), "aws_rds_replica_lag_average");
    });

    it("writes only keys YACE's scrape config has (pkg/config/scrapeconf.go:31-120, v0.67.0), finding the stack's RDS by its tag", () => {
        const conf = parse(renderCloudwatchExporterConf({ region: "eu-west-1", stack: "prod" }));
        assert.deepEqual(Object.keys(conf).sort(), ["apiVersion", "discovery", "sts-region"]);
        assert.equal(conf.apiVersion, "v1alpha1");
        const allowed = ["type", "regions", "searchTags", "period", "length", "metrics", "enhancedMetrics", "roles", "customTags", "statistics", "delay", "nilToZero"];
        for (const job of conf.discovery.jobs) {
            for (const key of Object.keys(job)) assert.ok(allowed.includes(key), `discovery job key ${key}`);
            for (const m of job.metrics) assert.deepEqual(Object.keys(m).sort(), ["name", "statistics"]);
            for (const m of job.enhancedMetrics) assert.deepEqual(Object.keys(m), ["name"]);
        }
        const [rds] = conf.discovery.jobs;
        assert.equal(rds.type, "AWS/RDS");
        assert.deepEqual(rds.searchTags, [{ key: "llm-platform:stack", value: "^prod$" }]);
        assert.deepEqual(rds.metrics.map((m: any) => m.name), ["CPUUtilization", "FreeStorageSpace", "DatabaseConnections", "ReplicaLag", "FreeableMemory"]);
        // Supported for AWS/RDS: pkg/internal/enhancedmetrics/service/rds/service.go:92.
        assert.deepEqual(rds.enhancedMetrics, [{ name: "AllocatedStorage" }]);
        assert.equal(parse(renderCloudwatchExporterConf({ region: "eu-west-1", stack: "a.b" })).discovery.jobs[0].searchTags[0].value, "^a\\.b$");
    });

    it("runs the exporter with a read-only role of its own, taken through Pod Identity, after the role exists", () => {
        const exporter = run.named(DEPLOYMENT, CLOUDWATCH_EXPORTER.service);
        const pod = exporter.inputs.spec.template.spec;
        const c = pod.containers[0];
        assert.equal(c.image, "quay.io/prometheuscommunity/yet-another-cloudwatch-exporter:v0.67.0");
        assert.ok(c.args.includes("--scraping-interval=60"), "CloudWatch read every minute, as the alerts' durations assume");
        assert.ok(c.resources.limits.cpu && c.resources.limits.memory);
        assert.equal(pod.serviceAccountName, "cloudwatch-exporter");
        const association = run.named("aws:eks/podIdentityAssociation:PodIdentityAssociation", "aws-cloudwatch-reader-pod-identity").inputs;
        assert.deepEqual([association.namespace, association.serviceAccount], ["llm-platform", "cloudwatch-exporter"]);
        const role = run.named("aws:iam/role:Role", "aws-cloudwatch-reader");
        assert.equal(association.roleArn, role.state.arn);
        const [trust] = JSON.parse(role.inputs.assumeRolePolicy).Statement;
        assert.deepEqual(trust.Principal, { Service: "pods.eks.amazonaws.com" });
        assert.deepEqual(trust.Condition.StringEquals, {
            "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:eu-west-1:123456789012:cluster/example-cluster",
            "aws:RequestTag/kubernetes-namespace": "llm-platform",
            "aws:RequestTag/kubernetes-service-account": "cloudwatch-exporter",
        });
        const [read] = JSON.parse(run.named("aws:iam/rolePolicy:RolePolicy", "aws-cloudwatch-reader-read").inputs.policy).Statement;
        assert.deepEqual(read.Action, cloudwatchExporterActions());
        for (const action of read.Action) assert.match(action, /^(cloudwatch:(Get|List)|tag:Get|rds:Describe)/, `${action} only reads`);
        assert.ok(exporter.options.dependsOn.includes("aws:eks/podIdentityAssociation:PodIdentityAssociation::aws-cloudwatch-reader-pod-identity"), "pods started before it get no credentials");
        // It reaches AWS over HTTPS and the Pod Identity agent; Prometheus reaches it.
        const flows = run.named(POLICY, "cloudwatch-exporter-flows").inputs.spec;
        assert.ok(flows.egress.some((e: any) => e.to[0].ipBlock?.cidr === "0.0.0.0/0" && e.ports[0].port === 443));
        assert.ok(flows.egress.some((e: any) => e.to[0].ipBlock?.cidr === "169.254.170.23/32" && e.ports[0].port === 80));
        assert.equal(run.named("kubernetes:apps/v1:StatefulSet", "prometheus").inputs.spec.template.metadata.labels["talks-to.llm-platform/cloudwatch-exporter"], "true");
    });

    it("alerts on RDS against the parameter group's max_connections, and scrapes the exporter", () => {
        const params = run.named("aws:rds/parameterGroup:ParameterGroup", "aws-postgres-parameters").inputs.parameters;
        assert.deepEqual(params.find((p: any) => p.name === "max_connections"), { name: "max_connections", value: "400", applyMethod: "pending-reboot" });
        const prometheusFiles = run.ofType("kubernetes:core/v1:ConfigMap").find((m) => m.inputs.metadata.name === "prometheus-files")!.inputs.data as Record<string, string>;
        const rules = parse(Object.values(prometheusFiles).find((f) => f.includes("\ngroups:"))!);
        const managed = rules.groups.find((g: any) => g.name === "llm-platform.managed-services").rules;
        assert.deepEqual(managed.map((r: any) => r.alert).sort(), ["RdsConnectionsHigh", "RdsCpuCritical", "RdsCpuHigh", "RdsReplicaLagHigh", "RdsStorageCritical", "RdsStorageHigh"]);
        assert.equal(
            managed.find((r: any) => r.alert === "RdsConnectionsHigh").expr,
            '100 * aws_rds_database_connections_average{dimension_DBInstanceIdentifier="llm-platform-prod-postgres"} / 400 > 80',
        );
        const conf = parse(Object.values(prometheusFiles).find((f) => f.includes("scrape_configs"))!);
        const job = conf.scrape_configs.find((j: any) => j.job_name === "cloudwatch-exporter");
        assert.deepEqual(job.static_configs[0].targets, ["cloudwatch-exporter.llm-platform.svc.cluster.local:5000"]);
    });

    it("with IRSA (as the backup jobs), names the role on its ServiceAccount and trusts the cluster's OIDC provider for it", async () => {
        const irsa = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:aws": { backupBucket: { identity: "irsa" } } } });
        assert.equal(irsa.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation").length, 0);
        const role = irsa.named("aws:iam/role:Role", "aws-cloudwatch-reader");
        const account = irsa.ofType("kubernetes:core/v1:ServiceAccount").find((a) => a.inputs.metadata.name === "cloudwatch-exporter")!;
        assert.equal(account.inputs.metadata.annotations["eks.amazonaws.com/role-arn"], role.state.arn);
        const [trust] = JSON.parse(role.inputs.assumeRolePolicy).Statement;
        assert.equal(trust.Action, "sts:AssumeRoleWithWebIdentity");
        assert.ok(Object.values(trust.Condition.StringEquals).includes("system:serviceaccount:llm-platform:cloudwatch-exporter"));
        const flows = irsa.named(POLICY, "cloudwatch-exporter-flows").inputs.spec;
        assert.ok(!flows.egress.some((e: any) => e.to[0].ipBlock?.cidr === "169.254.170.23/32"), "no Pod Identity agent with IRSA");
    });

    it("has no exporter without metrics or without the aws object", async () => {
        const noMetrics = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:observability": { metrics: false } } });
        assert.ok(!noMetrics.ofType(DEPLOYMENT).some((d) => d.name === CLOUDWATCH_EXPORTER.service));
        assert.ok(!noMetrics.ofType("aws:iam/role:Role").some((r) => r.name === "aws-cloudwatch-reader"));
    });
});
