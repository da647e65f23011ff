import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { describeContainer, podContainers, podTemplateOf } from "./support/kubernetes";
import { asRecord } from "./support/values";

const schema: PolicyConfigSchema = {
    properties: {
        skipPrivileged: {
            type: "boolean",
            default: true,
            description:
                "Leave privileged containers to no-privileged-containers (Kubernetes refuses allowPrivilegeEscalation false on a privileged container).",
        },
    },
};

export const noPrivilegeEscalation: ResourceValidationPolicy = {
    name: "kubernetes-no-privilege-escalation",
    description:
        "Every container and init container of a Kubernetes workload sets securityContext.allowPrivilegeEscalation: false " +
        "(the default is true: a setuid binary could gain root). Pod Security \"restricted\" requires it too. A *Patch " +
        "that sets it true fails.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const template = podTemplateOf(args.type, args.props, { patches: true });
        if (!template) return;
        const { skipPrivileged } = configOf<{ skipPrivileged: boolean }>(schema, args);
        for (const c of podContainers(template.spec)) {
            const context = asRecord(c.container.securityContext);
            if (skipPrivileged && context.privileged === true) continue;
            // A patch that leaves the field out keeps the live value.
            if (template.patch && context.allowPrivilegeEscalation === undefined) continue;
            if (context.allowPrivilegeEscalation !== false) {
                reportViolation(
                    `${describeResource(args.type, args.name)} ${describeContainer(c)}: securityContext.allowPrivilegeEscalation is ` +
                        `${context.allowPrivilegeEscalation ?? "not set (true)"}; required: false`,
                );
            }
        }
    },
};
