import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { DOCKER_CONTAINER, dockerServiceOf } from "./support/docker";
import { describeContainer, K8S_SERVICE, kubernetesServiceOf, patchedType, podContainers, podTemplateOf } from "./support/kubernetes";
import { asArray, asRecord, isRecord } from "./support/values";

const schema: PolicyConfigSchema = {
    properties: {
        publicServices: {
            type: "array",
            items: { type: "string" },
            default: ["proxy"],
            description: "Services allowed to listen on every interface / behind a LoadBalancer or NodePort.",
        },
        databasePorts: {
            type: "array",
            items: { type: "number" },
            // SQL Server, PostgreSQL/Timescale, MySQL, Redis, Qdrant HTTP/gRPC, Elasticsearch HTTP/transport, MongoDB.
            default: [1433, 5432, 3306, 6379, 6333, 6334, 9200, 9300, 27017],
            description: "Container ports never exposed on every interface, whatever the service.",
        },
    },
};

interface Config {
    publicServices: string[];
    databasePorts: number[];
}

const ALL_INTERFACES = new Set(["", "0.0.0.0", "::", "[::]"]);

export const databasePortsNotPublic: ResourceValidationPolicy = {
    name: "database-ports-not-public",
    description:
        "Only public services (the proxy) listen on every interface. Other services publish Docker ports on 127.0.0.1 " +
        "only and use ClusterIP Services on Kubernetes; database ports are never exposed through a LoadBalancer, NodePort " +
        "or hostPort.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const config = configOf<Config>(schema, args);
        const isExposed = (service: string, port: unknown) => !config.publicServices.includes(service) || config.databasePorts.includes(Number(port));
        const why = (service: string, port: unknown) =>
            config.databasePorts.includes(Number(port)) ? `${port} is a database port` : `service ${service} is not in publicServices (${config.publicServices.join(", ")})`;

        if (args.type === DOCKER_CONTAINER) {
            const service = dockerServiceOf(args.name, args.props);
            if (args.props.publishAllPorts === true && !config.publicServices.includes(service)) {
                reportViolation(`${describeResource(args.type, args.name)}: publishAllPorts is true, so every exposed port of the image is published on every interface; required: publishAllPorts not true, ports listed with ip "127.0.0.1"`);
            }
            for (const port of asArray(args.props.ports).filter(isRecord)) {
                // Without `external` Docker still publishes, on a random host port.
                if (!ALL_INTERFACES.has(String(port.ip ?? ""))) continue;
                if (!isExposed(service, port.internal)) continue;
                reportViolation(
                    `${describeResource(args.type, args.name)}: port ${port.internal} is published as ${port.external ?? "a random host port"} on ` +
                        `${port.ip ? port.ip : "every interface (no ip)"}, and ${why(service, port.internal)}; required: ip "127.0.0.1"`,
                );
            }
            return;
        }

        if (patchedType(args.type) === K8S_SERVICE) {
            const spec = asRecord(args.props.spec);
            const type = spec.type ?? "ClusterIP";
            if (type !== "LoadBalancer" && type !== "NodePort") return;
            const labels = { ...asRecord(spec.selector), ...asRecord(asRecord(args.props.metadata).labels) };
            const service = kubernetesServiceOf(args.name, labels);
            for (const port of asArray(spec.ports).filter(isRecord)) {
                const target = port.targetPort ?? port.port;
                const exposed = [port.port, target].find((p) => isExposed(service, p));
                if (exposed === undefined) continue;
                reportViolation(`${describeResource(args.type, args.name)}: ${type} exposes port ${port.port}, and ${why(service, exposed)}; required: type ClusterIP`);
            }
            return;
        }

        const template = podTemplateOf(args.type, args.props, { patches: true });
        if (!template) return;
        const service = kubernetesServiceOf(args.name, template.labels);
        for (const c of podContainers(template.spec)) {
            for (const port of asArray(c.container.ports).filter(isRecord)) {
                if (port.hostPort === undefined || !ALL_INTERFACES.has(String(port.hostIP ?? ""))) continue;
                if (!isExposed(service, port.containerPort)) continue;
                reportViolation(
                    `${describeResource(args.type, args.name)} ${describeContainer(c)}: containerPort ${port.containerPort} is bound to ` +
                        `hostPort ${port.hostPort} on every node interface, and ${why(service, port.containerPort)}; required: no hostPort (use a ClusterIP Service)`,
                );
            }
        }
    },
};
