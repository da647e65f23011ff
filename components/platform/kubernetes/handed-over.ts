import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { HandedOverCredentials } from "../types";

/** What the platform puts in a namespace it does not manage: its part-of label only, none of its own namespaces' selectors. */
const HANDED_OVER_LABELS = { "app.kubernetes.io/part-of": "llm-platform", "app.kubernetes.io/managed-by": "pulumi" };

/**
 * An app's credentials in its own namespace (which the platform does not manage: it must exist):
 * `<app>-env` (a Secret of its environment) and `<app>-files` (a ConfigMap, when it has files).
 */
export function handedOverCredentials(c: HandedOverCredentials, opts: pulumi.CustomResourceOptions): void {
    new k8s.core.v1.Secret(
        `${c.namespace}-${c.app}-env`,
        {
            metadata: { name: `${c.app}-env`, namespace: c.namespace, labels: HANDED_OVER_LABELS },
            type: "Opaque",
            stringData: Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, pulumi.secret(v)])),
        },
        opts,
    );
    if (c.files.length > 0) {
        new k8s.core.v1.ConfigMap(
            `${c.namespace}-${c.app}-files`,
            {
                metadata: { name: `${c.app}-files`, namespace: c.namespace, labels: HANDED_OVER_LABELS },
                data: Object.fromEntries(c.files.map((f) => [path.posix.basename(f.path), f.content])),
            },
            opts,
        );
    }
}
