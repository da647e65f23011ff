import assert from "node:assert/strict";
import { RECORD_RUN, RUN_ID_REFERENCE, SMOKE_CANARY_JOB, SMOKE_JOB } from "../components/platform/kubernetes/smoke-job";
import { defaultImages } from "../components/config/images";
import { policyResources } from "../harness/policy-report";
import { runStack, StackRun } from "../harness/run-stack";
import { runPolicyPack } from "../policies/rules/offline";
import { CLIENT_CHECKS, SmokeTarget } from "../scripts/smoke/checks";

const CRON_JOB = "kubernetes:batch/v1:CronJob";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const SECRET = "kubernetes:core/v1:Secret";

const cronJob = (run: StackRun, name: string) => run.ofType(CRON_JOB).find((r) => r.inputs.metadata.name === name)?.inputs;
const podOf = (job: any) => job.spec.jobTemplate.spec.template;
const flows = (run: StackRun, name: string) => run.ofType(NETWORK_POLICY).find((r) => r.inputs.metadata.name === name)!.inputs.spec;
const smokeFiles = (run: StackRun) => run.ofType(CONFIG_MAP).find((r) => r.inputs.metadata.name === "smoke-files")!.inputs.data;
/** The pods each egress rule picks: by the platform's name label, or an operator's cluster label (CloudNativePG's instances). */
const egressServices = (spec: any) =>
    spec.egress
        .filter((e: any) => e.to[0].podSelector)
        .map((e: any) => {
            const labels = e.to[0].podSelector.matchLabels;
            return labels["app.kubernetes.io/name"] ?? `cnpg.io/cluster=${labels["cnpg.io/cluster"]}`;
        })
        .sort();
/** Prod's Valkey is ElastiCache: the pod reaches the private subnets on 6379 instead of a redis Service. */
const elastiCacheEgress = (spec: any) => spec.egress.filter((e: any) => e.to[0].ipBlock).map((e: any) => ({ cidrs: e.to.map((t: any) => t.ipBlock.cidr), ports: e.ports.map((p: any) => p.port) }));

describe("the smoke checks as a Kubernetes Job (components/platform/kubernetes/smoke-job.ts, under mocks)", function () {
    this.timeout(120000);
    let prod: StackRun;
    let canary: StackRun;
    before(async () => {
        prod = await runStack("prod", { exampleUserValues: true });
        canary = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:proxy": { canary: { weight: 10 } } } });
    });

    it("a suspended template the script instantiates, one pod: each client run an init container in its store's image, then the checks in the pinned node image", () => {
        const job = cronJob(prod, SMOKE_JOB);
        assert.ok(job, "CronJob smoke");
        assert.equal(job.spec.suspend, true);
        assert.equal(job.spec.jobTemplate.spec.backoffLimit, 0);
        assert.ok(job.spec.jobTemplate.spec.activeDeadlineSeconds > 0);
        assert.equal(cronJob(prod, SMOKE_CANARY_JOB), undefined, "no canary, no canary template");
        const pod = podOf(job).spec;
        const c = prod.config;
        // The client runs exactly as checks.ts makes them, against the Services, with the run id Kubernetes expands.
        const host = (s: string) => `${s}.llm-platform.svc.cluster.local`;
        const inCluster = { sqlserver: { server: `${host("sqlserver")},1433`, user: "sa", password: "sqlserverPassword", database: c.sqlserver.database, model: "ollama_embeddings" }, timescale: { host: host("timescale"), port: 5432, user: "postgres", password: "timescalePassword", database: c.timescale.database }, redis: { host: "$(SMOKE_REDIS_HOST)", port: 6379, password: "redisPassword", tls: true, user: "llm-platform" }, embeddingDimensions: c.ollama.embeddingDimensions } as unknown as SmokeTarget;
        const expected = CLIENT_CHECKS.flatMap((check) => check.runs(inCluster, RUN_ID_REFERENCE).map((r, i) => ({ name: `${check.name}-${i}`, args: r.args })));
        assert.deepEqual(pod.initContainers.map((x: any) => x.name), expected.map((e) => e.name));
        const clientImage = { "sqlserver-vector": c.sqlserver.image, timescale: c.timescale.image, redis: c.redis.image };
        for (const [i, container] of pod.initContainers.entries()) {
            const check = expected[i].name.replace(/-\d+$/, "") as keyof typeof clientImage;
            assert.equal(container.image, clientImage[check], container.name);
            assert.deepEqual(container.command.slice(0, 3), ["sh", RECORD_RUN, `/smoke-results/${check}/${expected[i].name.match(/\d+$/)![0]}`]);
            assert.deepEqual(container.command.slice(4), expected[i].args, container.name);
            assert.ok(container.env.some((e: any) => e.name === "SMOKE_RUN_ID" && e.valueFrom.fieldRef.fieldPath === "metadata.uid"), "$(SMOKE_RUN_ID) is defined, so Kubernetes expands it");
        }
        assert.deepEqual(pod.initContainers.map((x: any) => x.command[3]), ["/opt/mssql-tools18/bin/sqlcmd", "psql", "valkey-cli", "valkey-cli", "valkey-cli"]);
        // ElastiCache's primary endpoint reaches valkey-cli through its env (TLS: `--tls`, verified with the system's CAs).
        const endpoint = prod.named("aws:elasticache/replicationGroup:ReplicationGroup", "aws-valkey").state.primaryEndpointAddress;
        for (const x of pod.initContainers.filter((x: any) => x.name.startsWith("redis-"))) {
            assert.equal(x.env.find((e: any) => e.name === "SMOKE_REDIS_HOST").value, endpoint, x.name);
            assert.ok(x.command.includes("--tls"), x.name);
        }
        const [checks] = pod.containers;
        assert.equal(pod.containers.length, 1);
        assert.equal(checks.image, defaultImages.node);
        assert.deepEqual(checks.command, ["node", "/opt/llm-platform/smoke/in-cluster.js"]);
        const files = smokeFiles(prod);
        assert.ok(files["opt-llm-platform-smoke-checks.js"].includes("exports.runChecks"), "the checks, transpiled");
        const target = JSON.parse(files["opt-llm-platform-smoke-target.json"]);
        assert.equal(target.proxyUrl, "https://proxy.llm-platform.svc.cluster.local:443");
        assert.equal(target.apiKey, undefined);
        assert.equal(target.qdrant.apiKey, undefined);
        // ElastiCache's RBAC: valkey-cli logs in as the platform's user (`--user`), the password from REDISCLI_AUTH.
        assert.deepEqual(target.redis, { host: prod.named("aws:elasticache/replicationGroup:ReplicationGroup", "aws-valkey").state.primaryEndpointAddress, port: 6379, tls: true, user: "llm-platform" });
        // TimescaleDB is verified with the stack's CA, a file in the psql container; ElastiCache with the system's CAs.
        assert.equal(target.timescale.caFile, "/opt/llm-platform/smoke/store-ca.crt");
        assert.equal(files["opt-llm-platform-smoke-store-ca.crt"], prod.outputs.caCertificatePem);
        const psql = pod.initContainers.find((x: any) => x.name === "timescale-0");
        assert.ok(psql.volumeMounts.some((m: any) => m.mountPath === "/opt/llm-platform/smoke/store-ca.crt"));
        assert.deepEqual(
            ["PGSSLMODE", "PGSSLROOTCERT"].map((n) => psql.env.find((e: any) => e.name === n).value),
            ["verify-full", "/opt/llm-platform/smoke/store-ca.crt"],
        );
    });

    it("reads every secret from the cluster's Secret by secretKeyRef: no password in the template or its ConfigMap", async () => {
        const pod = podOf(cronJob(prod, SMOKE_JOB));
        const envOf = (name: string) => [...pod.spec.initContainers, ...pod.spec.containers].find((x: any) => x.name === name).env;
        const ref = (container: string, variable: string) => envOf(container).find((e: any) => e.name === variable)?.valueFrom?.secretKeyRef;
        assert.deepEqual(ref("sqlserver-vector-0", "SQLCMDPASSWORD"), { name: "smoke-env", key: "sqlserverPassword" });
        assert.deepEqual(ref("timescale-0", "PGPASSWORD"), { name: "smoke-env", key: "timescalePassword" });
        assert.deepEqual(ref("redis-1", "REDISCLI_AUTH"), { name: "smoke-env", key: "redisPassword" });
        assert.deepEqual(ref("redis-1", "VALKEYCLI_AUTH"), { name: "smoke-env", key: "redisPassword" });
        assert.deepEqual(ref("checks", "SMOKE_API_KEY"), { name: "smoke-env", key: "apiKey" });
        assert.deepEqual(ref("checks", "SMOKE_QDRANT_API_KEY"), { name: "smoke-env", key: "qdrantApiKey" });
        // Each container gets only the secret its client needs.
        assert.equal(ref("timescale-0", "REDISCLI_AUTH"), undefined);
        assert.equal(ref("checks", "PGPASSWORD"), undefined);
        const secret = prod.ofType(SECRET).find((r) => r.inputs.metadata.name === "smoke-env")!.inputs.stringData;
        const o = prod.outputs;
        assert.deepEqual(secret, {
            apiKey: o.apiKeys[prod.config.proxy.clients[0]],
            sqlserverPassword: o.credentials.sqlserverSaPassword,
            timescalePassword: o.credentials.timescalePassword,
            redisPassword: o.credentials.redisPassword,
            qdrantApiKey: o.credentials.qdrantApiKey,
        });
        const exposed = JSON.stringify([cronJob(prod, SMOKE_JOB), smokeFiles(prod)]);
        for (const value of Object.values(secret) as string[]) assert.ok(!exposed.includes(value), "a secret in the template or its ConfigMap");
    });

    it("every container has limits and runs as a non-root user with nothing to escalate; the pod reaches exactly what it checks", () => {
        const pod = podOf(cronJob(prod, SMOKE_JOB));
        assert.equal(pod.spec.securityContext.runAsNonRoot, true);
        assert.equal(pod.spec.automountServiceAccountToken, false);
        for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
            assert.ok(c.resources.limits.cpu && c.resources.limits.memory, c.name);
            assert.equal(c.securityContext.runAsNonRoot, true, c.name);
            assert.ok(c.securityContext.runAsUser > 0, c.name);
            assert.equal(c.securityContext.allowPrivilegeEscalation, false, c.name);
            assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"], c.name);
            assert.equal(c.securityContext.readOnlyRootFilesystem, true, c.name);
        }
        const checked = ["proxy", "qdrant", "sqlserver", "timescale"];
        // Prod's TimescaleDB is a CloudNativePG cluster: its instances carry the operator's label, not the platform's name.
        assert.deepEqual(egressServices(flows(prod, SMOKE_JOB)), ["cnpg.io/cluster=timescale", "proxy", "qdrant", "sqlserver"]);
        const privateSubnets = prod.ofType("aws:elasticache/subnetGroup:SubnetGroup").length === 1 ? ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"] : [];
        assert.deepEqual(elastiCacheEgress(flows(prod, SMOKE_JOB)), [{ cidrs: privateSubnets, ports: [6379] }]);
        assert.equal(pod.metadata.labels["talks-to.llm-platform/redis"], undefined, "no redis Service in the cluster");
        assert.deepEqual(flows(prod, SMOKE_JOB).ingress, [], "nothing calls it");
        assert.deepEqual(flows(prod, SMOKE_JOB).podSelector.matchLabels, { "app.kubernetes.io/name": "smoke", "app.kubernetes.io/component": "smoke" });
        for (const s of checked) assert.equal(pod.metadata.labels[`talks-to.llm-platform/${s}`], "true", `the ${s} admits it`);
    });

    it("with a canary: a second template that checks the canary proxy's Service alone, verifying it by the proxy's certificate name", () => {
        const job = cronJob(canary, SMOKE_CANARY_JOB);
        assert.ok(job, "CronJob smoke-canary");
        const pod = podOf(job);
        assert.equal(pod.spec.containers[0].env.find((e: any) => e.name === "SMOKE_TARGET_FILE").value, "/opt/llm-platform/smoke/target-canary.json");
        const target = JSON.parse(smokeFiles(canary)["opt-llm-platform-smoke-target-canary.json"]);
        assert.equal(target.proxyUrl, "https://proxy-canary.llm-platform.svc.cluster.local:443");
        assert.equal(target.tlsServerName, "proxy.llm-platform.svc.cluster.local", "a name of the proxy's certificate");
        assert.deepEqual(egressServices(flows(canary, SMOKE_CANARY_JOB)), ["cnpg.io/cluster=timescale", "proxy-canary", "qdrant", "sqlserver"]);
        assert.equal(elastiCacheEgress(flows(canary, SMOKE_CANARY_JOB)).length, 1, "and ElastiCache");
        assert.equal(pod.metadata.labels["talks-to.llm-platform/proxy"], undefined, "not the stable proxy");
        assert.ok(cronJob(canary, SMOKE_JOB), "the whole-stack template stays");
    });

    it("passes the policy pack, with and without a canary; a Docker stack declares no smoke Job", async () => {
        for (const run of [prod, canary]) {
            const violations = await runPolicyPack(policyResources(run));
            assert.deepEqual(violations.filter((v) => v.enforcementLevel === "mandatory"), []);
        }
        const dev = await runStack("dev");
        assert.equal(dev.resources.filter((r) => /smoke/.test(r.name)).length, 0);
    });
});
