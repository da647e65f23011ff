import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { unauthenticatedProxyLocations } from "./support/nginx";
import { nginxFiles } from "./support/nginx-files";

const schema: PolicyConfigSchema = {
    properties: {
        publicLocations: {
            type: "array",
            items: { type: "string" },
            default: [],
            description: "Locations (as written after `location`, e.g. \"= /healthz\") that may pass upstream without authentication.",
        },
    },
};

export const proxyAuthRequired: ResourceValidationPolicy = {
    name: "proxy-auth-required",
    description:
        "Every nginx `location` that passes requests upstream (proxy_pass, grpc_pass, ...) checks authentication: " +
        "`auth_request` or `auth_basic` in effect (set in the location, its server or http, not `off`), or an " +
        "`if (...) { return 401; }` (or 403) in the location or its server, e.g. `if ($llm_client = \"\") { return 401; }` " +
        "with a `map $http_authorization $llm_client` at http level. Locations that answer themselves (`return 200`) need none; " +
        "an app route the config declares open (`apiKey: false`) says so with `set $llm_public_route <app>;`.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const { publicLocations } = configOf<{ publicLocations: string[] }>(schema, args);
        const where = describeResource(args.type, args.name);
        for (const file of nginxFiles(args.type, args.props)) {
            if (file.unparseable) {
                reportViolation(`${where}: ${file.field} is not valid nginx syntax, so its access control cannot be checked; required: a config \`nginx -t\` accepts`);
                continue;
            }
            for (const location of unauthenticatedProxyLocations(file.directives)) {
                if (publicLocations.some((p) => location.where.endsWith(`location ${p}`))) continue;
                reportViolation(
                    `${where}: ${file.field} ${location.where} passes to ${location.passesTo} without an authentication check; ` +
                        'required: auth_request, auth_basic, or `if (<no valid key>) { return 401; }` in the location',
                );
            }
        }
    },
};
