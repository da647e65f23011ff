import { strict as assert } from "assert";
import { podDisruptionBudgets } from "../../policies/rules/disruption-budgets";
import { kubernetesContainerResources } from "../../policies/rules/kubernetes-limits";
import { kubernetesProbes } from "../../policies/rules/kubernetes-probes";
import { defaultDenyNetworkPolicy } from "../../policies/rules/network-policies";
import { noPrivilegeEscalation } from "../../policies/rules/privilege-escalation";
import { kubernetesSecretsNotInEnv } from "../../policies/rules/secret-env";
import {
    CRON_JOB, DAEMON_SET, defaultDeny, DEPLOYMENT, JOB, k8sContainer, pdb, POD, podSpec, REPLICATION_CONTROLLER, sqlServerStatefulSet, STATEFUL_SET, workload,
} from "./helpers/kubernetes-fixtures";
import { check, messages } from "./helpers/run";

const proxyDeployment = (container: Record<string, any> = {}) =>
    workload(DEPLOYMENT, "proxy", podSpec([k8sContainer("proxy", { image: "nginx:1.30.5-alpine", ports: [{ name: "https", containerPort: 8443 }], readinessProbe: { httpGet: { path: "/healthz", port: "https", scheme: "HTTPS" } }, livenessProbe: { httpGet: { path: "/healthz", port: "https", scheme: "HTTPS" } }, ...container })]));

describe("policy kubernetes-probes", () => {
    it("passes long-running workloads whose containers have readiness and liveness probes, and Jobs without any", async () => {
        const job = workload(JOB, "qdrant", podSpec([k8sContainer("collection", { image: "curlimages/curl:8.22.0", readinessProbe: undefined, livenessProbe: undefined })]), "qdrant-collection");
        const init = k8sContainer("wait", { readinessProbe: undefined, livenessProbe: undefined });
        assert.deepEqual(await check(kubernetesProbes, [sqlServerStatefulSet({}, [init]), proxyDeployment(), job]), []);
    });

    it("fails a missing probe, and a probe without a handler, on every long-running kind", async () => {
        for (const type of [DEPLOYMENT, STATEFUL_SET, DAEMON_SET, REPLICATION_CONTROLLER]) {
            const w = workload(type, "qdrant", podSpec([k8sContainer("qdrant", { livenessProbe: undefined })]));
            assert.match(messages(await check(kubernetesProbes, w))[0] ?? "", /container "qdrant": livenessProbe is not set; required: a livenessProbe/, type);
        }
        // A bare Pod that restarts its containers runs like a Deployment's (kube-score pod-probes); one that runs once does not.
        const pod = (restartPolicy?: string) => workload(POD, "qdrant", podSpec([k8sContainer("qdrant", { readinessProbe: undefined })], [], restartPolicy ? { restartPolicy } : {}));
        assert.match(messages(await check(kubernetesProbes, pod()))[0] ?? "", /Pod "qdrant" container "qdrant": readinessProbe is not set/);
        assert.deepEqual(await check(kubernetesProbes, pod("Never")), []);
        const noHandler = proxyDeployment({ readinessProbe: { periodSeconds: 5 } });
        assert.match(messages(await check(kubernetesProbes, noHandler))[0], /readinessProbe is set without a handler/);
    });
});

describe("policy kubernetes-pod-disruption-budgets", () => {
    it("passes workloads selected by a budget in their namespace (matchLabels or matchExpressions)", async () => {
        const expr = pdb("proxy", { maxUnavailable: "50%", selector: { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ["proxy", "grafana"] }] } });
        const job = workload(CRON_JOB, "sqlserver", podSpec([k8sContainer("backup")]), "sqlserver-backup");
        const agent = workload(DAEMON_SET, "fluent-bit", podSpec([k8sContainer("fluent-bit")]));
        assert.deepEqual(await check(podDisruptionBudgets, [sqlServerStatefulSet(), pdb("sqlserver"), proxyDeployment(), expr, job, agent]), []);
    });

    it("fails a workload no budget selects: none, another service's, another namespace's, or one without a bound", async () => {
        const cases: [any[], RegExp][] = [
            [[proxyDeployment()], /Deployment "proxy": no PodDisruptionBudget in namespace llm-platform selects its pods/],
            [[proxyDeployment(), pdb("sqlserver")], /no PodDisruptionBudget/],
            [[proxyDeployment(), pdb("proxy", undefined, "other")], /no PodDisruptionBudget/],
            [[proxyDeployment(), pdb("proxy", { selector: { matchLabels: { "app.kubernetes.io/name": "proxy" } } })], /PodDisruptionBudget "proxy-pdb" sets neither minAvailable nor maxUnavailable/],
        ];
        for (const [resources, expected] of cases) {
            const found = await check(podDisruptionBudgets, resources);
            assert.equal(found.length, 1, String(expected));
            assert.equal(found[0].resource?.name, "proxy");
            assert.match(found[0].message, expected);
        }
    });
});

describe("policy kubernetes-default-deny-network-policy", () => {
    it("passes a namespace with one policy denying both ways, or one per direction", async () => {
        assert.deepEqual(await check(defaultDenyNetworkPolicy, [sqlServerStatefulSet(), proxyDeployment(), defaultDeny()]), []);
        const split = [defaultDeny(undefined, { podSelector: {}, policyTypes: ["Ingress"] }, "deny-ingress"), defaultDeny(undefined, { podSelector: {}, policyTypes: ["Egress"], egress: [] }, "deny-egress")];
        assert.deepEqual(await check(defaultDenyNetworkPolicy, [sqlServerStatefulSet(), ...split]), []);
    });

    it("fails once per namespace when no policy, a partial or a permissive one is there", async () => {
        const cases: [any[], RegExp][] = [
            [[], /namespace llm-platform runs workloads \(e.g. StatefulSet "sqlserver"\) without a default-deny NetworkPolicy for Ingress and Egress/],
            [[defaultDeny(undefined, { podSelector: {}, policyTypes: ["Ingress"] })], /for Egress;/],
            [[defaultDeny(undefined, { podSelector: { matchLabels: { "app.kubernetes.io/name": "sqlserver" } }, policyTypes: ["Ingress", "Egress"] })], /for Ingress and Egress/],
            [[defaultDeny(undefined, { podSelector: {}, policyTypes: ["Ingress", "Egress"], egress: [{}] })], /for Egress;/],
            [[defaultDeny("other")], /for Ingress and Egress/],
        ];
        for (const [policies, expected] of cases) {
            const found = messages(await check(defaultDenyNetworkPolicy, [sqlServerStatefulSet(), proxyDeployment(), ...policies]));
            assert.equal(found.length, 1, String(expected));
            assert.match(found[0], expected);
        }
    });
});

describe("policy kubernetes-no-privilege-escalation", () => {
    it("passes containers that set allowPrivilegeEscalation false, and leaves privileged ones to no-privileged-containers", async () => {
        const sysctl = k8sContainer("sysctl", { securityContext: { privileged: true, runAsUser: 0 } });
        assert.deepEqual(await check(noPrivilegeEscalation, sqlServerStatefulSet({}, [sysctl])), []);
    });

    it("fails a container, init container or Job container that leaves it unset or true", async () => {
        const init = k8sContainer("chown", { securityContext: { runAsUser: 0 } });
        assert.match(messages(await check(noPrivilegeEscalation, sqlServerStatefulSet({}, [init])))[0], /init container "chown": securityContext.allowPrivilegeEscalation is not set \(true\); required: false/);
        const job = workload(JOB, "timescale", podSpec([k8sContainer("schema", { securityContext: { allowPrivilegeEscalation: true } })]), "timescale-schema");
        assert.match(messages(await check(noPrivilegeEscalation, job))[0], /allowPrivilegeEscalation is true/);
    });
});

describe("policy kubernetes-secrets-not-literal-env", () => {
    it("passes secrets from secretKeyRef, *_FILE paths and ordinary settings", async () => {
        const sts = sqlServerStatefulSet({
            env: [
                { name: "ACCEPT_EULA", value: "Y" },
                { name: "MSSQL_SA_PASSWORD", valueFrom: { secretKeyRef: { name: "sqlserver", key: "sa-password" } } },
                { name: "POSTGRES_PASSWORD_FILE", value: "/run/secrets/postgres-password" },
                { name: "OLLAMA_KEEP_ALIVE", value: "24h" },
                { name: "AWS_ACCESS_KEY_ID", value: "" },
            ],
        });
        assert.deepEqual(await check(kubernetesSecretsNotInEnv, sts), []);
    });

    it("fails a password, token or API key given as a literal value, in any container", async () => {
        const sts = sqlServerStatefulSet({ env: [{ name: "MSSQL_SA_PASSWORD", value: "Aa1-Bb2_efd363e37e451a53" }] }, [k8sContainer("init", { env: [{ name: "QDRANT__SERVICE__API_KEY", value: "k" }] })]);
        assert.deepEqual(messages(await check(kubernetesSecretsNotInEnv, sts)), [
            'kubernetes:apps/v1:StatefulSet "sqlserver" init container "init": env QDRANT__SERVICE__API_KEY is a literal value; required: valueFrom.secretKeyRef to a Secret key',
            'kubernetes:apps/v1:StatefulSet "sqlserver" container "sqlserver": env MSSQL_SA_PASSWORD is a literal value; required: valueFrom.secretKeyRef to a Secret key',
        ]);
        const cron = workload(CRON_JOB, "redis", podSpec([k8sContainer("backup", { env: [{ name: "REDISCLI_AUTH_TOKEN", value: "x" }] })]), "redis-backup");
        assert.equal((await check(kubernetesSecretsNotInEnv, cron)).length, 1);
    });
});

describe("limits and pinned images on every Kubernetes container (kubernetes-container-resources)", () => {
    it("holds init, Job, CronJob, Pod and ReplicationController containers to limits", async () => {
        for (const type of [JOB, CRON_JOB, POD, REPLICATION_CONTROLLER]) {
            const w = workload(type, "qdrant", podSpec([k8sContainer("main")], [k8sContainer("init", { resources: undefined })]));
            const found = messages(await check(kubernetesContainerResources, w));
            assert.equal(found.length, 4, `${type}: ${found.join("\n")}`);
            assert.match(found[0], /init container "init": resources.requests.cpu is not set/);
        }
    });
});
