import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { DOCKER_CONTAINER } from "./support/docker";
import { describeContainer, podContainers, podTemplateOf } from "./support/kubernetes";
import { asArray, asRecord } from "./support/values";

const schema: PolicyConfigSchema = {
    properties: {
        allowedCapabilities: {
            type: "array",
            items: { type: "string" },
            default: ["NET_BIND_SERVICE"],
            description: "Linux capabilities a container may add (without the CAP_ prefix).",
        },
    },
};

const capability = (c: unknown) => String(c).toUpperCase().replace(/^CAP_/, "");

export const containerSandbox: ResourceValidationPolicy = {
    name: "container-sandbox",
    description:
        "Containers keep the runtime's sandbox: they add no Linux capability beyond allowedCapabilities (default " +
        "NET_BIND_SERVICE; SYS_ADMIN, NET_ADMIN, SYS_PTRACE and ALL give the host away), and they do not turn seccomp or " +
        "AppArmor off (Docker securityOpts seccomp=unconfined / apparmor=unconfined, Kubernetes seccompProfile or " +
        "appArmorProfile type Unconfined on the pod or the container).",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const { allowedCapabilities } = configOf<{ allowedCapabilities: string[] }>(schema, args);
        const allowed = new Set(allowedCapabilities.map(capability));
        const where = describeResource(args.type, args.name);
        const checkAdds = (adds: unknown, at: string) => {
            const extra = asArray(adds).map(capability).filter((c) => !allowed.has(c));
            if (extra.length > 0) reportViolation(`${at}: adds capabilities ${extra.join(", ")}; required: none beyond ${[...allowed].join(", ") || "none"}`);
        };
        if (args.type === DOCKER_CONTAINER) {
            checkAdds(asRecord(args.props.capabilities).adds, where);
            for (const opt of asArray(args.props.securityOpts).map(String)) {
                if (/^(seccomp|apparmor)[=:]unconfined$/i.test(opt.trim())) {
                    reportViolation(`${where}: securityOpts "${opt}" turns the ${opt.split(/[=:]/)[0]} profile off; required: the runtime's default profile`);
                }
            }
            return;
        }
        const template = podTemplateOf(args.type, args.props);
        if (!template) return;
        const checkProfiles = (context: Record<string, any>, at: string, field: string) => {
            for (const profile of ["seccompProfile", "appArmorProfile"]) {
                if (asRecord(context[profile]).type === "Unconfined") {
                    reportViolation(`${at}: ${field}.${profile}.type is Unconfined; required: RuntimeDefault or Localhost`);
                }
            }
        };
        checkProfiles(asRecord(template.spec.securityContext), where, "spec.securityContext");
        for (const c of podContainers(template.spec)) {
            const at = `${where} ${describeContainer(c)}`;
            const context = asRecord(c.container.securityContext);
            checkAdds(asRecord(context.capabilities).add, at);
            checkProfiles(context, at, "securityContext");
        }
    },
};
