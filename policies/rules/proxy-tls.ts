import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { DOCKER_CONTAINER, dockerUploads } from "./support/docker";
import { K8S_CONFIG_MAP } from "./support/kubernetes";
import { dataOf } from "./support/mounted-files";
import { servesTls, sslProtocolDirectives } from "./support/nginx";

const schema: PolicyConfigSchema = {
    properties: {
        allowedProtocols: {
            type: "array",
            items: { type: "string" },
            default: ["TLSv1.2", "TLSv1.3"],
            description: "Protocols an nginx `ssl_protocols` directive may list.",
        },
    },
};

interface NginxFile {
    readonly field: string;
    readonly content: string;
}

/** nginx configs carried by a resource: uploads under /etc/nginx/, ConfigMap keys nginx.conf or *.conf with TLS directives. */
function nginxFiles(type: string, props: Record<string, any>): NginxFile[] {
    if (type === DOCKER_CONTAINER) {
        return dockerUploads(props)
            .filter((f) => /^\/etc\/nginx\/.*\.conf$/.test(f.path))
            .map((f) => ({ field: `upload ${f.path}`, content: f.content }));
    }
    if (type === K8S_CONFIG_MAP) {
        return Object.entries(dataOf(type, props))
            .filter(([key, content]) => key === "nginx.conf" || (key.endsWith(".conf") && (servesTls(content) || sslProtocolDirectives(content).length > 0)))
            .map(([key, content]) => ({ field: `data["${key}"]`, content }));
    }
    return [];
}

export const proxyTlsProtocols: ResourceValidationPolicy = {
    name: "proxy-tls-protocols",
    description:
        "The proxy's generated nginx config allows TLSv1.2 and TLSv1.3 only: every `ssl_protocols` lists nothing else, " +
        "and a config that serves TLS states `ssl_protocols` (older nginx defaults include TLSv1 and TLSv1.1).",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const { allowedProtocols } = configOf<{ allowedProtocols: string[] }>(schema, args);
        const where = describeResource(args.type, args.name);
        for (const file of nginxFiles(args.type, args.props)) {
            const directives = sslProtocolDirectives(file.content);
            for (const protocols of directives) {
                const disallowed = protocols.filter((p) => !allowedProtocols.includes(p));
                if (disallowed.length > 0) {
                    reportViolation(`${where}: ${file.field} has "ssl_protocols ${protocols.join(" ")}", allowing ${disallowed.join(", ")}; required: only ${allowedProtocols.join(" ")}`);
                }
            }
            if (directives.length === 0 && servesTls(file.content)) {
                reportViolation(`${where}: ${file.field} serves TLS without ssl_protocols (nginx's default may include TLSv1/TLSv1.1); required: ssl_protocols ${allowedProtocols.join(" ")}`);
            }
        }
    },
};
