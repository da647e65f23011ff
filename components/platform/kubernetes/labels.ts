/** The label that names a workload's service (the policy pack reads it too). */
export const SERVICE_LABEL = "app.kubernetes.io/name";
export const COMPONENT_LABEL = "app.kubernetes.io/component";

/** The pod template's annotation whose change rolls the pods: a hash of every file and secret they get. */
export const CONTENT_HASH_ANNOTATION = "llm-platform/content-sha256";

/**
 * Pod Security Standards: the platform's namespace enforces restricted (every pod runs as a
 * non-root user with no privilege); the node agents' namespace is privileged (host paths).
 * Both warn and audit at restricted.
 */
export function podSecurityLabels(enforce: "restricted" | "privileged"): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "latest",
    };
}

/**
 * On an object a destroy retains and the next `up` adopts (server-side apply): take over the
 * fields the program sets even where another field manager holds them (the previous stack's, or
 * the StatefulSet controller's on a claim it created) instead of failing with a conflict
 * (pulumi-kubernetes provider/pkg/await/await.go patchForce: the `pulumi.com/patchForce` annotation).
 */
export const ADOPT_ANNOTATIONS: Readonly<Record<string, string>> = { "pulumi.com/patchForce": "true" };

/** The namespace label the AWS Load Balancer Controller's webhook looks for to add target-health readiness gates to new pods. */
export const READINESS_GATE_INJECT = "elbv2.k8s.aws/pod-readiness-gate-inject";

/** A ConfigMap/Secret key for a file path: `/etc/nginx/nginx.conf` -> `etc-nginx-nginx.conf`. */
export function fileKey(path: string): string {
    return path.replace(/^\/+/, "").replace(/[^-._a-zA-Z0-9]+/g, "-");
}
