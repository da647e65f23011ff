import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { pullPolicyFor } from "../../policies/shared/image-reference";
import { defaultImages } from "../config/images";
import { MIGRATE_STEP, migrationStep } from "../migrations/step";
import { suspendedJobTemplate } from "../platform/kubernetes/job-template";
import { COMPONENT_LABEL, CONTENT_HASH_ANNOTATION, SERVICE_LABEL } from "../platform/kubernetes/labels";
import { containerSecurityContext, podInputs, podSecurityContext, stepContainer } from "../platform/kubernetes/pod";
import { containerResources } from "../platform/kubernetes/quantities";
import { Resources } from "../platform/types";
import type { AppDatabaseRoles } from "../apps/apps";
import { renderAppRolesSql } from "../timescale/app-roles-sql";
import { APP_DATABASE_MIGRATIONS } from "./app-database-plan";
import { trustPolicy } from "./backup-role";
import { partitionOf } from "./names";
import { POSTGRES_PORT } from "./database";

import Core = k8s.types.input.core.v1;
import Batch = k8s.types.input.batch.v1;

/** The store name `npm run migrate` takes, and the Job's and CronJob's name prefix. */
export const APP_DATABASE_STORE = "app-database";
const SECRETS_DIR = "/secrets";
const MASTER_SECRET_FILE = `${SECRETS_DIR}/master.json`;
/** The EKS Pod Identity agent on every node (link-local). */
const POD_IDENTITY_AGENT = "169.254.170.23/32";
const awsCliResources: Resources = { cpu: 0.5, memoryMb: 256, cpuReservation: 0.05, memoryReservationMb: 64 };

/** Reads the master password from Secrets Manager into a memory-backed volume the migrate container reads. */
const PASSWORD_SCRIPT = `set -eu
aws secretsmanager get-secret-value --secret-id "$MASTER_SECRET_ARN" --query SecretString --output text > ${MASTER_SECRET_FILE}
echo "master password of $DB_INSTANCE read from Secrets Manager"`;

/** A manual RDS snapshot, waited for: the fresh backup before a migration (kept until someone deletes it). */
const SNAPSHOT_SCRIPT = `set -eu
snapshot="$DB_INSTANCE-before-migrate-$(date -u +%Y%m%d%H%M%S)"
aws rds create-db-snapshot --db-instance-identifier "$DB_INSTANCE" --db-snapshot-identifier "$snapshot" \\
    --tags Key=llm-platform.reason,Value=before-migration > /dev/null
echo "RDS snapshot $snapshot started"
# \`aws rds wait\` gives up after 30 minutes; the Job's deadline bounds this instead.
while true; do
    status="$(aws rds describe-db-snapshots --db-snapshot-identifier "$snapshot" --query 'DBSnapshots[0].Status' --output text)"
    case "$status" in
        available) break ;;
        failed | error) echo "RDS snapshot $snapshot is $status: nothing was migrated" >&2; exit 1 ;;
    esac
    sleep 30
done
echo "RDS snapshot $snapshot available"`;

export interface AppDatabaseMigrationArgs {
    readonly namePrefix: string;
    readonly instance: aws.rds.Instance;
    readonly databaseName: string;
    readonly masterUsername: string;
    readonly masterUserSecretArn: pulumi.Input<string>;
    /** The key that encrypts the master password's secret. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** The RDS instance's subnets (its address is in one of them). */
    readonly privateSubnetCidrs: readonly string[];
    readonly identity: "pod-identity" | "irsa";
    readonly oidcIssuer?: string;
    readonly clusterName: string;
    readonly accountId: string;
    readonly region: string;
    readonly jobDeadlineMinutes: number;
    /** How long the Jobs `npm run migrate` creates stay after they finished. */
    readonly jobTtlHours: number;
    readonly kubernetes: { readonly provider: k8s.Provider; readonly namespace: pulumi.Input<string>; readonly namespaceName: string };
    /** The apps' logins and databases (`store: rds`): created or updated after every deploy, their passwords as secret env. */
    readonly appDatabases?: AppDatabaseRoles;
}

/**
 * The RDS app database's migrations (components/aws/app-database-migrations/): a Job in the
 * platform's namespace that reads the master password from Secrets Manager, takes a manual RDS
 * snapshot, then runs Sqitch's deploy with TLS required; a suspended CronJob of the same pod
 * for `npm run migrate`. Its own role reads that one secret and snapshots that one instance.
 */
export class AppDatabaseMigration extends pulumi.ComponentResource {
    readonly job: k8s.batch.v1.Job;

    constructor(name: string, args: AppDatabaseMigrationArgs, opts: pulumi.ComponentResourceOptions & { provider: aws.Provider }) {
        super("llm-platform:aws:AppDatabaseMigration", name, {}, opts);
        const awsChild = { parent: this, provider: opts.provider };
        const k8sChild = { parent: this, provider: args.kubernetes.provider };
        const base = `${APP_DATABASE_STORE}-${MIGRATE_STEP}`;
        const instanceId = args.instance.identifier;
        const selector = { [SERVICE_LABEL]: APP_DATABASE_STORE, [COMPONENT_LABEL]: `step-${MIGRATE_STEP}`, "app.kubernetes.io/instance": args.namePrefix };
        const labels = { ...selector, "app.kubernetes.io/part-of": "llm-platform", "app.kubernetes.io/managed-by": "pulumi" };

        const role = new aws.iam.Role(
            name,
            {
                name: `${args.namePrefix}-app-database-migrate`,
                assumeRolePolicy: trustPolicy({ ...args, namespace: args.kubernetes.namespaceName, serviceAccount: base }),
                maxSessionDuration: 3600,
            },
            awsChild,
        );
        const snapshots = pulumi.interpolate`arn:${partitionOf(args.region)}:rds:${args.region}:${args.accountId}:snapshot:${instanceId}-before-migrate-*`;
        new aws.iam.RolePolicy(
            `${name}-access`,
            {
                role: role.name,
                name: "app-database-migrate",
                policy: pulumi.all([args.masterUserSecretArn, args.kmsKeyArn, args.instance.arn, snapshots]).apply(([secret, key, instance, snapshot]) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            { Sid: "ReadMasterPassword", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secret },
                            {
                                Sid: "DecryptMasterPassword",
                                Effect: "Allow",
                                Action: "kms:Decrypt",
                                Resource: key,
                                Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${args.region}.amazonaws.com` } },
                            },
                            { Sid: "SnapshotBeforeMigrating", Effect: "Allow", Action: ["rds:CreateDBSnapshot", "rds:AddTagsToResource"], Resource: [instance, snapshot] },
                            { Sid: "WatchSnapshot", Effect: "Allow", Action: "rds:DescribeDBSnapshots", Resource: snapshot },
                        ],
                    }),
                ),
            },
            awsChild,
        );
        const ready: pulumi.Resource[] = [role];
        if (args.identity === "pod-identity") {
            ready.push(
                new aws.eks.PodIdentityAssociation(
                    `${name}-pod-identity`,
                    { clusterName: args.clusterName, namespace: args.kubernetes.namespaceName, serviceAccount: base, roleArn: role.arn },
                    awsChild,
                ),
            );
        }
        const account = new k8s.core.v1.ServiceAccount(
            `${name}-account`,
            {
                metadata: {
                    name: base,
                    namespace: args.kubernetes.namespace,
                    labels,
                    annotations: args.identity === "irsa" ? { "eks.amazonaws.com/role-arn": role.arn } : undefined,
                },
                automountServiceAccountToken: false,
            },
            k8sChild,
        );

        // The migrate step as every store has it; its password comes from the file the first init container writes.
        const apps = args.appDatabases?.roles ?? [];
        const step = migrationStep({
            plan: APP_DATABASE_MIGRATIONS,
            // RDS forces TLS (rds.force_ssl); verify-full needs RDS's CA bundle in the image, which it has not.
            target: { host: args.instance.address, port: POSTGRES_PORT, database: args.databaseName, user: args.masterUsername, passwordJsonFile: MASTER_SECRET_FILE, sslMode: "require" },
            // The apps' logins follow the config, as TimescaleDB's app-roles step makes them; the master user is no superuser.
            afterDeploy: apps.length > 0 ? renderAppRolesSql(apps, "createrole") : undefined,
        });
        const place = { base, namespace: args.kubernetes.namespace, labels, opts: k8sChild };
        // A new password (`npm run rotate`) changes the pod's inputs: the Job runs again and sets it.
        const inputs = podInputs(place, step.env, { ...step.secretEnv, ...args.appDatabases?.passwords }, step.files);
        const awsEnv = [
            { name: "AWS_REGION", value: args.region },
            { name: "DB_INSTANCE", value: instanceId },
            { name: "MASTER_SECRET_ARN", value: args.masterUserSecretArn },
            // The pod's user may be anyone: the CLI's home is the scratch volume.
            { name: "HOME", value: "/tmp" },
        ];
        const mounts = { secrets: { name: "secrets", mountPath: SECRETS_DIR }, tmp: { name: "tmp", mountPath: "/tmp" } };
        const awsCli = (containerName: string, script: string, extra: Core.VolumeMount[]): Core.Container => ({
            name: containerName,
            image: defaultImages.awsCli,
            imagePullPolicy: pullPolicyFor(defaultImages.awsCli),
            command: ["sh", "-c", script],
            env: awsEnv,
            resources: containerResources(awsCliResources),
            volumeMounts: [mounts.tmp, ...extra],
            securityContext: containerSecurityContext(step.runAs, true),
        });
        const deadlineSeconds = args.jobDeadlineMinutes * 60;
        const jobSpec: Batch.JobSpec = {
            // A failed migration is looked at before it runs again.
            backoffLimit: 0,
            activeDeadlineSeconds: deadlineSeconds,
            template: {
                metadata: { labels, annotations: { [CONTENT_HASH_ANNOTATION]: inputs.contentHash } },
                spec: {
                    restartPolicy: "Never",
                    serviceAccountName: account.metadata.name,
                    // Pod Identity and IRSA inject their own projected tokens; nothing here calls the API server.
                    automountServiceAccountToken: false,
                    enableServiceLinks: false,
                    securityContext: podSecurityContext(step.runAs),
                    initContainers: [awsCli("password", PASSWORD_SCRIPT, [mounts.secrets]), awsCli("backup-first", SNAPSHOT_SCRIPT, [])],
                    containers: [
                        stepContainer(MIGRATE_STEP, step, inputs.env, [...inputs.volumeMounts, { ...mounts.secrets, readOnly: true }]),
                    ],
                    volumes: [...inputs.volumes, { name: "secrets", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } }, { name: "tmp", emptyDir: { sizeLimit: "1Gi" } }],
                },
            },
        };
        new k8s.networking.v1.NetworkPolicy(
            `${name}-flows`,
            {
                metadata: { name: base, namespace: args.kubernetes.namespace, labels },
                spec: {
                    podSelector: { matchLabels: selector },
                    policyTypes: ["Ingress", "Egress"],
                    ingress: [],
                    egress: [
                        // RDS in the private subnets; AWS APIs over HTTPS (VPC endpoints there too).
                        { to: args.privateSubnetCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: POSTGRES_PORT }, { protocol: "TCP", port: 443 }] },
                        { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"] } }], ports: [{ protocol: "TCP", port: 443 }] },
                        ...(args.identity === "pod-identity" ? [{ to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT } }], ports: [{ protocol: "TCP", port: 80 }] }] : []),
                    ],
                },
            },
            k8sChild,
        );
        this.job = new k8s.batch.v1.Job(
            base,
            {
                metadata: {
                    name: base,
                    namespace: args.kubernetes.namespace,
                    labels,
                    annotations: {
                        // Pulumi waits for the snapshot and the migration: as long as they may run, plus a margin.
                        "pulumi.com/timeoutSeconds": String(deadlineSeconds + 120),
                        // A Job that failed is replaced, so it runs again, on the next `pulumi up`.
                        "pulumi.com/replaceUnready": "true",
                    },
                },
                spec: jobSpec,
            },
            // A Job's pod template cannot change: a new plan replaces it, and its fixed name must go first.
            { ...k8sChild, dependsOn: [args.instance, ...ready], deleteBeforeReplace: true },
        );
        // `npm run migrate` creates a Job from it with the command it is asked for.
        suspendedJobTemplate(`${base}-template`, { name: base, namespace: args.kubernetes.namespace, labels }, jobSpec, args.jobTtlHours, k8sChild);
        this.registerOutputs({});
    }
}
