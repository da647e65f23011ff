import { CONFIG_NAMESPACE } from "../components/config/load";

type ConfigValues = Record<string, unknown>;

const K8S = `${CONFIG_NAMESPACE}:kubernetes`;
const TLS = `${CONFIG_NAMESPACE}:tls`;
const AWS = `${CONFIG_NAMESPACE}:aws`;
const asObject = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/**
 * A stack file may leave what only its owner knows (the cluster, the domain) unset, and
 * `pulumi up` then stops naming the key. Offline runs (tests, `npm run policy:check`)
 * stand in example values for exactly those keys, and say which ones they filled (a domain
 * name of the stack's own: prod's llm.example.com, staging's llm-staging.example.com).
 */
export function withExampleUserValues(values: ConfigValues, stack = "prod"): { values: ConfigValues; filled: string[] } {
    if (values[`${CONFIG_NAMESPACE}:platform`] !== "kubernetes") return { values, filled: [] };
    const filled: string[] = [];
    const k = asObject(values[K8S]);
    const tls = asObject(values[TLS]);
    const result: ConfigValues = { ...values };
    if (k.eksClusterName === undefined && k.context === undefined && k.renderYamlToDirectory === undefined) {
        result[K8S] = { ...k, eksClusterName: "example-cluster", awsRegion: k.awsRegion ?? "eu-west-1" };
        filled.push("kubernetes.eksClusterName = example-cluster", ...(k.awsRegion === undefined ? ["kubernetes.awsRegion = eu-west-1"] : []));
    }
    if (!Array.isArray(tls.hostnames) || tls.hostnames.length === 0) {
        // Each stack its own name: two stacks' DNS records in one zone must not collide.
        const hostname = stack === "prod" ? "llm.example.com" : `llm-${stack}.example.com`;
        result[TLS] = { ...tls, hostnames: [hostname] };
        filled.push(`tls.hostnames = [${hostname}]`);
    }
    const a = asObject(values[AWS]);
    const lb = asObject(a.loadBalancer);
    if (values[AWS] !== undefined && lb.route53ZoneId === undefined && lb.certificateArn === undefined) {
        result[AWS] = { ...a, loadBalancer: { ...lb, route53ZoneId: "Z0EXAMPLE1234567890AB" } };
        filled.push("aws.loadBalancer.route53ZoneId = Z0EXAMPLE1234567890AB");
    }
    return { values: result, filled };
}
