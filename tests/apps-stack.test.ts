/**
 * The example stack file with two apps (examples/Pulumi.apps.yaml) on both platforms under
 * mocks: what each app gets from its declaration — its workload with limits, its routes in the
 * proxy's config, its database login, NetworkPolicies, scrape job, alerts and outputs — and the
 * policy pack holds the apps' containers as it holds the platform's.
 */
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { dockerFootprint, footprintConfigOf, SizedContainer } from "../components/config/footprint";
import { rotatableSecrets } from "../components/config/rotation";
import { policyResources } from "../harness/policy-report";
import { registeredContainers } from "../harness/stack-totals";
import { RegisteredResource, runStack, StackRun } from "../harness/run-stack";
import { PROJECT_DIR } from "../harness/stack-config";
import { runPolicyPack } from "../policies/rules/offline";

const EXAMPLE = parse(fs.readFileSync(path.join(PROJECT_DIR, "examples", "Pulumi.apps.yaml"), "utf8")).config as Record<string, unknown>;
const CONTAINER = "docker:index/container:Container";
const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<Record<string, any>>;

const label = (r: RegisteredResource, key: string) => r.inputs.labels?.find((l: any) => l.label === key)?.value;
const envOf = (r: RegisteredResource) => Object.fromEntries((r.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
const upload = (r: RegisteredResource, file: string) => r.inputs.uploads?.find((x: any) => x.file === file)?.content as string;

describe("the example stack with two apps on docker (dev) under mocks", function () {
    this.timeout(120000);
    let run: StackRun;
    before(async () => {
        run = await runStack("dev", { overrides: EXAMPLE });
    });

    it("runs each app as a container with limits on the platform network, labelled with its name", () => {
        for (const [name, memoryMb] of [["app-courses-api", 1024], ["app-frontend", 256]] as const) {
            const c = run.named(CONTAINER, name);
            assert.equal(c.inputs.memory, memoryMb);
            assert.ok(c.inputs.cpus, `${name} has a CPU limit`);
            assert.equal(label(c, "llm-platform.service"), name);
            assert.equal(label(c, "llm-platform.role"), "service");
            assert.ok(c.inputs.networksAdvanced?.length > 0 || c.inputs.networkMode, `${name} is on the platform network`);
            assert.deepEqual(c.inputs.ports ?? [], [], `${name} publishes no port: the proxy is the way in`);
        }
    });

    it("counts the apps' containers and the roles step in the footprint sizing checks before anything exists", () => {
        const described = (containers: readonly SizedContainer[]) => containers.map((c) => `${c.name} ${c.role} ${c.cpu} ${c.memoryMb} ${c.memoryReservationMb}`).sort();
        const predicted = dockerFootprint(footprintConfigOf(run.config));
        assert.ok(predicted.some((c) => c.name === "app-courses-api" && c.memoryMb === 1024));
        assert.ok(predicted.some((c) => c.name === "timescale-app-roles"));
        assert.deepEqual(described(predicted), described(registeredContainers(run)));
    });

    it("routes both apps in the proxy's config, the path one behind a key", () => {
        const conf = upload(run.named(CONTAINER, "proxy"), "/etc/nginx/nginx.conf");
        assert.match(conf, /location ~ \^\/courses\(\/\.\*\)\?\$ \{\s+# Only holders[^\n]*\n\s+if \(\$llm_client = ""\) \{/);
        assert.match(conf, /set \$upstream_app_courses_api_0 http:\/\/app-courses-api:8001;/);
        assert.match(conf, /server_name courses\.example\.com;[\s\S]+?set \$upstream_app_frontend_0 http:\/\/app-frontend:8080;/);
        assert.match(conf, /limit_req_zone \$binary_remote_addr zone=app_frontend_0:10m rate=50r\/s;/);
    });

    it("puts the host app's name on the proxy's certificate", () => {
        const csr = run.resources.find((r) => r.type === "tls:index/certRequest:CertRequest" && (r.inputs.dnsNames ?? []).includes("proxy"));
        assert.ok(csr?.inputs.dnsNames.includes("courses.example.com"));
    });

    it("creates the app's login on TimescaleDB with a step, and hands the app its credentials", () => {
        const step = run.named(CONTAINER, "timescale-app-roles");
        assert.match(upload(step, "/tmp/llm-platform-app-roles.sql"), /CREATE DATABASE "course_creator" OWNER "course_user"/);
        const app = envOf(run.named(CONTAINER, "app-courses-api"));
        assert.equal(app.PGUSER, "course_user");
        assert.equal(app.PGDATABASE, "course_creator");
        assert.equal(app.PGHOST, "timescale");
        assert.equal(app.PGPASSWORD, envOf(step).APP_PASSWORD_COURSES_API, "the password the step sets");
        assert.match(app.DATABASE_URL, /^postgresql:\/\/course_user:[^@]+@timescale:5432\/course_creator\?sslmode=verify-full&sslrootcert=%2Fetc%2Fllm-platform%2Ftls%2Fstore-ca.crt$/);
        assert.deepEqual([app.PGSSLMODE, app.PGSSLROOTCERT], ["verify-full", "/etc/llm-platform/tls/store-ca.crt"]);
        assert.equal(upload(run.named(CONTAINER, "app-courses-api"), "/etc/llm-platform/tls/store-ca.crt"), run.outputs.caCertificatePem, "the stores' CA, mounted");
        assert.match(run.outputs.credentials.apps["courses-api"].postgresUrl, /\?sslmode=verify-full&sslrootcert=llm-platform-ca.pem$/);
        assert.deepEqual(run.outputs.apps["courses-api"].database, { host: "timescale", port: 5432, database: "course_creator", user: "course_user", sslMode: "verify-full" });
        assert.equal(run.outputs.credentials.apps["courses-api"].postgresPassword, app.PGPASSWORD);
        assert.equal(envOf(run.named(CONTAINER, "app-frontend")).PGPASSWORD, undefined, "an app without a database gets none");
    });

    it("puts the app's database in TimescaleDB's scheduled backups", () => {
        const schedulers = run.ofType(CONTAINER).filter((r) => envOf(r).STORE === "timescale" && envOf(r).PGDATABASE !== undefined);
        assert.ok(schedulers.length > 0);
        for (const r of schedulers) assert.equal(envOf(r).APP_DATABASES, "course_creator", r.name);
    });

    it("gives the app a Redis user limited to its key prefix, with the password's hash in redis.conf", () => {
        const app = envOf(run.named(CONTAINER, "app-courses-api"));
        assert.equal(app.REDIS_USERNAME, "app-courses-api");
        assert.equal(app.REDIS_KEY_PREFIX, "courses:");
        assert.match(app.REDIS_URL, /^rediss:\/\/app-courses-api:[^@]+@redis:6379\/0$/);
        assert.equal(app.REDIS_CA_FILE, "/etc/llm-platform/tls/store-ca.crt");
        const conf = upload(run.named(CONTAINER, "redis"), "/usr/local/etc/valkey/valkey.conf");
        const hash = require("crypto").createHash("sha256").update(app.REDIS_PASSWORD).digest("hex");
        assert.ok(conf.includes(`user app-courses-api on #${hash} ~courses:* resetchannels &courses:* +@all -@dangerous`), conf);
        assert.ok(!conf.includes(app.REDIS_PASSWORD));
        assert.deepEqual(run.outputs.apps["courses-api"].redis, { host: "redis", port: 6379, user: "app-courses-api", keyPrefix: "courses:" });
        assert.equal(run.outputs.credentials.apps["courses-api"].redisPassword, app.REDIS_PASSWORD);
    });

    it("rotates an app's logins with npm run rotate's generations: the step, redis.conf and the app take the new ones", async () => {
        const names = rotatableSecrets(run.config).map((s) => s.name);
        for (const r of run.resources.filter((x) => x.type === "random:index/randomPassword:RandomPassword" && x.name.startsWith("app-"))) {
            assert.ok(names.includes(r.name), `${r.name} rotates`);
        }
        const rotated = await runStack("dev", {
            overrides: { ...EXAMPLE, "llm-platform:rotation": { "app-courses-api-postgres-password": { generation: 1 }, "app-courses-api-redis-password": { generation: 1 } } },
        });
        const before = envOf(run.named(CONTAINER, "app-courses-api"));
        const after = envOf(rotated.named(CONTAINER, "app-courses-api"));
        assert.notEqual(after.PGPASSWORD, before.PGPASSWORD);
        assert.notEqual(after.REDIS_PASSWORD, before.REDIS_PASSWORD);
        assert.equal(envOf(rotated.named(CONTAINER, "timescale-app-roles")).APP_PASSWORD_COURSES_API, after.PGPASSWORD);
        assert.ok(rotated.resources.some((r) => r.name === "app-courses-api-postgres-password-r1"));
    });

    it("scrapes the app's metrics endpoint and alerts on its 5xx rate and latency", () => {
        const prometheus = run.named(CONTAINER, "prometheus");
        assert.match(upload(prometheus, "/etc/prometheus/prometheus.yml"), /job_name: app-courses-api\n\s+metrics_path: \/metrics\n\s+static_configs:\n\s+- targets:\n\s+- app-courses-api:8001/);
        const rules = upload(prometheus, "/etc/prometheus/rules/llm-platform.rules.yml");
        assert.match(rules, /alert: AppErrorRateHigh[\s\S]+route="app-courses-api"/);
        assert.match(rules, /alert: AppLatencyP95High[\s\S]+route="app-frontend"/);
    });

    it("passes the policy pack with the apps' containers in it", async () => {
        const resources = policyResources(run);
        assert.ok(resources.some((r) => r.name === "app-courses-api"));
        const mandatory = (await runPolicyPack(resources)).filter((v) => v.enforcementLevel === "mandatory");
        assert.deepEqual(mandatory, []);
    });

    it("takes an open app route for declared only with its marker: without it, the pack's proxy-auth rule refuses it", async () => {
        const changed = policyResources(run).map((r) => {
            if (r.type !== CONTAINER || r.name !== "proxy") return r;
            const uploads = (r.props.uploads as { file: string; content: string }[]).map((u) =>
                u.file === "/etc/nginx/nginx.conf" ? { ...u, content: u.content.replace(/set \$llm_public_route frontend;/, "") } : u,
            );
            return { ...r, props: { ...r.props, uploads } };
        });
        const auth = (await runPolicyPack(changed)).filter((v) => v.policy === "proxy-auth-required");
        assert.equal(auth.length, 1);
        assert.match(auth[0].message, /passes to \$upstream_app_frontend_0 without an authentication check/);
    });

    it("holds an app's container to the pack's limits rule like the platform's", async () => {
        const changed = policyResources(run).map((r) =>
            r.type === CONTAINER && r.name === "app-frontend" ? { ...r, props: { ...r.props, memory: undefined, memorySwap: undefined } } : r,
        );
        const mandatory = (await runPolicyPack(changed)).filter((v) => v.enforcementLevel === "mandatory");
        assert.ok(mandatory.some((v) => v.policy === "docker-container-limits" && v.resource?.name === "app-frontend"), JSON.stringify(mandatory.map((v) => v.policy)));
    });
});

describe("the example stack with two apps on kubernetes (prod) under mocks", function () {
    this.timeout(120000);
    let run: StackRun;
    const k8s = (kind: string, name: string) => {
        const r = run.resources.find((x) => x.type === kind && x.inputs.metadata?.name === name);
        assert.ok(r, `${kind} ${name}`);
        return r!;
    };
    before(async () => {
        run = await runStack("prod", { overrides: EXAMPLE, exampleUserValues: true });
    });

    it("runs each app as a Deployment and Service, non-root with limits, as the platform's own workloads", () => {
        const api = k8s("kubernetes:apps/v1:Deployment", "app-courses-api");
        assert.equal(api.inputs.spec.replicas, 2);
        const pod = api.inputs.spec.template.spec;
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.equal(pod.securityContext.runAsUser, 10001);
        const container = pod.containers[0];
        assert.deepEqual(container.resources.limits, { cpu: "1", memory: "1Gi" });
        assert.equal(container.securityContext.allowPrivilegeEscalation, false);
        assert.deepEqual(container.securityContext.capabilities.drop, ["ALL"]);
        assert.equal(container.readinessProbe.httpGet.path, "/health");
        assert.ok(container.env.some((e: any) => e.name === "PGPASSWORD" && e.valueFrom?.secretKeyRef?.name === "app-courses-api-env"), "the password through a Secret");
        k8s("kubernetes:core/v1:Secret", "app-courses-api-env");
        assert.equal(k8s("kubernetes:core/v1:Service", "app-frontend").inputs.spec.type, "ClusterIP");
        assert.equal(k8s("kubernetes:apps/v1:Deployment", "app-frontend").inputs.spec.template.spec.securityContext.runAsUser, 101);
    });

    it("lets the app reach its stores and nothing else, and the proxy and Prometheus reach the app", () => {
        const flows = k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", "app-courses-api").inputs.spec;
        // Prod's TimescaleDB is a CloudNativePG cluster: its instances are picked by the operator's label.
        // Prod's Valkey is ElastiCache: its private subnets on 6379, not pods.
        assert.deepEqual(
            flows.egress.map((e: any) => {
                if (e.to[0].ipBlock) return `subnets:${e.ports.map((p: any) => p.port).join(",")}`;
                const labels = e.to[0].podSelector?.matchLabels ?? {};
                return labels["app.kubernetes.io/name"] ?? `cnpg.io/cluster=${labels["cnpg.io/cluster"]}`;
            }),
            ["cnpg.io/cluster=timescale", "qdrant", "subnets:6379"],
        );
        // The same subnets the platform's own Valkey client (its exporter) reaches.
        const cidrs = (policy: any) => policy.inputs.spec.egress.filter((e: any) => e.to[0].ipBlock).map((e: any) => e.to.map((t: any) => t.ipBlock.cidr));
        assert.deepEqual(cidrs({ inputs: { spec: flows } }), cidrs(k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", "redis-exporter")));
        assert.deepEqual(k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", "app-frontend").inputs.spec.egress, []);
        assert.deepEqual(flows.ingress[0].ports, [{ protocol: "TCP", port: 8001 }]);
        assert.deepEqual(flows.ingress[0].from[0].podSelector.matchLabels, { "talks-to.llm-platform/app-courses-api": "true" });
        const proxyPod = k8s("kubernetes:apps/v1:Deployment", "proxy").inputs.spec.template.metadata.labels;
        assert.equal(proxyPod["talks-to.llm-platform/app-courses-api"], "true");
        assert.equal(proxyPod["talks-to.llm-platform/app-frontend"], "true");
        const prometheusPod = k8s("kubernetes:apps/v1:StatefulSet", "prometheus").inputs.spec.template.metadata.labels;
        assert.equal(prometheusPod["talks-to.llm-platform/app-courses-api"], "true");
        // The timescale pod admits the app.
        const appPod = k8s("kubernetes:apps/v1:Deployment", "app-courses-api").inputs.spec.template.metadata.labels;
        assert.equal(appPod["talks-to.llm-platform/timescale"], "true");
    });

    it("creates the app's login with a Job of the TimescaleDB step", () => {
        const job = run.resources.find((r) => r.type === "kubernetes:batch/v1:Job" && r.inputs.metadata?.name?.startsWith("timescale-app-roles"));
        assert.ok(job, "timescale-app-roles Job");
    });

    it("validates the apps' objects against the Kubernetes schemas", async () => {
        const ours = run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && /^(app-|timescale-app-roles)/.test(r.inputs.metadata?.name ?? ""));
        assert.ok(ours.length >= 8, `${ours.length} objects`);
        for (const r of ours) {
            const match = /^kubernetes:([^:]+):(\w+)$/.exec(r.type)!;
            const [group, version] = match[1].split("/");
            const module = await importEsm(group === "core" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`);
            new module[match[2]](r.inputs).validate();
        }
    });

    it("passes the policy pack with the apps' workloads in it", async () => {
        const mandatory = (await runPolicyPack(policyResources(run))).filter((v) => v.enforcementLevel === "mandatory");
        assert.deepEqual(mandatory, []);
    });

    it("puts the host app's name on the ALB's certificate and in DNS, after the platform's own name", () => {
        const cert = run.resources.find((r) => r.type === "aws:acm/certificate:Certificate");
        assert.ok(cert, "an ACM certificate");
        assert.equal(cert!.inputs.domainName, run.config.tls.hostnames[0]);
        assert.ok(cert!.inputs.subjectAlternativeNames.includes("courses.example.com"));
        const alias = run.resources.find((r) => r.type === "aws:route53/record:Record" && r.inputs.name === "courses.example.com");
        assert.equal(alias?.inputs.type, "A");
    });

    it("gives the canary proxy the apps' routes from the same generator", async () => {
        const canary = await runStack("prod", { exampleUserValues: true, overrides: { ...EXAMPLE, "llm-platform:proxy": { canary: { weight: 10 } } } });
        const files = (name: string) => canary.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.inputs.metadata?.name === name)!.inputs.data;
        const conf = (name: string) => Object.values(files(name)).find((v) => typeof v === "string" && v.includes("worker_processes")) as string;
        assert.match(conf("proxy-canary-files"), /server_name courses\.example\.com;/);
        assert.equal(conf("proxy-canary-files"), conf("proxy-files"), "same image, same config");
    });

    it("creates the logins of apps on RDS in the app database's migrate Job, and lets only their pods reach RDS's subnets", async () => {
        const rdsApps = [
            { ...(EXAMPLE["llm-platform:apps"] as any[])[0], databases: { postgres: { store: "rds", database: "course_creator", role: "course_user" } } },
            { name: "labs", upstream: { service: "lab-manager.labs:8006" }, routes: [{ pathPrefix: "/labs" }], databases: { postgres: { store: "rds" } } },
        ];
        const onRds = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:apps": rdsApps } });
        const find = (kind: string, name: string) => onRds.resources.find((r) => r.type === kind && r.inputs.metadata?.name === name)!;
        const files = find("kubernetes:core/v1:ConfigMap", "app-database-migrate-files").inputs.data as Record<string, string>;
        const afterDeploy = Object.entries(files).find(([k]) => k.includes("after-deploy"))![1];
        assert.match(afterDeploy, /\\getenv password APP_PASSWORD_COURSES_API\n/);
        assert.match(afterDeploy, /GRANT "course_user" TO CURRENT_USER/);
        assert.match(afterDeploy, /CREATE DATABASE "labs" OWNER "labs"/);
        assert.doesNotMatch(afterDeploy, /NOSUPERUSER|NOREPLICATION|NOBYPASSRLS/, "RDS's master user may not name them");
        const secret = find("kubernetes:core/v1:Secret", "app-database-migrate-env").inputs.stringData;
        assert.deepEqual(Object.keys(secret).sort(), ["APP_PASSWORD_COURSES_API", "APP_PASSWORD_LABS"]);
        assert.equal(secret.APP_PASSWORD_COURSES_API, onRds.outputs.credentials.apps["courses-api"].postgresPassword);
        const job = find("kubernetes:batch/v1:Job", "app-database-migrate").inputs.spec.template.spec.containers[0];
        assert.ok(job.env.some((e: any) => e.name === "MIGRATE_AFTER_DEPLOY"));

        const given = onRds.outputs.apps["courses-api"].database;
        assert.equal(given.host, onRds.outputs.aws.database.host);
        assert.deepEqual({ ...given, host: undefined }, { host: undefined, port: 5432, database: "course_creator", user: "course_user", sslMode: "require" });
        assert.match(onRds.outputs.credentials.apps.labs.postgresUrl, /^postgresql:\/\/labs:[^@]+@.+:5432\/labs\?sslmode=require$/);

        const api = find("kubernetes:apps/v1:Deployment", "app-courses-api").inputs.spec.template.spec.containers[0];
        assert.ok(api.env.some((e: any) => e.name === "PGSSLMODE" && e.value === "require"));
        const flows = find("kubernetes:networking.k8s.io/v1:NetworkPolicy", "app-courses-api").inputs.spec.egress;
        const toRds = flows.find((e: any) => e.ports?.some((p: any) => p.port === 5432));
        assert.ok(toRds && toRds.to.every((t: any) => t.ipBlock), JSON.stringify(flows));

        // The app the platform only routes to gets the same variables as a Secret in its own namespace.
        const handed = onRds.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata?.namespace === "labs")!;
        assert.equal(handed.inputs.metadata.name, "app-labs-env");
        const vars = handed.inputs.stringData;
        assert.deepEqual(Object.keys(vars).sort(), ["DATABASE_URL", "PGDATABASE", "PGHOST", "PGPASSWORD", "PGPORT", "PGSSLMODE", "PGUSER"]);
        assert.equal(vars.PGPASSWORD, onRds.outputs.credentials.apps.labs.postgresPassword);
        assert.deepEqual(onRds.outputs.credentials.apps.labs.env, vars, "npm run app-env writes the same variables");
        assert.doesNotMatch(JSON.stringify(onRds.outputs.apps), new RegExp(vars.PGPASSWORD), "no password in the plain outputs");
        for (const r of [handed, find("kubernetes:batch/v1:Job", "app-database-migrate"), find("kubernetes:core/v1:Secret", "app-database-migrate-env")]) {
            const [group, version] = /^kubernetes:([^:]+):/.exec(r.type)![1].split("/");
            const module = await importEsm(group === "core" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`);
            new module[r.type.split(":")[2]](r.inputs).validate();
        }
        assert.deepEqual(
            (await runPolicyPack(policyResources(onRds))).filter((v) => v.enforcementLevel === "mandatory"),
            [],
            "the policy pack holds with the Job's after-deploy script and the handed-over Secret",
        );
    });

    it("routes a Service of another namespace with egress to that namespace only", async () => {
        const other = await runStack("prod", {
            exampleUserValues: true,
            overrides: { "llm-platform:apps": [{ name: "labs", upstream: { service: "lab-manager.labs:8006" }, routes: [{ pathPrefix: "/labs" }], metrics: { port: 9100 } }] },
        });
        const proxy = other.resources.find((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && r.inputs.metadata?.name === "proxy")!;
        assert.ok(proxy.inputs.spec.egress.some((e: any) => JSON.stringify(e.to) === JSON.stringify([{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "labs" } } }])));
        const conf = other.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.inputs.metadata?.name === "proxy-files")!;
        assert.match(JSON.stringify(conf.inputs.data), /set \$upstream_app_labs_0 http:\/\/lab-manager\.labs\.svc\.cluster\.local:8006;/);
        const prometheus = other.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.inputs.metadata?.name === "prometheus-files")!;
        assert.match(JSON.stringify(prometheus.inputs.data), /lab-manager\.labs\.svc\.cluster\.local:9100/);
    });

    it("lets the pods of a routed-only app that carry a store's talks-to label reach that store, and no other store", async () => {
        const labs = { name: "labs", upstream: { service: "lab-manager.labs:8006" }, routes: [{ pathPrefix: "/labs" }], databases: { postgres: { store: "timescale" }, redis: { keyPrefix: "labs:" } } };
        const run = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:apps": [labs], "llm-platform:redis": { engine: "statefulset" } } });
        const policies = run.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((r) => r.inputs.metadata.name.endsWith("-from-app-labs"));
        assert.deepEqual(policies.map((p) => p.inputs.metadata.name).sort(), ["redis-from-app-labs", "timescale-from-app-labs"]);
        const own = (service: string) => run.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((r) => r.inputs.metadata.name === service)!;
        for (const p of policies) {
            const service = p.inputs.metadata.name.replace("-from-app-labs", "");
            // The store's own pods, in its own namespace, on the ports its platform callers reach.
            assert.deepEqual(p.inputs.spec.podSelector, own(service).inputs.spec.podSelector);
            assert.equal(p.inputs.metadata.namespace, own(service).inputs.metadata.namespace);
            assert.deepEqual(p.inputs.spec.ingress, [
                {
                    from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "labs" } }, podSelector: { matchLabels: { [`talks-to.llm-platform/${service}`]: "true" } } }],
                    ports: own(service).inputs.spec.ingress.at(-1).ports,
                },
            ]);
            assert.deepEqual(p.inputs.spec.policyTypes, ["Ingress"]);
            const module = await importEsm("kubernetes-models/networking.k8s.io/v1");
            new module.NetworkPolicy(p.inputs).validate();
        }
        assert.ok(own("timescale").inputs.spec.podSelector.matchLabels["cnpg.io/cluster"], "on prod, CloudNativePG's pods");

        // The CA its variables name (PGSSLROOTCERT, REDIS_CA_FILE) comes as a ConfigMap to mount in that folder.
        const secret = run.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata?.name === "app-labs-env")!;
        assert.equal(secret.inputs.stringData.PGSSLROOTCERT, "/etc/llm-platform/tls/store-ca.crt");
        assert.equal(secret.inputs.stringData.REDIS_CA_FILE, "/etc/llm-platform/tls/store-ca.crt");
        const files = run.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.inputs.metadata?.name === "app-labs-files")!;
        assert.equal(files.inputs.metadata.namespace, "labs");
        assert.deepEqual(files.inputs.data, { "store-ca.crt": run.outputs.caCertificatePem });
        const core = await importEsm("kubernetes-models/v1");
        new core.ConfigMap(files.inputs).validate();
    });
});
