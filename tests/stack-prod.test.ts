import assert from "node:assert/strict";
import { policyResources } from "../harness/policy-report";
import { RegisteredResource, runStack, StackRun } from "../harness/run-stack";
import { runPolicyPack } from "../policies/rules/offline";
import { CRON_JOB, DEPLOYMENT, JOB, NETWORK_POLICY, PDB, podSpec, SERVICE, STATEFUL_SET } from "./helpers/kubernetes-types";

const workloads = (run: StackRun) => [...run.ofType(STATEFUL_SET), ...run.ofType(DEPLOYMENT)];
const main = (r: RegisteredResource) => podSpec(r).containers[0];
const envOf = (r: RegisteredResource) => new Map<string, any>(main(r).env.map((e: any) => [e.name, e]));
const policyNamed = (run: StackRun, name: string) => run.ofType(NETWORK_POLICY).find((p) => p.inputs.metadata.name === name)!.inputs.spec;

describe("prod stack (Pulumi.prod.yaml under mocks, example cluster and domain)", function () {
    // Some tests run the stack three times; CI machines are shared.
    this.timeout(60000);
    let run: StackRun;
    before(async () => {
        run = await runStack("prod", { exampleUserValues: true });
    });

    it("runs stateful services as StatefulSets (TimescaleDB: a CloudNativePG cluster) and the proxy as a spread-out Deployment", () => {
        assert.deepEqual(run.ofType(STATEFUL_SET).map((r) => r.name).sort(), [
            "alertmanager", "elasticsearch", "grafana", "ollama", "prometheus", "pushgateway", "qdrant", "sqlserver",
        ]);
        // Valkey is ElastiCache on prod (redis.engine): nothing of it runs in the cluster but its exporter.
        assert.equal(run.ofType(STATEFUL_SET).filter((r) => r.name.startsWith("redis")).length, 0);
        assert.equal(run.named("kubernetes:postgresql.cnpg.io/v1:Cluster", "timescale").inputs.spec.instances, 3);
        const proxy = run.named(DEPLOYMENT, "proxy");
        assert.equal(proxy.inputs.spec.replicas, 2);
        assert.deepEqual(proxy.inputs.spec.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
        assert.deepEqual(podSpec(proxy).topologySpreadConstraints.map((t: any) => t.topologyKey), ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
    });

    it("reaches the EKS cluster through an explicit provider with an `aws eks get-token` kubeconfig", () => {
        const [provider] = run.ofType("pulumi:providers:kubernetes");
        const kubeconfig = JSON.parse(provider.inputs.kubeconfig);
        assert.match(kubeconfig.clusters[0].cluster.server, /^https:\/\/[0-9A-F]{32}\.gr7\.eu-west-1\.eks\.amazonaws\.com$/);
        assert.ok(kubeconfig.clusters[0].cluster["certificate-authority-data"].length > 20);
        assert.deepEqual(kubeconfig.users[0].user.exec.args, ["eks", "get-token", "--cluster-name", "example-cluster", "--region", "eu-west-1", "--output", "json"]);
        assert.equal(provider.inputs.namespace, "llm-platform");
        assert.equal(run.ofType("pulumi:providers:aws")[0].inputs.region, "eu-west-1");
    });

    it("creates the namespace with Pod Security labels, default-deny and DNS egress, kept on destroy", () => {
        const ns = run.ofType("kubernetes:core/v1:Namespace").find((n) => n.inputs.metadata.name === "llm-platform")!;
        assert.equal(ns.inputs.metadata.name, "llm-platform");
        assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/warn"], "restricted");
        assert.equal(ns.options.retainOnDelete, true);
        assert.deepEqual(policyNamed(run, "default-deny"), { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.deepEqual(policyNamed(run, "allow-dns").egress[0].ports.map((p: any) => `${p.protocol}/${p.port}`), ["UDP/53", "TCP/53"]);
    });

    it("claims volumes sized from config on the encrypted gp3 class and retains them", () => {
        assert.deepEqual(
            run.ofType("kubernetes:storage.k8s.io/v1:StorageClass").map(({ inputs: sc }) => ({
                name: sc.metadata.name,
                p: sc.provisioner,
                params: sc.parameters,
                mode: sc.volumeBindingMode,
                grow: sc.allowVolumeExpansion,
                reclaim: sc.reclaimPolicy,
            })),
            [
                { name: "llm-platform-gp3", p: "ebs.csi.aws.com", params: { type: "gp3", encrypted: "true" }, mode: "WaitForFirstConsumer", grow: true, reclaim: "Retain" },
                // The backup jobs' scratch claims: their volumes go with them.
                { name: "llm-platform-gp3-scratch", p: "ebs.csi.aws.com", params: { type: "gp3", encrypted: "true" }, mode: "WaitForFirstConsumer", grow: false, reclaim: "Delete" },
            ],
        );
        const qdrant = run.named(STATEFUL_SET, "qdrant").inputs.spec;
        assert.deepEqual(qdrant.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
        assert.deepEqual(
            qdrant.volumeClaimTemplates.map((t: any) => [t.metadata.name, t.spec.storageClassName, t.spec.resources.requests.storage]),
            [["storage", "llm-platform-gp3", "100Gi"], ["snapshots", "llm-platform-gp3", "100Gi"]],
        );
        assert.equal(run.named("kubernetes:postgresql.cnpg.io/v1:Cluster", "timescale").inputs.spec.storage.size, "500Gi");
    });

    it("hardens every pod: seccomp, no escalation, capabilities dropped, no token, non-root where the image allows", () => {
        const pods = [...workloads(run), ...run.ofType(JOB)];
        for (const w of pods) {
            const spec = podSpec(w);
            assert.equal(spec.securityContext.seccompProfile.type, "RuntimeDefault", w.name);
            assert.equal(spec.automountServiceAccountToken, false, w.name);
            // A backup taken before a migration is the backup CronJobs' pod: it uploads with their account.
            const account = w.name.includes("-backup-before-") ? run.named(CRON_JOB, "timescale-backup-full").inputs.spec.jobTemplate.spec.template.spec.serviceAccountName : w.name;
            assert.equal(spec.serviceAccountName, account, `${w.name} has its own ServiceAccount`);
            for (const c of spec.containers) {
                assert.equal(c.securityContext.allowPrivilegeEscalation, false, w.name);
                assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"], w.name);
            }
        }
        const rootImages = pods.filter((w) => podSpec(w).securityContext.runAsNonRoot !== true).map((w) => w.name).sort();
        // Qdrant runs its -unprivileged image as uid 1000, Ollama (whose image has only root) as uid 1000 too.
        assert.deepEqual(rootImages, []);
        assert.equal(podSpec(run.named(STATEFUL_SET, "sqlserver")).securityContext.runAsUser, 10001);
        for (const w of pods) for (const c of podSpec(w).containers) assert.equal(c.securityContext.capabilities.add, undefined, `${w.name} adds no capability`);
        // NGINX as its own user binds 443 through the namespaced sysctl, on a read-only image.
        const proxy = podSpec(run.named(DEPLOYMENT, "proxy"));
        assert.equal(proxy.securityContext.runAsUser, 101);
        assert.deepEqual(proxy.securityContext.sysctls, [{ name: "net.ipv4.ip_unprivileged_port_start", value: "80" }]);
        assert.equal(proxy.containers[0].securityContext.readOnlyRootFilesystem, true);
        assert.deepEqual(
            proxy.containers[0].volumeMounts.filter((m: any) => m.name.startsWith("scratch-")).map((m: any) => m.mountPath),
            ["/tmp", "/var/cache/nginx"],
        );
        const readOnly = workloads(run).filter((w) => main(w).securityContext.readOnlyRootFilesystem).map((w) => w.name).sort();
        assert.deepEqual(readOnly, [
            "alertmanager", "blackbox-exporter", "cloudwatch-exporter", "elasticsearch-exporter", "prometheus", "proxy", "proxy-exporter", "pushgateway",
            "redis-exporter", "sqlserver-exporter", "timescale-exporter",
        ]);
        for (const account of run.ofType("kubernetes:core/v1:ServiceAccount")) assert.equal(account.inputs.automountServiceAccountToken, false);
    });

    it("passes secrets through Secrets (secretKeyRef), never as literal env values", () => {
        const sql = envOf(run.named(STATEFUL_SET, "sqlserver"));
        assert.deepEqual(sql.get("MSSQL_SA_PASSWORD").valueFrom.secretKeyRef, { name: "sqlserver-env", key: "MSSQL_SA_PASSWORD" });
        assert.equal(sql.get("MSSQL_SA_PASSWORD").value, undefined);
        const secret = run.ofType("kubernetes:core/v1:Secret").find((s) => s.inputs.metadata.name === "sqlserver-env")!;
        assert.equal(secret.inputs.stringData.MSSQL_SA_PASSWORD, run.outputs.credentials.sqlserverSaPassword);
        for (const w of [...workloads(run), ...run.ofType(JOB)]) {
            for (const e of main(w).env ?? []) {
                if (/PASSWORD|API_KEY|CLI_AUTH|TOKEN|ENCRYPTIONKEY/.test(e.name)) assert.ok(e.valueFrom?.secretKeyRef, `${w.name} ${e.name}`);
            }
        }
    });

    it("probes every service (startup, readiness, liveness) and mounts files from ConfigMaps and Secrets", () => {
        for (const w of workloads(run)) {
            const c = main(w);
            for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) assert.ok(c[probe], `${w.name} ${probe}`);
        }
        assert.deepEqual(main(run.named(STATEFUL_SET, "qdrant")).readinessProbe.httpGet, { path: "/readyz", port: 6333, scheme: "HTTPS" });
        // SQL Server may take the whole start period (30 s at 10 s intervals) plus its retries.
        assert.equal(main(run.named(STATEFUL_SET, "sqlserver")).startupProbe.failureThreshold, 13);
        const proxyMounts = main(run.named(DEPLOYMENT, "proxy"))
            .volumeMounts.filter((m: any) => !m.name.startsWith("scratch-"))
            .map((m: any) => `${m.name}:${m.mountPath}`);
        assert.deepEqual(proxyMounts, [
            "files:/etc/nginx/nginx.conf",
            "files:/etc/nginx/tls/tls.crt",
            "secret-files:/etc/nginx/tls/tls.key",
            "secret-files:/etc/nginx/auth/api-keys.map",
            "secret-files:/etc/nginx/auth/grafana.htpasswd",
            "secret-files:/etc/nginx/auth/prometheus.htpasswd",
            "secret-files:/etc/nginx/auth/alertmanager.htpasswd",
            "secret-files:/etc/nginx/auth/kibana.htpasswd",
        ]);
        const tlsKey = podSpec(run.named(DEPLOYMENT, "proxy")).volumes.find((v: any) => v.name === "secret-files").secret.items[0];
        assert.equal(tlsKey.mode, 0o600);
    });

    it("rolls a workload's pods when one of its files changes, and only that workload's", async () => {
        // Valkey as a StatefulSet (clusters without AWS): its redis.conf is the file that changes.
        const inCluster = { "llm-platform:redis": { engine: "statefulset" } };
        const before = await runStack("prod", { exampleUserValues: true, overrides: inCluster });
        const changed = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:redis": { engine: "statefulset", evictionPolicy: "noeviction" } } });
        const hash = (r: StackRun, name: string) => r.named(STATEFUL_SET, name).inputs.spec.template.metadata.annotations["llm-platform/content-sha256"];
        assert.match(hash(before, "redis"), /^[0-9a-f]{64}$/);
        assert.notEqual(hash(changed, "redis"), hash(before, "redis"));
        assert.equal(hash(changed, "sqlserver"), hash(before, "sqlserver"));
    });

    it("allows exactly the declared flows", () => {
        const flows = (name: string) => run.ofType(NETWORK_POLICY).find((p) => p.name === `${name}-flows`)!.inputs.spec;
        // A CloudNativePG cluster's pods are picked by the operator's label (components/platform/kubernetes/cloudnative-pg.ts clusterPods).
        const egressTo = (name: string) =>
            flows(name).egress.flatMap((e: any) => e.to.map((t: any) => t.podSelector?.matchLabels["app.kubernetes.io/name"] ?? t.podSelector?.matchLabels["cnpg.io/cluster"] ?? t.ipBlock.cidr));
        assert.deepEqual(egressTo("sqlserver"), ["proxy"]);
        assert.deepEqual(egressTo("proxy"), ["ollama", "grafana", "prometheus", "alertmanager", "kibana"]);
        assert.deepEqual(egressTo("ollama"), ["0.0.0.0/0"]);
        assert.ok(flows("ollama").egress[0].to[0].ipBlock.except.includes("169.254.0.0/16"), "no instance metadata");
        // ElastiCache is outside the cluster: its exporter reaches the private subnets on 6379 only.
        const privateSubnets = run.config.aws ? egressTo("redis-exporter") : [];
        assert.ok(privateSubnets.length > 0 && privateSubnets.every((cidr: string) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cidr)), String(privateSubnets));
        assert.deepEqual(flows("redis-exporter").egress.flatMap((e: any) => e.ports.map((p: any) => p.port)), [6379]);
        assert.deepEqual(egressTo("timescale-migrate"), ["timescale"], "the migrate step reaches its store only (its backup runs in a backup pod)");
        // Ingress: only pods labelled as clients of the service, on its ports; the proxy from anywhere.
        const caller = (ns: string) => ({
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
            podSelector: { matchLabels: { "talks-to.llm-platform/ollama": "true" } },
        });
        assert.deepEqual(flows("ollama").ingress, [{ from: [caller("llm-platform"), caller("llm-platform-node-agents")], ports: [{ protocol: "TCP", port: 11434 }] }]);
        assert.equal(run.named(DEPLOYMENT, "proxy").inputs.spec.template.metadata.labels["talks-to.llm-platform/ollama"], "true");
        assert.deepEqual(flows("proxy").ingress[0].from, [{ ipBlock: { cidr: "0.0.0.0/0" } }]);
        assert.deepEqual(flows("proxy").ingress[0].ports.map((p: any) => p.port), [443, 80]);
        // Its status port (stub_status) is for its exporter only, never public.
        assert.deepEqual(flows("proxy").ingress[1].ports, [{ protocol: "TCP", port: 8081 }]);
        assert.equal(flows("proxy").ingress[1].from[0].podSelector.matchLabels["talks-to.llm-platform/proxy"], "true");
        assert.equal(run.named(DEPLOYMENT, "proxy-exporter").inputs.spec.template.metadata.labels["talks-to.llm-platform/proxy"], "true");
        assert.equal(run.named(JOB, "qdrant-collection").inputs.spec.template.metadata.labels["talks-to.llm-platform/qdrant"], "true");
    });

    it("exposes only the proxy, through the ALB of the aws object; every Service is ClusterIP", () => {
        for (const s of run.ofType(SERVICE)) assert.equal(s.inputs.spec.type, "ClusterIP", s.name);
        assert.equal(run.outputs.proxyUrl, "https://llm.example.com");
    });

    it("without the aws object, exposes the proxy through the AWS Load Balancer Controller's NLB", async () => {
        const nlb = await runStack("prod", {
            exampleUserValues: true,
            without: ["llm-platform:aws"],
            // Without the bucket there is nowhere to upload backups to (or archive WAL): the stack must say so (config.test.ts).
            overrides: {
                "llm-platform:kubernetes": { proxyServiceType: "LoadBalancer" },
                "llm-platform:backup": { enabled: false },
                "llm-platform:redis": { engine: "statefulset" },
                "llm-platform:timescale": { engine: "statefulset" },
            },
        });
        for (const s of nlb.ofType(SERVICE)) {
            assert.equal(s.inputs.spec.type, s.name === "proxy-service" ? "LoadBalancer" : "ClusterIP", s.name);
        }
        const proxy = nlb.named(SERVICE, "proxy-service").inputs;
        assert.equal(proxy.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"], "ip");
        assert.equal(nlb.ofType("aws:lb/loadBalancer:LoadBalancer").length, 0);
    });

    it("gives every long-running workload a PodDisruptionBudget that lets drains proceed", () => {
        const all = [...workloads(run), ...run.ofType("kubernetes:apps/v1:DaemonSet")];
        assert.deepEqual(run.ofType(PDB).map((p) => p.inputs.metadata.name).sort(), all.map((w) => w.name).sort());
        for (const p of run.ofType(PDB)) assert.equal(p.inputs.spec.maxUnavailable, 1);
    });

    it("runs one-shot steps as bounded Jobs after their service is ready (SQL Server's migrations after its settings)", () => {
        // The app database's migration is the AWS pieces' own Job (tests/stack-prod-aws.test.ts).
        const steps = run.ofType(JOB).filter((j) => !j.name.includes("-backup-before-") && j.name !== "app-database-migrate");
        assert.deepEqual(steps.map((j) => j.name).sort(), [
            "elasticsearch-setup", "kibana-data-view", "ollama-pull-chat-model", "ollama-pull-embedding-model", "qdrant-collection",
            "sqlserver-migrate", "sqlserver-monitor-login", "sqlserver-settings", "timescale-migrate", "timescale-monitor-role",
        ]);
        for (const job of steps) {
            // Model pulls get the download deadline (120 minutes in Pulumi.prod.yaml), the rest 30.
            const deadline = (job.name.startsWith("ollama-pull-") ? 120 : 30) * 60;
            // A failed migration is looked at before it runs again.
            const retries = job.name.endsWith("-migrate") ? 0 : 2;
            // No TTL: the cluster never deletes a Job Pulumi manages (tests/kubernetes-day-two.test.ts).
            assert.deepEqual(
                [job.inputs.spec.backoffLimit, job.inputs.spec.activeDeadlineSeconds, job.inputs.spec.ttlSecondsAfterFinished, podSpec(job).restartPolicy],
                [retries, deadline, undefined, "Never"],
                job.name,
            );
            assert.ok(main(job).resources.limits.memory, job.name);
            assert.equal(job.inputs.metadata.annotations["pulumi.com/replaceUnready"], "true", "a failed Job runs again on the next up");
            assert.equal(job.inputs.metadata.annotations["pulumi.com/timeoutSeconds"], String(deadline + 120));
        }
        assert.deepEqual(run.named(JOB, "sqlserver-settings").options.dependsOn, [`${STATEFUL_SET}::sqlserver`]);
        assert.deepEqual(run.named(JOB, "sqlserver-migrate").options.dependsOn, [`${JOB}::sqlserver-settings`, `${JOB}::sqlserver-backup-before-migrate`]);
        assert.deepEqual(run.named(JOB, "sqlserver-monitor-login").options.dependsOn, [`${STATEFUL_SET}::sqlserver`]);
        // TimescaleDB's steps wait for the CloudNativePG cluster's Ready condition (tests/cloudnative-pg.test.ts).
        assert.deepEqual(run.named(JOB, "timescale-monitor-role").options.dependsOn, ["kubernetes:postgresql.cnpg.io/v1:Cluster::timescale"]);
        assert.deepEqual(run.named(JOB, "timescale-migrate").options.dependsOn, ["kubernetes:postgresql.cnpg.io/v1:Cluster::timescale", `${JOB}::timescale-backup-before-migrate`]);
        assert.deepEqual(run.outputs.initialization["sqlserver-migrate"], "completed");
    });

    it("takes a fresh backup of the store, the backup CronJob's pod as a Job, before each migration; the same pod stays as a template for `npm run migrate`", () => {
        for (const store of ["sqlserver", "timescale"]) {
            const before = run.named(JOB, `${store}-backup-before-migrate`);
            const scheduled = run.named(CRON_JOB, `${store}-backup-full`).inputs.spec.jobTemplate.spec;
            // Its own ConfigMap and Secret hold the same scripts and env: compare all but their names.
            const shape = (c: any) => ({ ...c, volumeMounts: undefined, env: c.env.map((e: any) => e.value ?? e.valueFrom.secretKeyRef.key) });
            const pod = (spec: any) => ({
                ...spec.template.spec,
                volumes: spec.template.spec.volumes.map((v: any) => v.name),
                initContainers: spec.template.spec.initContainers.map(shape),
                containers: spec.template.spec.containers.map(shape),
            });
            // The same containers, account and work volume as the scheduled full backup; uploaded as a `full` backup.
            assert.deepEqual(pod(before.inputs.spec), pod(scheduled), store);
            assert.deepEqual(before.inputs.spec.template.metadata.labels["llm-platform.role"], "backup");
            const upload = podSpec(before).containers.find((c: any) => c.name === "upload");
            assert.equal(upload.env.find((e: any) => e.name === "JOB").value, "full", "it is a full backup like the scheduled ones");
            // It runs again exactly when the migrate step's inputs change.
            assert.match(before.inputs.spec.template.metadata.annotations["llm-platform/before-step-inputs"], /^[0-9a-f]{64}$/);
            assert.equal(before.options.deleteBeforeReplace, true);
            assert.equal(before.inputs.metadata.annotations["pulumi.com/timeoutSeconds"], String(240 * 60 + 120), "the backup deadline");
            const template = run.named(CRON_JOB, `${store}-migrate-template`).inputs;
            assert.equal(template.spec.suspend, true);
            // The same pod; only the Jobs made from the template are deleted by the cluster after they finished.
            assert.deepEqual(template.spec.jobTemplate.spec, { ...run.named(JOB, `${store}-migrate`).inputs.spec, ttlSecondsAfterFinished: 168 * 3600 });
        }
    });

    it("hands a failed step's last log lines to the provider, which fails `pulumi up` with them (a migration engine's reason)", () => {
        // The one-shot steps and the app database's migration; a backup's pod is the scheduled backup's.
        const jobs = run.ofType(JOB).filter((j) => !j.name.includes("-backup-before-"));
        assert.deepEqual(jobs.filter((j) => j.name.endsWith("-migrate")).map((j) => j.name).sort(), ["app-database-migrate", "sqlserver-migrate", "timescale-migrate"]);
        for (const job of jobs) {
            for (const c of job.inputs.spec.template.spec.containers) assert.equal(c.terminationMessagePolicy, "FallbackToLogsOnError", `${job.name}/${c.name}`);
        }
    });

    it("fails `pulumi up` on a failed Job with the kubectl logs command and how to re-run it", async () => {
        const error = await runStack("prod", { exampleUserValues: true, stepExitCode: 1 }).then(
            () => assert.fail("a failed Job must fail the program"),
            (e: Error) => e,
        );
        assert.match(error.message, /one-shot step \w+(-[\w-]+)? failed \(BackoffLimitExceeded\): see `kubectl logs -n llm-platform job\/[\w-]+`/);
        assert.match(error.message, /pulumi up --replace 'urn:pulumi:prod::llm-platform::[^']*kubernetes:batch\/v1:Job::[\w-]+'/);
        // A Job saved without any outcome (its create timed out) is not taken for done.
        const unfinished = await runStack("prod", { exampleUserValues: true, stepExitCode: null }).then(
            () => assert.fail("a Job without an outcome must fail the program"),
            (e: Error) => e,
        );
        assert.match(unfinished.message, /one-shot step [\w-]+ has not completed: see `kubectl logs/);
    });

    it("points NGINX at cluster DNS names and certifies the proxy's in-cluster and public names", () => {
        const conf = run.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.inputs.metadata.name === "proxy-files")!.inputs.data["etc-nginx-nginx.conf"];
        assert.match(conf, /resolver kube-dns\.kube-system\.svc\.cluster\.local valid=10s/);
        assert.match(conf, /http:\/\/ollama\.llm-platform\.svc\.cluster\.local:11434/);
        const leaf = run.ofType("tls:index/certRequest:CertRequest").find((r) => r.inputs.dnsNames.includes("proxy"))!.inputs;
        for (const name of ["proxy.llm-platform.svc.cluster.local", "llm.example.com"]) assert.ok(leaf.dnsNames.includes(name), name);
    });

    it("schedules Ollama on a GPU node when the stack has one, and on CPU when it does not", async () => {
        const gpu = run.named(STATEFUL_SET, "ollama");
        assert.equal(main(gpu).resources.limits["nvidia.com/gpu"], "1");
        assert.equal(main(gpu).resources.requests["nvidia.com/gpu"], undefined, "GPUs go in limits only");
        assert.equal(gpu.inputs.spec.template.metadata.labels["llm-platform.gpu"], "required");
        assert.deepEqual(podSpec(gpu).tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
        // The device plugin says which GPUs the pod got; kubelet appends the pod's own env after the
        // plugin's, so an NVIDIA_VISIBLE_DEVICES here would hand Ollama every GPU of the node (k8s-device-plugin#342).
        assert.deepEqual([...envOf(gpu).keys()].filter((k) => k.startsWith("NVIDIA_")), []);
        assert.equal(envOf(gpu).get("OLLAMA_FLASH_ATTENTION").value, "1");

        const cpu = await runStack("prod", {
            exampleUserValues: true,
            overrides: { "llm-platform:ollama": { gpu: false }, "llm-platform:kubernetes": { gpuRuntimeClassName: "nvidia", gpuNodeSelector: { gpu: "yes" } } },
        });
        const ollama = cpu.named(STATEFUL_SET, "ollama");
        assert.equal(main(ollama).resources.limits["nvidia.com/gpu"], undefined);
        assert.equal(ollama.inputs.spec.template.metadata.labels["llm-platform.gpu"], undefined);
        assert.equal(podSpec(ollama).tolerations, undefined);
        assert.equal(podSpec(ollama).runtimeClassName, undefined);

        const runtime = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:kubernetes": { gpuRuntimeClassName: "nvidia", gpuNodeSelector: { gpu: "yes" } } } });
        assert.equal(podSpec(runtime.named(STATEFUL_SET, "ollama")).runtimeClassName, "nvidia");
        assert.deepEqual(podSpec(runtime.named(STATEFUL_SET, "ollama")).nodeSelector, { gpu: "yes" });
    });

    it("passes the policy pack with no mandatory violation, GPU on and off", async () => {
        const gpuConfig = { "gpu-requested": { gpuServices: ["ollama"] } };
        assert.deepEqual((await runPolicyPack(policyResources(run), gpuConfig)).filter((v) => v.enforcementLevel === "mandatory"), []);
        const cpu = await runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:ollama": { gpu: false } } });
        assert.deepEqual((await runPolicyPack(policyResources(cpu))).filter((v) => v.enforcementLevel === "mandatory"), []);
    });

    it("can use a kubeconfig context, or only render manifests, instead of an EKS cluster", async () => {
        // The aws object needs the EKS cluster (network, backup role): these are stacks without it.
        const without = ["llm-platform:aws"];
        const noBackups = { "llm-platform:backup": { enabled: false }, "llm-platform:redis": { engine: "statefulset" }, "llm-platform:timescale": { engine: "statefulset" } };
        const context = await runStack("prod", {
            exampleUserValues: true,
            without,
            overrides: { ...noBackups, "llm-platform:kubernetes": { context: "prod-admin", kubeconfig: "/home/ops/.kube/prod" } },
        });
        // The example cluster name stands in only when nothing says how to reach the cluster.
        assert.equal(context.ofType("pulumi:providers:kubernetes")[0].inputs.context, "prod-admin");
        assert.equal(context.ofType("pulumi:providers:aws").length, 0);
        const render = await runStack("prod", { exampleUserValues: true, without, overrides: { ...noBackups, "llm-platform:kubernetes": { renderYamlToDirectory: "rendered-manifests/prod" } } });
        const provider = render.ofType("pulumi:providers:kubernetes")[0].inputs;
        assert.equal(provider.renderYamlToDirectory, "rendered-manifests/prod");
        assert.equal(provider.kubeconfig, undefined);
        assert.equal(render.outputs.initialization["sqlserver-migrate"], "rendered to rendered-manifests/prod, not run");
    });
});
