import { createHash } from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { pullPolicyFor } from "../../../policies/shared/image-reference";
import { Env, InitStep, RunAs, ServiceFile } from "../types";
import { fileKey } from "./labels";
import { containerResources } from "./quantities";

import Core = k8s.types.input.core.v1;

export interface ObjectPlace {
    /** metadata.name prefix of every object of this workload, e.g. `sqlserver` or `sqlserver-schema`. */
    readonly base: string;
    readonly namespace: pulumi.Input<string>;
    readonly labels: Record<string, string>;
    readonly opts: pulumi.CustomResourceOptions;
}

/** What a container gets from ConfigMaps and Secrets, and the hash of all of it. */
export interface PodInputs {
    readonly env: Core.EnvVar[];
    readonly volumes: Core.Volume[];
    readonly volumeMounts: Core.VolumeMount[];
    /** Changes whenever a file or a secret value changes: in the pod template, it rolls the pods. */
    readonly contentHash: pulumi.Output<string>;
}

const mode = (f: ServiceFile) => parseInt(f.mode ?? "0644", 8);

/**
 * Env as literals, secret env through a Secret (`secretKeyRef`, never a literal value),
 * files as ConfigMap or Secret keys mounted one by one at their paths (subPath).
 */
export function podInputs(place: ObjectPlace, env: Env | undefined, secretEnv: Env | undefined, files: ServiceFile[] | undefined): PodInputs {
    const metadata = (suffix: string) => ({ name: `${place.base}-${suffix}`, namespace: place.namespace, labels: place.labels });
    const result: { env: Core.EnvVar[]; volumes: Core.Volume[]; volumeMounts: Core.VolumeMount[] } = {
        env: Object.entries(env ?? {}).map(([name, value]) => ({ name, value })),
        volumes: [],
        volumeMounts: [],
    };

    const secretEntries = Object.entries(secretEnv ?? {});
    if (secretEntries.length > 0) {
        const secret = new k8s.core.v1.Secret(
            `${place.base}-env`,
            { metadata: metadata("env"), type: "Opaque", stringData: Object.fromEntries(secretEntries.map(([k, v]) => [k, pulumi.secret(v)])) },
            place.opts,
        );
        for (const [name] of secretEntries) {
            result.env.push({ name, valueFrom: { secretKeyRef: { name: secret.metadata.name, key: name } } });
        }
    }

    const plain = (files ?? []).filter((f) => !f.secret);
    const secretFiles = (files ?? []).filter((f) => f.secret);
    if (plain.length > 0) {
        const map = new k8s.core.v1.ConfigMap(
            `${place.base}-files`,
            { metadata: metadata("files"), data: Object.fromEntries(plain.map((f) => [fileKey(f.path), f.content])) },
            place.opts,
        );
        result.volumes.push({
            name: "files",
            configMap: { name: map.metadata.name, items: plain.map((f) => ({ key: fileKey(f.path), path: fileKey(f.path), mode: mode(f) })) },
        });
    }
    if (secretFiles.length > 0) {
        const secret = new k8s.core.v1.Secret(
            `${place.base}-secret-files`,
            { metadata: metadata("secret-files"), type: "Opaque", stringData: Object.fromEntries(secretFiles.map((f) => [fileKey(f.path), pulumi.secret(f.content)])) },
            place.opts,
        );
        result.volumes.push({
            name: "secret-files",
            secret: { secretName: secret.metadata.name, items: secretFiles.map((f) => ({ key: fileKey(f.path), path: fileKey(f.path), mode: mode(f) })) },
        });
    }
    for (const f of files ?? []) {
        result.volumeMounts.push({ name: f.secret ? "secret-files" : "files", mountPath: f.path, subPath: fileKey(f.path), readOnly: true });
    }

    const hashed = pulumi
        .all([
            Object.entries(env ?? {}).map(([k, v]) => pulumi.output(v).apply((x) => `env ${k}=${x}`)),
            secretEntries.map(([k, v]) => pulumi.output(v).apply((x) => `secret ${k}=${x}`)),
            (files ?? []).map((f) => pulumi.output(f.content).apply((c) => `file ${f.path} ${f.mode ?? ""}\n${c}`)),
        ])
        .apply((parts) => createHash("sha256").update(JSON.stringify(parts)).digest("hex"));
    // A digest of secrets reveals none of them; unsecret keeps the pod template's diff readable.
    return { ...result, contentHash: pulumi.unsecret(hashed) };
}

/**
 * Seccomp on every pod; the image's own user, non-root, when it has one. A non-root server
 * on a port below 1024 (NGINX on 443) gets the namespaced, Pod-Security-safe sysctl that
 * lets it bind there, instead of a capability.
 */
export function podSecurityContext(runAs: RunAs | undefined, ports: readonly number[] = []): Core.PodSecurityContext {
    const lowest = Math.min(...ports);
    return {
        seccompProfile: { type: "RuntimeDefault" },
        ...(runAs && lowest < 1024 ? { sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: String(lowest) }] } : {}),
        ...(runAs
            ? { runAsNonRoot: true, runAsUser: runAs.uid, runAsGroup: runAs.gid, fsGroup: runAs.gid, fsGroupChangePolicy: "OnRootMismatch" }
            : {}),
    };
}

/**
 * No privilege escalation, every capability dropped. A numeric `user` without `runAs` (a node
 * agent that reads root's files) is set explicitly, whatever user the image names.
 */
export function containerSecurityContext(runAs: RunAs | undefined, readOnlyRoot: boolean, user?: string): Core.SecurityContext {
    return {
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: readOnlyRoot,
        capabilities: { drop: ["ALL"] },
        ...(runAs ? { runAsNonRoot: true } : user !== undefined && /^\d+$/.test(user) ? { runAsUser: Number(user) } : {}),
    };
}

/**
 * The container of a one-shot step's pod (the platform's step Jobs, the RDS app database's
 * migration). A failed step's last log lines (a migration engine's reason) become its
 * termination message, which the provider's Job await puts into the error `pulumi up` fails
 * with (pulumi-kubernetes provider/pkg/await/job.go processPodMessages, checker/pod/check.go
 * containerTerminatedError).
 */
export function stepContainer(name: string, step: Pick<InitStep, "image" | "entrypoint" | "command" | "resources" | "runAs">, env: Core.EnvVar[], volumeMounts: Core.VolumeMount[]): Core.Container {
    return {
        name,
        image: step.image,
        imagePullPolicy: pullPolicyFor(step.image),
        command: step.entrypoint,
        args: step.command,
        env,
        resources: containerResources(step.resources),
        volumeMounts,
        securityContext: containerSecurityContext(step.runAs, false),
        terminationMessagePolicy: "FallbackToLogsOnError",
    };
}
