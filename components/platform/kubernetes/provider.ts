import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../../config/load";

type KubernetesConfig = PlatformConfig["kubernetes"];

/**
 * A kubeconfig for an EKS cluster: endpoint and CA from the cluster, a token from
 * `aws eks get-token` at every call (the AWS CLI and credentials of whoever runs `pulumi up`).
 */
export function eksKubeconfig(clusterName: string, region: string, endpoint: string, caData: string): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": caData } }],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
        users: [
            {
                name: clusterName,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "aws",
                        args: ["eks", "get-token", "--cluster-name", clusterName, "--region", region, "--output", "json"],
                    },
                },
            },
        ],
    });
}

/**
 * The explicit provider every Kubernetes object uses; never the ambient default context.
 * ConfigMaps and Secrets update in place (their names are fixed and workloads roll on
 * a content hash instead).
 *
 * Objects a `pulumi destroy` leaves on purpose (the namespaces, the data claims: retainOnDelete)
 * are adopted by the next `pulumi up`: with upsertExistingObjects a create is a server-side apply
 * of the object (pulumi-kubernetes provider/pkg/await/await.go Creation: `ServerSideApply &&
 * UpsertExistingObjects` patches; otherwise a plain Create that fails with AlreadyExists; SSA is
 * on by default, provider.go Configure). Turning it on updates the provider in place: DiffConfig
 * (provider.go) replaces it, and with it every object, only when the cluster, the context, the
 * kubeconfig's active cluster or renderYamlToDirectory change.
 */
export function kubernetesProvider(name: string, k: KubernetesConfig, parent: pulumi.Resource): k8s.Provider {
    const common = {
        namespace: k.namespace,
        enableConfigMapMutable: true,
        enableSecretMutable: true,
        upsertExistingObjects: true,
        renderYamlToDirectory: k.renderYamlToDirectory,
    };
    if (k.renderYamlToDirectory !== undefined) {
        return new k8s.Provider(name, common, { parent });
    }
    if (k.eksClusterName !== undefined) {
        const clusterName = k.eksClusterName;
        const region = k.awsRegion as string;
        const awsProvider = new aws.Provider(`${name}-aws`, { region: region as aws.Region }, { parent });
        const cluster = aws.eks.getClusterOutput({ name: clusterName }, { provider: awsProvider, parent });
        const kubeconfig = pulumi
            .all([cluster.endpoint, cluster.certificateAuthorities])
            .apply(([endpoint, cas]) => eksKubeconfig(clusterName, region, endpoint, cas[0].data));
        return new k8s.Provider(name, { ...common, kubeconfig }, { parent });
    }
    return new k8s.Provider(name, { ...common, kubeconfig: k.kubeconfig, context: k.context }, { parent });
}
