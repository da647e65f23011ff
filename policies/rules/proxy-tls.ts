import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { sslProtocolDirectives, servesTls } from "./support/nginx";
import { nginxFiles } from "./support/nginx-files";

const schema: PolicyConfigSchema = {
    properties: {
        allowedProtocols: {
            type: "array",
            items: { type: "string" },
            default: ["TLSv1.2", "TLSv1.3"],
            description: "Protocols an nginx `ssl_protocols` directive may list (compared case-insensitively, as nginx does).",
        },
    },
};

export const proxyTlsProtocols: ResourceValidationPolicy = {
    name: "proxy-tls-protocols",
    description:
        "nginx configs (Docker uploads under /etc/nginx including templates/*.template, ConfigMap and Secret keys *.conf/*.template) " +
        "allow only the protocols in allowedProtocols (default TLSv1.2 TLSv1.3): every `ssl_protocols` lists nothing else, and a " +
        "config that serves TLS states `ssl_protocols` (older nginx defaults include TLSv1 and TLSv1.1). An uploaded config that " +
        "does not parse fails.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const { allowedProtocols } = configOf<{ allowedProtocols: string[] }>(schema, args);
        const allowed = new Set(allowedProtocols.map((p) => p.toLowerCase()));
        const where = describeResource(args.type, args.name);
        for (const file of nginxFiles(args.type, args.props)) {
            if (file.unparseable) {
                reportViolation(`${where}: ${file.field} is not valid nginx syntax, so its TLS settings cannot be checked; required: a config \`nginx -t\` accepts`);
                continue;
            }
            const directives = sslProtocolDirectives(file.directives);
            for (const protocols of directives) {
                const disallowed = protocols.filter((p) => !allowed.has(p.toLowerCase()));
                if (disallowed.length > 0) {
                    reportViolation(`${where}: ${file.field} has "ssl_protocols ${protocols.join(" ")}", allowing ${disallowed.join(", ")}; required: only ${allowedProtocols.join(" ")}`);
                }
            }
            if (directives.length === 0 && servesTls(file.directives)) {
                reportViolation(`${where}: ${file.field} serves TLS without ssl_protocols (nginx's default may include TLSv1/TLSv1.1); required: ssl_protocols ${allowedProtocols.join(" ")}`);
            }
        }
    },
};
