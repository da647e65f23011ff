import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { containerViews } from "./support/containers";

const schema: PolicyConfigSchema = {
    properties: {
        exemptInitContainers: {
            type: "array",
            items: { type: "string" },
            default: [],
            description:
                "Kubernetes init containers allowed to run privileged, as \"<service>/<container>\" (e.g. \"elasticsearch/sysctl\", " +
                "which sets vm.max_map_count on the node).",
        },
    },
};

export const noPrivilegedContainers: ResourceValidationPolicy = {
    name: "no-privileged-containers",
    description:
        "No container runs privileged (Docker `privileged`, Kubernetes `securityContext.privileged`): it would own the host. " +
        "Grant specific capabilities instead; a one-shot Kubernetes init container can be exempted by name.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const { exemptInitContainers } = configOf<{ exemptInitContainers: string[] }>(schema, args);
        for (const view of containerViews(args.type, args.name, args.props)) {
            if (!view.privileged) continue;
            if (view.role === "init" && exemptInitContainers.includes(`${view.service}/${view.containerName}`)) continue;
            reportViolation(`${view.where}: runs privileged; required: privileged not true (use capabilities, or exempt an init container in exemptInitContainers)`);
        }
    },
};
