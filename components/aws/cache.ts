import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import type { RedisUser } from "../redis/redis";
import { appAclRules } from "../redis/redis-conf";
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

/** ElastiCache's user and user group id form (CreateUser, CreateUserGroup: `[a-zA-Z][a-zA-Z0-9\\-]*`, no `--`, no trailing `-`). */
const USER_ID = /^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-))*[a-zA-Z0-9]$/;

/** The engine's own rendering (`ACL LIST`) of each principal's rules: what ElastiCache stores back (tests/elasticache-users.test.ts). */
export const CACHE_ACCESS = {
    /** The platform's own clients: every key and channel, every command. */
    platform: "on ~* &* +@all",
    /** ElastiCache's `default` user, which every connection without a user name is: no access. */
    disabled: "off resetchannels -@all",
    /** While `aws.cache.acceptAuthToken`: the old token as `default`, with the access it had. */
    authToken: "on ~* &* +@all",
    app: (keyPrefix: string) => `on ${appAclRules(keyPrefix)}`,
} as const;

/**
 * The password of `default` while it is off: nobody logs in as a user that is off, but a Valkey
 * group holds only users with a password (or IAM). Derived from the platform's, so the stack has no
 * secret of its own for it; it changes with it, in place.
 */
function offPassword(platformPassword: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.secret(pulumi.output(platformPassword).apply((p) => createHash("sha256").update(`default is off:${p}`).digest("hex")));
}

export interface ManagedCacheArgs {
    readonly namePrefix: string;
    readonly config: AwsSettings["cache"];
    readonly network: Network;
    /** Encrypts the nodes' storage and the snapshots. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** The platform's own clients' user (exporter, smoke checks, `connectionStrings.redis`): every key. */
    readonly platformUser: RedisUser;
    /** The apps' users (`apps[].databases.redis`), each limited to its key prefix as on the platform's own Valkey. */
    readonly appUsers: readonly (RedisUser & { readonly keyPrefix: string })[];
    /** `redis.evictionPolicy`: maxmemory-policy of the parameter group. */
    readonly evictionPolicy: string;
    /** What `aws.adopt` imports: the group and what it keeps with it, after a destroy that lost the state. */
    readonly adoption: Adoption;
}

/**
 * ElastiCache for Valkey: one primary and `aws.cache.nodes - 1` replicas across the private
 * subnets' zones, Multi-AZ with automatic failover, TLS required, storage and snapshots
 * encrypted with the stack's key, RBAC users (the platform's clients, each app limited to its key
 * prefix, `default` off), daily snapshots, and a security group that admits the EKS cluster's
 * security group on 6379 only. Clients use the primary endpoint, which follows a failover.
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

        const userGroup = this.userGroup(name, id, args, child);

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
                // RBAC: every client logs in as a user of the group (no AUTH token; auth_token ConflictsWith user_group_ids).
                // A group created with a token moves in place: the Update sends UserGroupIdsToAdd with
                // AuthTokenUpdateStrategy DELETE in one ModifyReplicationGroup (replication_group.go resourceReplicationGroupUpdate,
                // "Transitioning to RBAC"); on a create the strategy is not sent, and the Read never stores it: no diff.
                userGroupIds: [userGroup.userGroupId],
                authTokenUpdateStrategy: "DELETE",
                snapshotRetentionLimit: c.snapshotRetentionDays,
                snapshotWindow: c.snapshotWindow,
                maintenanceWindow: c.maintenanceWindow,
                finalSnapshotIdentifier: `${id}-final`,
                // Multi-AZ with failover: an engine or node change goes replica by replica, then fails over.
                applyImmediately: true,
            },
            // A destroy must be deliberate (`pulumi state unprotect`); it then takes the final snapshot.
            { ...child, protect: true, ...adopted(a, id), dependsOn: [subnetGroup, parameters, securityGroup, userGroup] },
        );
        this.nodeCidrs = args.network.privateSubnetCidrs;
        this.primaryEndpoint = group.primaryEndpointAddress;
        this.readerEndpoint = group.readerEndpointAddress;
        this.registerOutputs({ primaryEndpoint: this.primaryEndpoint, readerEndpoint: this.readerEndpoint });
    }

    /**
     * One ElastiCache user per principal and their group. ElastiCache puts every connection that
     * names no user in `default`, and a group must hold a user of that name: it is off (or, while
     * `aws.cache.acceptAuthToken`, the old token with its old access). Passwords are the generated
     * secrets; user.go's Read keeps `passwords` as configured and compares `engine` case-insensitively.
     */
    private userGroup(name: string, id: string, args: ManagedCacheArgs, child: pulumi.CustomResourceOptions): aws.elasticache.UserGroup {
        // The platform's password is the AUTH token a group created before RBAC was given.
        const acceptedAuthToken = args.config.acceptAuthToken ? args.platformUser.password : undefined;
        const principals = [
            { key: "default", userName: "default", accessString: acceptedAuthToken === undefined ? CACHE_ACCESS.disabled : CACHE_ACCESS.authToken, password: acceptedAuthToken ?? offPassword(args.platformUser.password) },
            { key: "platform", userName: args.platformUser.name, accessString: CACHE_ACCESS.platform, password: args.platformUser.password },
            ...args.appUsers.map((u) => ({ key: u.name, userName: u.name, accessString: CACHE_ACCESS.app(u.keyPrefix), password: u.password })),
        ];
        const users = principals.map((p) => {
            const userId = `${id}-${p.key}`;
            if (!USER_ID.test(userId)) throw new Error(`the ElastiCache user id ${userId} is not of ElastiCache's form (letters, digits, single hyphens, starting with a letter): rename the app`);
            // user_id and user_name are ForceNew; the access string and passwords update in place (ModifyUser).
            // Kept by `destroy --exclude-protected` as the protected group's dependencies; imported under `aws.adopt`.
            // Not retained: a removed app's user is deleted, so the app can come back under its name.
            return new aws.elasticache.User(
                `${name}-user-${p.key}`,
                { userId, userName: p.userName, engine: "valkey", accessString: p.accessString, passwords: [p.password] },
                { ...child, ...adopted(args.adoption, userId) },
            );
        });
        // Kept with the replication group, which uses it (as its subnet and parameter groups).
        return new aws.elasticache.UserGroup(`${name}-users`, { userGroupId: id, engine: "valkey", userIds: users.map((u) => u.userId) }, retained(child, args.adoption, id));
    }
}
