import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as ts from "typescript";
import { pullPolicyFor } from "../../../policies/shared/image-reference";
import { CLIENT_CHECKS, SmokeTarget, Tool } from "../../../scripts/smoke/checks";
import { defaultImages } from "../../config/images";
import { PrivateEgress, RunAs, ServiceFile } from "../types";
import { BACKUP_ROLE_LABEL } from "./backups";
import { FlowTarget, talksToLabels, workloadFlows } from "./flows";
import { COMPONENT_LABEL, CONTENT_HASH_ANNOTATION, SERVICE_LABEL } from "./labels";
import { suspendedJobTemplate } from "./job-template";
import { containerSecurityContext, podInputs, podSecurityContext } from "./pod";
import { containerResources } from "./quantities";

import Core = k8s.types.input.core.v1;

/** The smoke Jobs' templates: `kubectl create job --from=cronjob/smoke` (or `smoke-canary`), as `npm run smoke -- <stack>` does. */
export const SMOKE_JOB = "smoke";
export const SMOKE_CANARY_JOB = "smoke-canary";
/** Its `llm-platform.role`, beside the backups' and the tasks'. */
export const SMOKE_ROLE = "smoke";

const DIR = "/opt/llm-platform/smoke";
/** The CA the stores' certificates chain to, in every client container of the smoke pod. */
const STORE_CA_FILE = `${DIR}/store-ca.crt`;
const RESULTS = "/smoke-results";
export const RECORD_RUN = `${DIR}/record-run.sh`;
/** The node image's own user. */
const NODE_USER: RunAs = { uid: 1000, gid: 1000 };

/**
 * One client run in its store's image: output, exit status and the time it took (from
 * /proc/uptime: busybox's date has no sub-second format) into the run's directory, for the
 * node container to judge. It always exits 0 (the judging is not here); after a failed run the
 * check's later runs do not run.
 */
export const RECORD_RUN_SCRIPT = `# $1: the run's directory (${RESULTS}/<check>/<run>); the rest: the client and its arguments.
dir="$1"
shift
[ ! -e "\${dir%/*}/failed" ] || exit 0
mkdir -p "$dir"
read -r start _ < /proc/uptime
"$@" > "$dir/out" 2> "$dir/err"
rc=$?
read -r end _ < /proc/uptime
echo "$start $end" > "$dir/uptime"
echo "$rc" > "$dir/rc"
[ "$rc" -eq 0 ] || : > "\${dir%/*}/failed"
exit 0
`;

/** A client's image, command and user in the stack (its store's own image, which ships the client). */
export interface SmokeClient {
    readonly image: string;
    readonly command: string;
    readonly runAs: RunAs;
    /** The environment the client reads besides the check's own (Valkey's CLI reads VALKEYCLI_AUTH). */
    readonly envAliases?: Readonly<Record<string, string>>;
}

/** The target without its secrets: the Secret's keys stand where the passwords go. */
export type SmokeTargetBase = Omit<SmokeTarget, "apiKey" | "qdrant" | "sqlserver" | "timescale" | "redis" | "caCertPem" | "tools"> & {
    readonly sqlserver: Omit<SmokeTarget["sqlserver"], "password">;
    readonly timescale: Omit<SmokeTarget["timescale"], "password">;
    /** The host is known once the store is (ElastiCache's endpoint): the client containers get it through env. */
    readonly redis: Omit<SmokeTarget["redis"], "password" | "host"> & { readonly host: pulumi.Input<string> };
    readonly qdrant: Omit<SmokeTarget["qdrant"], "apiKey">;
};

export interface SmokeJobArgs {
    readonly namespace: { readonly name: string; readonly ref: pulumi.Input<string> };
    readonly commonLabels: Record<string, string>;
    readonly jobTtlHours: number;
    /** What the checks call, by the names Services give them inside the cluster. */
    readonly target: SmokeTargetBase;
    readonly caCertPem: pulumi.Input<string>;
    readonly secrets: {
        readonly apiKey: pulumi.Input<string>;
        readonly sqlserverPassword: pulumi.Input<string>;
        readonly timescalePassword: pulumi.Input<string>;
        readonly redisPassword: pulumi.Input<string>;
        readonly qdrantApiKey: pulumi.Input<string>;
    };
    readonly clients: Readonly<Record<Tool, SmokeClient>>;
    /** The Services the checks reach: the proxy's, and one per store. */
    readonly services: { readonly proxy: string; readonly sqlserver: string; readonly timescale: string; readonly redis: string; readonly qdrant: string };
    /** Valkey outside the cluster (ElastiCache): the pod reaches these addresses instead of a redis Service. */
    readonly redisOutside?: PrivateEgress;
    /** The canary proxy's Service and its host name, when the stack runs one: a second template checks it alone. */
    readonly canary?: { readonly service: string; readonly host: string };
    /** How the platform's NetworkPolicies pick a service's pods (an operator's pods carry the operator's labels). */
    readonly flowTarget: (service: string) => FlowTarget;
    readonly opts: pulumi.CustomResourceOptions;
}

/**
 * The checks and the Job's entry, transpiled for the node image (Node's built-in modules only), by
 * the TypeScript compiler Pulumi's Node.js runtime already loads the program with.
 */
export function smokeScripts(): SmokeScripts {
    if (scripts) return scripts;
    const transpiled = (file: string) => {
        const source = fs.readFileSync(path.join(__dirname, "..", "..", "..", "scripts", "smoke", file), "utf8");
        return ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    };
    return (scripts = { "checks.js": transpiled("checks.ts"), "in-cluster.js": transpiled("in-cluster.ts") });
}
type SmokeScripts = { readonly "checks.js": string; readonly "in-cluster.js": string };
/** Transpiled once per process: the files are the program's own and do not change while it runs. */
let scripts: SmokeScripts | undefined;

const uid = { name: "SMOKE_RUN_ID", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.uid" } } };
/** What `$(SMOKE_RUN_ID)` in a container's arguments becomes: Kubernetes expands it from the container's env. */
export const RUN_ID_REFERENCE = "$(SMOKE_RUN_ID)";
/** Valkey's host in the client's arguments, expanded from its env the same way (an endpoint AWS gives out). */
const REDIS_HOST_REFERENCE = "$(SMOKE_REDIS_HOST)";

/**
 * The smoke checks as suspended CronJobs of a Kubernetes stack (docs/releases.md): one pod per
 * run, no secret leaving the cluster. Each client check's runs are init containers in their
 * store's image (psql, valkey-cli, sqlcmd as shipped), one after the other; the last container
 * runs scripts/smoke/in-cluster.ts in the pinned node image and prints the report. The pod
 * reaches exactly what it checks.
 */
export function smokeJobs(a: SmokeJobArgs): void {
    const labels = { ...a.commonLabels, [SERVICE_LABEL]: SMOKE_JOB, [BACKUP_ROLE_LABEL]: SMOKE_ROLE };
    // The stores the platform runs serve TLS with its CA (ElastiCache's certificate chains to a public CA).
    const storeCa = { caFile: STORE_CA_FILE };
    const stores = { timescale: { ...a.target.timescale, ...storeCa }, redis: { ...a.target.redis, ...(a.redisOutside ? {} : storeCa) } };
    // The Secret's keys stand in the target for the passwords: each client run's env names the one it needs.
    const placeholder: SmokeTarget = {
        ...a.target,
        apiKey: "apiKey",
        sqlserver: { ...a.target.sqlserver, password: "sqlserverPassword" },
        timescale: { ...stores.timescale, password: "timescalePassword" },
        redis: { ...stores.redis, host: REDIS_HOST_REFERENCE, password: "redisPassword" },
        qdrant: { ...a.target.qdrant, apiKey: "qdrantApiKey" },
    };
    const secretKeys = new Set(Object.keys(a.secrets));
    const targetFile = (canary: boolean) =>
        pulumi.all([a.caCertPem, a.target.redis.host]).apply(([caCertPem, redisHost]) =>
            JSON.stringify(
                canary
                    ? { ...a.target, ...stores, redis: { ...stores.redis, host: redisHost }, caCertPem, proxyUrl: `https://${a.canary!.host}:${new URL(a.target.proxyUrl).port || 443}`, tlsServerName: new URL(a.target.proxyUrl).hostname }
                    : { ...a.target, ...stores, redis: { ...stores.redis, host: redisHost }, caCertPem },
                null,
                2,
            ),
        );
    const files: ServiceFile[] = [
        { path: RECORD_RUN, content: RECORD_RUN_SCRIPT, mode: "0755" },
        ...Object.entries(smokeScripts()).map(([file, content]) => ({ path: `${DIR}/${file}`, content })),
        { path: `${DIR}/target.json`, content: targetFile(false) },
        { path: STORE_CA_FILE, content: a.caCertPem },
        ...(a.canary ? [{ path: `${DIR}/target-canary.json`, content: targetFile(true) }] : []),
    ];
    const inputs = podInputs({ base: SMOKE_JOB, namespace: a.namespace.ref, labels, opts: a.opts }, {}, a.secrets, files);
    /** `name` from the smoke Secret's key `key` (secretKeyRef, as podInputs declared it). */
    const secretRef = (name: string, key: string): Core.EnvVar => ({ name, valueFrom: inputs.env.find((e) => e.name === key)!.valueFrom });
    const results: Core.VolumeMount = { name: "results", mountPath: RESULTS };
    const tmp: Core.VolumeMount = { name: "tmp", mountPath: "/tmp" };
    const asUser = (runAs: RunAs): Core.SecurityContext => ({ ...containerSecurityContext(runAs, true), runAsUser: runAs.uid, runAsGroup: runAs.gid });

    const clientContainers: Core.Container[] = CLIENT_CHECKS.flatMap((check) =>
        check.runs(placeholder, RUN_ID_REFERENCE).map((run, i) => {
            const client = a.clients[run.tool];
            const env: Core.EnvVar[] = [uid, { name: "HOME", value: "/tmp" }];
            if (run.args.includes(REDIS_HOST_REFERENCE)) env.push({ name: "SMOKE_REDIS_HOST", value: a.target.redis.host });
            for (const [name, value] of Object.entries(run.env)) {
                const names = [name, ...Object.entries(client.envAliases ?? {}).filter(([, of]) => of === name).map(([alias]) => alias)];
                for (const n of names) env.push(secretKeys.has(value) ? secretRef(n, value) : { name: n, value });
            }
            return {
                name: `${check.name}-${i}`,
                image: client.image,
                imagePullPolicy: pullPolicyFor(client.image),
                command: ["sh", RECORD_RUN, `${RESULTS}/${check.name}/${i}`, client.command, ...run.args],
                env,
                resources: containerResources({ cpu: 0.25, memoryMb: 256, cpuReservation: 0.05, memoryReservationMb: 64 }),
                volumeMounts: [results, tmp, ...inputs.volumeMounts.filter((m) => m.mountPath === RECORD_RUN || m.mountPath === STORE_CA_FILE)],
                securityContext: asUser(client.runAs),
            };
        }),
    );

    const template = (job: string, canary: boolean) => {
        const component = { [COMPONENT_LABEL]: job };
        const proxy = canary ? a.canary!.service : a.services.proxy;
        const checked = [proxy, a.services.sqlserver, a.services.timescale, ...(a.redisOutside ? [] : [a.services.redis]), a.services.qdrant];
        suspendedJobTemplate(
            job,
            { name: job, namespace: a.namespace.ref, labels: { ...labels, ...component } },
            {
                backoffLimit: 0,
                // Model loads and SQL Server's embedding call included; a hung check fails the Job instead of holding it.
                activeDeadlineSeconds: 900,
                template: {
                    metadata: { labels: { ...labels, ...component, ...talksToLabels(checked) }, annotations: { [CONTENT_HASH_ANNOTATION]: inputs.contentHash } },
                    spec: {
                        restartPolicy: "Never",
                        automountServiceAccountToken: false,
                        enableServiceLinks: false,
                        securityContext: podSecurityContext(NODE_USER),
                        initContainers: clientContainers,
                        containers: [
                            {
                                name: "checks",
                                image: defaultImages.node,
                                imagePullPolicy: pullPolicyFor(defaultImages.node),
                                command: ["node", `${DIR}/in-cluster.js`],
                                env: [
                                    uid,
                                    { name: "SMOKE_TARGET_FILE", value: `${DIR}/${canary ? "target-canary" : "target"}.json` },
                                    { name: "SMOKE_RESULTS_DIR", value: RESULTS },
                                    secretRef("SMOKE_API_KEY", "apiKey"),
                                    secretRef("SMOKE_QDRANT_API_KEY", "qdrantApiKey"),
                                ],
                                resources: containerResources({ cpu: 0.5, memoryMb: 256, cpuReservation: 0.05, memoryReservationMb: 64 }),
                                volumeMounts: [results, tmp, ...inputs.volumeMounts],
                                securityContext: asUser(NODE_USER),
                            },
                        ],
                        volumes: [
                            { name: "results", emptyDir: { sizeLimit: "16Mi" } },
                            { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
                            ...inputs.volumes,
                        ],
                    },
                },
            },
            a.jobTtlHours,
            a.opts,
        );
        new k8s.networking.v1.NetworkPolicy(
            `${job}-flows`,
            {
                metadata: { name: job, namespace: a.namespace.ref, labels: { ...labels, ...component } },
                spec: workloadFlows({
                    service: job,
                    podLabels: { [SERVICE_LABEL]: SMOKE_JOB, ...component },
                    ports: [],
                    publicPorts: [],
                    targets: checked.map(a.flowTarget),
                    callerNamespaces: [],
                    internetEgress: false,
                    privateEgress: a.redisOutside && [a.redisOutside],
                }),
            },
            a.opts,
        );
    };
    template(SMOKE_JOB, false);
    if (a.canary) template(SMOKE_CANARY_JOB, true);
}
