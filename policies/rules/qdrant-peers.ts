import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { productionStack, productionStacksProperty } from "./support/production";

const schema: PolicyConfigSchema = {
    properties: {
        minPeersInProduction: {
            type: "integer",
            minimum: 1,
            default: 3,
            description: "Fewest Qdrant peers in a production stack: with three, a majority of the Raft consensus and a replica of every shard survive the loss of one.",
        },
        productionStacks: productionStacksProperty,
    },
};

interface Config {
    minPeersInProduction: number;
    productionStacks: string[];
}

/** The official image and its `-unprivileged` variant, from Docker Hub or a mirror of it. */
const QDRANT_IMAGE = /(^|\/)qdrant\/qdrant[:@]/;

export const qdrantPeers: ResourceValidationPolicy = {
    name: "qdrant-peers",
    description:
        "In productionStacks, a StatefulSet that runs the Qdrant image runs at least minPeersInProduction (default 3) replicas " +
        "with distributed mode on (QDRANT__CLUSTER__ENABLED=true): one Qdrant pod is an outage when its node or zone is lost.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        if (args.type !== "kubernetes:apps/v1:StatefulSet") return;
        const config = configOf<Config>(schema, args);
        const stack = productionStack(args.urn, config.productionStacks);
        if (!stack) return;
        const containers: Record<string, any>[] = args.props.spec?.template?.spec?.containers ?? [];
        const qdrant = containers.find((c) => typeof c?.image === "string" && QDRANT_IMAGE.test(c.image));
        if (!qdrant) return;
        const report = (message: string) => reportViolation(`${describeResource(args.type, args.name)}: ${message}`);
        const replicas = args.props.spec?.replicas ?? 1;
        if (typeof replicas === "number" && replicas < config.minPeersInProduction) {
            report(`runs ${replicas} Qdrant peer(s) in production stack ${stack}; required: at least ${config.minPeersInProduction} (qdrant.peers), spread over zones`);
        }
        const enabled = (qdrant.env ?? []).find((e: Record<string, any>) => e?.name === "QDRANT__CLUSTER__ENABLED")?.value;
        if (enabled !== "true") report(`runs Qdrant without distributed mode in production stack ${stack}; required: QDRANT__CLUSTER__ENABLED=true`);
    },
};
