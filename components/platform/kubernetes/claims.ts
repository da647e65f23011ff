import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, CONFIG_NAMESPACE, PlatformConfig } from "../../config/load";
import { ServiceVolume } from "../types";

type KubernetesConfig = PlatformConfig["kubernetes"];

/**
 * On every data claim: the config key that sizes it (ServiceVolume.sizedBy). The cluster keeps
 * it with the claim, so the next run can tell, before it declares anything, that a value went
 * down: Kubernetes refuses to shrink a claim (ValidatePersistentVolumeClaimUpdate: "field can
 * not be less than previous value"), and a refused update would stop `pulumi up` halfway.
 */
export const SIZED_BY_ANNOTATION = "llm-platform/sized-by";

/** A claim as the cluster holds it. */
export interface LiveClaim {
    readonly name: string;
    /** The larger of its request and its capacity, in GiB. */
    readonly sizeGi: number;
    /** Its SIZED_BY_ANNOTATION. */
    readonly sizedBy?: string;
}

/** Reads the claims of the platform's namespace; throws, saying why, when it cannot. */
export type ClaimReader = (k: KubernetesConfig) => readonly LiveClaim[];

/** What sizes a claim that holds several volumes' worth (SQL Server's shared backups claim): their sum. */
export function sumSizedBy(volumes: readonly ServiceVolume[]): string | undefined {
    return volumes.length > 0 && volumes.every((v) => v.sizedBy) ? volumes.map((v) => v.sizedBy).join("+") : undefined;
}

const UNITS: Record<string, number> = { "": 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };

/** A storage quantity (`200Gi`, `1Ti`, `500G`, `1073741824`) in GiB, rounded up. */
export function quantityGi(quantity: string): number {
    const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(quantity.trim());
    if (!m) throw new Error(`not a storage quantity: ${quantity}`);
    return Math.ceil((Number(m[1]) * UNITS[m[2] ?? ""]) / 2 ** 30 - 1e-9);
}

/** The claims in `kubectl get pvc -o json` output. */
export function parseClaimList(json: string): LiveClaim[] {
    const list = JSON.parse(json);
    return (list.items ?? []).map((pvc: any) => {
        const sizes = [pvc.spec?.resources?.requests?.storage, pvc.status?.capacity?.storage].filter((q): q is string => typeof q === "string");
        const sizedBy = pvc.metadata?.annotations?.[SIZED_BY_ANNOTATION];
        return { name: pvc.metadata.name, sizeGi: Math.max(0, ...sizes.map(quantityGi)), ...(sizedBy ? { sizedBy } : {}) };
    });
}

/** The value at a config path (`observability.metricsRetentionGb`), when it is a number. */
function numberAt(config: PlatformConfig, key: string): number | undefined {
    const value = key.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), config);
    return typeof value === "number" ? value : undefined;
}

/**
 * Every claim the configuration would shrink, as a problem that names the key, its value and
 * the smallest value allowed. Claims without SIZED_BY_ANNOTATION (fixed sizes, or claims from
 * before it existed) and expressions over keys that no longer exist are left alone.
 */
export function claimSizeProblems(config: PlatformConfig, namespace: string, claims: readonly LiveClaim[]): string[] {
    const problems: string[] = [];
    for (const claim of claims) {
        if (!claim.sizedBy) continue;
        const terms = claim.sizedBy.split("+").map((t) => t.trim());
        const keys = terms.filter((t) => !/^\d+$/.test(t));
        const values = keys.map((k) => numberAt(config, k));
        if (keys.length === 0 || values.some((v) => v === undefined)) continue;
        const fixed = terms.filter((t) => /^\d+$/.test(t)).reduce((sum, t) => sum + Number(t), 0);
        const desired = fixed + (values as number[]).reduce((sum, v) => sum + v, 0);
        if (desired >= claim.sizeGi) continue;
        const [key, ...others] = keys;
        const minimum = claim.sizeGi - (desired - (values[0] as number));
        const sized = terms.length > 1 ? ` (its size is ${claim.sizedBy})` : "";
        problems.push(
            `${CONFIG_NAMESPACE}:${key} = ${values[0]}: must be at least ${minimum}${others.length > 0 ? ` with ${others.join(", ")} as set` : ""}: ` +
                `the claim ${namespace}/${claim.name} already holds ${claim.sizeGi}Gi${sized} and a volume cannot shrink (Kubernetes refuses a smaller request). ` +
                "To start from a smaller volume, back it up, delete the claim (kubectl delete pvc) and let `pulumi up` create it again (docs/prod.md, Day two).",
        );
    }
    return problems;
}

/**
 * Stores whose engine moved off the platform's own StatefulSet while its data claim is still in
 * the cluster: the new engine starts empty beside it (the claim is kept, never deleted), so each
 * is said with the way to carry the data over. A claim deleted after the move ends the notice.
 */
export function engineMoveNotices(config: PlatformConfig, namespace: string, claims: readonly LiveClaim[]): string[] {
    const moved = [
        { claim: "data-timescale-0", key: "timescale.engine", engine: config.timescale.engine, off: "cloudnativepg", how: "docs/backups.md, \"Moving an existing single-pod store into the cluster\"" },
        { claim: "data-redis-0", key: "redis.engine", engine: config.redis.engine, off: "elasticache", how: "docs/aws.md, \"Valkey on ElastiCache\" (a cache starts empty; a queue's keys are lost unless copied)" },
    ];
    return moved
        .filter((m) => m.engine === m.off && claims.some((c) => c.name === m.claim))
        .map(
            (m) =>
                `${CONFIG_NAMESPACE}:${m.key} = "${m.engine}", but the claim ${namespace}/${m.claim} of the StatefulSet it replaces is still there: ` +
                `the new store starts empty and clients move to it with this up. The old data is kept in that claim; carry it over as ${m.how}, then delete the claim (kubectl delete pvc).`,
        );
}

/**
 * The claims of the platform's namespace, read with kubectl where `pulumi up` runs: through the
 * same cluster and credentials as the provider (EKS: a kubeconfig from `aws eks update-kubeconfig`,
 * whose token comes from `aws eks get-token` as the provider's does; else the configured context).
 */
export function readLiveClaims(k: KubernetesConfig, env: NodeJS.ProcessEnv = process.env): LiveClaim[] {
    const run = (command: string, args: string[]) => {
        const r = spawnSync(command, args, { encoding: "utf8", timeout: 30_000, env });
        if (r.error || r.status !== 0) throw new Error(`\`${command} ${args.join(" ")}\` failed: ${(r.error?.message ?? r.stderr ?? "").trim().split("\n")[0]}`);
        return r.stdout;
    };
    const get = ["get", "persistentvolumeclaims", "--namespace", k.namespace, "--output", "json", "--request-timeout", "20s"];
    if (k.eksClusterName !== undefined) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-kubeconfig-"));
        try {
            const kubeconfig = path.join(dir, "config");
            run("aws", ["eks", "update-kubeconfig", "--name", k.eksClusterName, "--region", k.awsRegion as string, "--kubeconfig", kubeconfig]);
            return parseClaimList(run("kubectl", ["--kubeconfig", kubeconfig, ...get]));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }
    const context = [...(k.kubeconfig ? ["--kubeconfig", k.kubeconfig] : []), "--context", k.context as string];
    return parseClaimList(run("kubectl", [...context, ...get]));
}

/**
 * Refuses a configuration that would shrink a live claim, before any resource is declared
 * (config validation against the cluster, as the Docker platform's is against `docker info`).
 * When the claims cannot be read, says so and goes on: the API server still refuses the shrink,
 * only later.
 */
export function checkClaimSizes(config: PlatformConfig, read: ClaimReader = readLiveClaims, warn: (m: string) => void = (m) => pulumi.log.warn(m)): void {
    const k = config.kubernetes;
    if (config.platform !== "kubernetes" || k.renderYamlToDirectory !== undefined) return;
    let claims: readonly LiveClaim[];
    try {
        claims = read(k);
    } catch (e) {
        warn(
            `could not read the claims of namespace ${k.namespace} (${(e as Error).message}): a lower storage size than a claim holds ` +
                "is not refused now, only by the API server when that claim is updated (install kubectl where `pulumi up` runs)",
        );
        return;
    }
    const problems = claimSizeProblems(config, k.namespace, claims);
    if (problems.length > 0) throw new ConfigError(problems);
    for (const notice of engineMoveNotices(config, k.namespace, claims)) warn(notice);
}
