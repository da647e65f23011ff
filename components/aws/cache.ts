import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { clusterOnlySecurityGroup } from "./cluster-only-security-group";
import { keptNames } from "./names";
import { adopted, Adoption, retained } from "./retained";
import { AwsSettings } from "./settings";
import { Network } from "./network";

export const VALKEY_PORT = 6379;

/** ElastiCache's limit on a replication group id (replication_group.go validateReplicationGroupID). */
const MAX_REPLICATION_GROUP_ID = 40;

/** `8.1` -> `valkey8`, the parameter-group family. */
export const cacheParameterGroupFamily = (engineVersion: string) => `valkey${engineVersion.split(".")[0]}`;

/** The replication group's id, and its subnet, security and parameter groups' names. */
export const cacheId = (prefix: string) => keptNames(prefix).cache;

export interface ManagedCacheArgs {
    readonly namePrefix: string;
    readonly config: AwsSettings["cache"];
    readonly network: Network;
    /** Encrypts the nodes' storage and the snapshots. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** The generated password: the AUTH token every client sends. */
    readonly authToken: pulumi.Input<string>;
    /** `redis.evictionPolicy`: maxmemory-policy of the parameter group. */
    readonly evictionPolicy: string;
    /** What `aws.adopt` imports: the group and what it keeps with it, after a destroy that lost the state. */
    readonly adoption: Adoption;
}

/**
 * ElastiCache for Valkey: one primary and `aws.cache.nodes - 1` replicas across the private
 * subnets' zones, Multi-AZ with automatic failover, TLS required, storage and snapshots
 * encrypted with the stack's key, an AUTH token, daily snapshots, and a security group that
 * admits the EKS cluster's security group on 6379 only. Clients use the primary endpoint,
 * which follows a failover.
 *
 * Every field is sent in the form terraform-provider-aws stores after its Read (@01606926,
 * internal/service/elasticache/replication_group.go resourceReplicationGroupRead and
 * cluster.go setFromCacheCluster); tests/aws-read-back.test.ts holds them.
 */
export class ManagedCache extends pulumi.ComponentResource {
    readonly primaryEndpoint: pulumi.Output<string>;
    readonly readerEndpoint: pulumi.Output<string>;
    readonly port = VALKEY_PORT;
    /** Where the nodes are (the private subnets): what a client in the cluster may reach on 6379. */
    readonly nodeCidrs: readonly string[];

    constructor(name: string, args: ManagedCacheArgs, opts: pulumi.ComponentResourceOptions & { provider: aws.Provider }) {
        super("llm-platform:aws:ManagedCache", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const c = args.config;
        const id = cacheId(args.namePrefix);
        if (id.length > MAX_REPLICATION_GROUP_ID) {
            throw new Error(`the ElastiCache replication group id ${id} is longer than ElastiCache's ${MAX_REPLICATION_GROUP_ID} characters: use a shorter stack name, or redis.engine statefulset`);
        }

        const a = args.adoption;
        // The groups the replication group uses are kept with it (retained.ts): ElastiCache refuses to delete a group in use.
        const securityGroup = clusterOnlySecurityGroup(name, { id, what: "Valkey", port: VALKEY_PORT, network: args.network, adoption: a }, child);
        // Name and subnets as given: subnet_group.go Read stores the name lower-cased (ours is) and the ids as a set.
        const subnetGroup = new aws.elasticache.SubnetGroup(
            `${name}-subnets`,
            { name: id, description: `${id}: private subnets`, subnetIds: [...args.network.privateSubnetIds] },
            retained(child, a, id),
        );
        // One group per family (name and family are ForceNew): a new major creates its own beside the old one.
        const family = cacheParameterGroupFamily(c.engineVersion);
        const parameters = new aws.elasticache.ParameterGroup(
            `${name}-parameters-${family}`,
            {
                name: `${id}-${family}`,
                family,
                description: `${id}: eviction policy`,
                parameters: [{ name: "maxmemory-policy", value: args.evictionPolicy }],
            },
            retained(child, a, `${id}-${family}`),
        );

        const group = new aws.elasticache.ReplicationGroup(
            name,
            {
                replicationGroupId: id,
                description: `llm-platform Valkey (${args.namePrefix})`,
                // Lower case: the Read stores ElastiCache's own spelling (setFromCacheCluster: d.Set(engine, c.Engine)).
                engine: "valkey",
                // major.minor: the Read stores Valkey's version as major.minor whatever patch runs (setEngineVersionValkey),
                // so ElastiCache's patch upgrades are no diff.
                engineVersion: c.engineVersion,
                autoMinorVersionUpgrade: true,
                nodeType: c.nodeType,
                // Cluster mode off: one shard, so clients need no cluster support; num_cache_clusters is read as len(MemberClusters).
                numCacheClusters: c.nodes,
                multiAzEnabled: true,
                automaticFailoverEnabled: true,
                port: VALKEY_PORT,
                subnetGroupName: subnetGroup.name,
                securityGroupIds: [securityGroup.id],
                parameterGroupName: parameters.name,
                atRestEncryptionEnabled: true,
                // The key's ARN: the Read stores rgp.KmsKeyId, an ARN; an alias or key id would differ, and kms_key_id is ForceNew.
                kmsKeyId: args.kmsKeyArn,
                transitEncryptionEnabled: true,
                // "required" refuses plain connections (the Read stores the cache cluster's TransitEncryptionMode as is).
                transitEncryptionMode: "required",
                // Write-only at AWS: the Read keeps the configured token unless AuthTokenEnabled is false.
                authToken: args.authToken,
                // A new token (`npm run rotate`) is added beside the old one; clients move over, the old stops with the next SET.
                authTokenUpdateStrategy: "ROTATE",
                snapshotRetentionLimit: c.snapshotRetentionDays,
                snapshotWindow: c.snapshotWindow,
                maintenanceWindow: c.maintenanceWindow,
                finalSnapshotIdentifier: `${id}-final`,
                // Multi-AZ with failover: an engine or node change goes replica by replica, then fails over.
                applyImmediately: true,
            },
            // A destroy must be deliberate (`pulumi state unprotect`); it then takes the final snapshot.
            { ...child, protect: true, ...adopted(a, id), dependsOn: [subnetGroup, parameters, securityGroup] },
        );
        this.nodeCidrs = args.network.privateSubnetCidrs;
        this.primaryEndpoint = group.primaryEndpointAddress;
        this.readerEndpoint = group.readerEndpointAddress;
        this.registerOutputs({ primaryEndpoint: this.primaryEndpoint, readerEndpoint: this.readerEndpoint });
    }
}
