import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { DOCKER_CONTAINER } from "./support/docker";
import { describeContainer, podContainers, podTemplateOf } from "./support/kubernetes";
import { asArray, asRecord, isRecord } from "./support/values";

const schema: PolicyConfigSchema = {
    properties: {
        allowedCapabilities: {
            type: "array",
            items: { type: "string" },
            default: ["NET_BIND_SERVICE"],
            description: "Linux capabilities a container may add (without the CAP_ prefix).",
        },
        requireDropAll: {
            type: "boolean",
            default: true,
            description: 'Every Kubernetes container sets securityContext.capabilities.drop ["ALL"] (Pod Security "restricted").',
        },
        allowedSeccompProfiles: {
            type: "array",
            items: { type: "string" },
            default: ["RuntimeDefault", "Localhost"],
            description: "Seccomp profile types a Kubernetes container may run with (its own, else its pod's); unset means Unconfined.",
        },
    },
};

interface Config {
    allowedCapabilities: string[];
    requireDropAll: boolean;
    allowedSeccompProfiles: string[];
}

const capability = (c: unknown) => String(c).toUpperCase().replace(/^CAP_/, "");

/** The legacy per-container AppArmor annotation (before Kubernetes 1.30's appArmorProfile field). */
const APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";

export const containerSandbox: ResourceValidationPolicy = {
    name: "container-sandbox",
    description:
        "Containers keep the runtime's sandbox: they add no Linux capability beyond allowedCapabilities (default " +
        "NET_BIND_SERVICE; SYS_ADMIN, NET_ADMIN, SYS_PTRACE and ALL give the host away) and do not turn seccomp or AppArmor " +
        "off (Docker securityOpts seccomp=unconfined / apparmor=unconfined). On Kubernetes, as Pod Security \"restricted\" " +
        "requires, every container and init container drops ALL capabilities and runs under a seccomp profile of type " +
        "RuntimeDefault or Localhost, judged on its effective value: the container's securityContext, else the pod's. " +
        "*Patch resources are judged on what they set.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const config = configOf<Config>(schema, args);
        const allowed = new Set(config.allowedCapabilities.map(capability));
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
        const template = podTemplateOf(args.type, args.props, { patches: true });
        if (!template) return;
        const pod = asRecord(template.spec.securityContext);
        for (const c of podContainers(template.spec)) {
            const at = `${where} ${describeContainer(c)}`;
            const context = asRecord(c.container.securityContext);
            const capabilities = asRecord(context.capabilities);
            checkAdds(capabilities.add, at);
            // Pod Security admission compares the exact string "ALL" (check_capabilities_restricted.go).
            const setsDrop = Array.isArray(capabilities.drop);
            if (config.requireDropAll && (setsDrop || !template.patch) && !asArray(capabilities.drop).includes("ALL")) {
                const found = setsDrop ? `is ${JSON.stringify(capabilities.drop)}` : "is not set";
                reportViolation(`${at}: securityContext.capabilities.drop ${found}; required: ["ALL"] (add back only ${[...allowed].join(", ") || "nothing"})`);
            }
            checkSeccomp(context, pod, template.patch, config, at, reportViolation);
            const appArmor = effectiveProfile(context, pod, "appArmorProfile");
            const annotation = template.annotations[`${APPARMOR_ANNOTATION}${c.name}`];
            if (appArmor.type === "Unconfined" || annotation === "unconfined") {
                const field = appArmor.type === "Unconfined" ? `${appArmor.from}.appArmorProfile.type is Unconfined` : `annotation ${APPARMOR_ANNOTATION}${c.name} is unconfined`;
                reportViolation(`${at}: ${field}; required: RuntimeDefault or Localhost`);
            }
        }
    },
};

/** A profile (seccomp, AppArmor) as the container gets it: its own, else its pod's. */
function effectiveProfile(container: Record<string, any>, pod: Record<string, any>, field: string): { type?: string; from: string; profile: Record<string, any> } {
    if (isRecord(container[field])) return { type: container[field].type, from: "securityContext", profile: container[field] };
    if (isRecord(pod[field])) return { type: pod[field].type, from: "the pod's securityContext", profile: pod[field] };
    return { from: "neither the container's nor the pod's securityContext", profile: {} };
}

function checkSeccomp(container: Record<string, any>, pod: Record<string, any>, patch: boolean, config: Config, at: string, report: (m: string) => void) {
    const seccomp = effectiveProfile(container, pod, "seccompProfile");
    // A patch that sets no profile keeps the live one.
    if (seccomp.type === undefined && patch) return;
    const required = `required: a seccompProfile of type ${config.allowedSeccompProfiles.join(" or ")} on the container or its pod`;
    if (seccomp.type === undefined) {
        report(`${at}: no seccompProfile is set (${seccomp.from}), so the container runs Unconfined; ${required}`);
    } else if (!config.allowedSeccompProfiles.includes(seccomp.type)) {
        report(`${at}: ${seccomp.from}.seccompProfile.type is ${seccomp.type}; ${required}`);
    } else if (seccomp.type === "Localhost" && typeof seccomp.profile.localhostProfile !== "string") {
        report(`${at}: ${seccomp.from}.seccompProfile is Localhost without localhostProfile (Kubernetes refuses it); required: the profile's path on the node`);
    }
}
