import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { DOCKER_CONTAINER, dockerRoleLabel, dockerServiceOf } from "./support/docker";
import { podTemplateOf } from "./support/kubernetes";
import { asArray, asRecord, isRecord } from "./support/values";

const schema: PolicyConfigSchema = {
    properties: {
        nodeAgentNamespaces: {
            type: "array",
            items: { type: "string" },
            // Prod's and staging's (Pulumi.staging.yaml): `pulumi up --policy-pack policies` runs with these defaults.
            default: ["llm-platform-node-agents", "llm-platform-staging-node-agents"],
            description:
                "Kubernetes namespaces set aside for node agents (log shipper, node-exporter, cAdvisor DaemonSets), labelled " +
                "pod-security.kubernetes.io/enforce: privileged: their pods may use hostPath, hostNetwork, hostPID and hostIPC.",
        },
        nodeAgentServices: {
            type: "array",
            items: { type: "string" },
            default: [],
            description:
                "Docker services (label llm-platform.service) that are node agents: they may bind-mount host paths (read-only) and use " +
                "the host's namespaces. A container labelled llm-platform.role=node-agent counts as one too.",
        },
        dockerSocketPaths: {
            type: "array",
            items: { type: "string" },
            default: ["/var/run/docker.sock", "/run/docker.sock", "/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock"],
            description: "Container-runtime sockets: mounting one owns the host, so only node agents may, and only read-only.",
        },
    },
};

interface Config {
    nodeAgentNamespaces: string[];
    nodeAgentServices: string[];
    dockerSocketPaths: string[];
}

const HOST_NAMESPACES = [
    ["hostNetwork", "networkMode"],
    ["hostPID", "pidMode"],
    ["hostIPC", "ipcMode"],
] as const;

export const noHostAccess: ResourceValidationPolicy = {
    name: "no-host-access",
    description:
        "Containers do not reach into the host: no hostPath volumes and no hostNetwork/hostPID/hostIPC on Kubernetes, no " +
        "host bind mounts and no host network/PID/IPC mode on Docker, and no container-runtime socket (docker.sock). " +
        "Node agents are the exception: Kubernetes pods in nodeAgentNamespaces (default llm-platform-node-agents and llm-platform-staging-node-agents), Docker " +
        "containers labelled llm-platform.role=node-agent or in nodeAgentServices (bind mounts read-only).",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const config = configOf<Config>(schema, args);
        const where = describeResource(args.type, args.name);
        if (args.type === DOCKER_CONTAINER) {
            const service = dockerServiceOf(args.name, args.props);
            const agent = config.nodeAgentServices.includes(service) || dockerRoleLabel(args.props) === "node-agent";
            for (const [, mode] of HOST_NAMESPACES) {
                if (args.props[mode] === "host" && !agent) {
                    reportViolation(`${where}: ${mode} is "host"${mode === "networkMode" ? ", so every port listens on every host interface" : ""}; required: not "host" (or service ${service} in nodeAgentServices)`);
                }
            }
            const binds = [
                ...asArray(args.props.volumes).filter(isRecord).filter((v) => typeof v.hostPath === "string").map((v) => ({ source: v.hostPath as string, readOnly: v.readOnly === true })),
                ...asArray(args.props.mounts).filter(isRecord).filter((m) => m.type === "bind" && typeof m.source === "string").map((m) => ({ source: m.source as string, readOnly: m.readOnly === true })),
            ];
            for (const bind of binds) {
                const socket = config.dockerSocketPaths.includes(bind.source.replace(/\/+$/, ""));
                if (agent && bind.readOnly) continue;
                const what = socket ? `mounts the container-runtime socket ${bind.source}, which owns the host` : `bind-mounts the host path ${bind.source}`;
                const fix = agent ? "required: readOnly true" : `required: a named volume (or service ${service} in nodeAgentServices, mounted read-only)`;
                reportViolation(`${where}: ${what}${bind.readOnly ? " (read-only)" : ""}; ${fix}`);
            }
            return;
        }
        // What a *Patch sets is judged like the rest: a patch that adds hostNetwork adds it.
        const template = podTemplateOf(args.type, args.props, { patches: true });
        if (!template || config.nodeAgentNamespaces.includes(template.namespace)) return;
        const outside = `in namespace ${template.namespace}, which is not a node-agent namespace (${config.nodeAgentNamespaces.join(", ") || "none configured"})`;
        for (const [field] of HOST_NAMESPACES) {
            if (template.spec[field] === true) reportViolation(`${where}: ${field} is true ${outside}; required: ${field} not true`);
        }
        for (const volume of asArray(template.spec.volumes).filter(isRecord)) {
            if (!isRecord(volume.hostPath)) continue;
            const path = String(asRecord(volume.hostPath).path);
            const socket = config.dockerSocketPaths.includes(path.replace(/\/+$/, ""));
            reportViolation(`${where}: volume "${volume.name}" is hostPath ${path}${socket ? " (the container-runtime socket)" : ""} ${outside}; required: a PersistentVolumeClaim, emptyDir, ConfigMap or Secret`);
        }
    },
};
