import * as pulumi from "@pulumi/pulumi";
import type { Schedule, Weekday } from "../config/schedule";

/** A server's certificate (the CA after the leaf), its key (secret) and the CA that clients verify it with. */
export interface ServerTls {
    readonly caCertPem: pulumi.Input<string>;
    readonly certPem: pulumi.Input<string>;
    readonly keyPem: pulumi.Input<string>;
}

/**
 * Limits are required: a service without them does not compile. Reservations are the
 * guaranteed share (Docker: memory reservation and CPU shares; Kubernetes: requests).
 */
export interface Resources {
    readonly cpu: number;
    readonly memoryMb: number;
    readonly cpuReservation: number;
    readonly memoryReservationMb: number;
}

export interface ServicePort {
    readonly name: string;
    readonly port: number;
    /**
     * Publish on the host. `hostIp` 127.0.0.1 keeps a port for local tools only; any other
     * address (0.0.0.0: every interface) is for the proxy alone (the policy pack checks it).
     */
    readonly publish?: { readonly hostPort: number; readonly hostIp: string };
}

/** A file placed in the container before it starts (Docker upload, Kubernetes ConfigMap/Secret). */
export interface ServiceFile {
    readonly path: string;
    readonly content: pulumi.Input<string>;
    /** Content carries a secret (keys, passwords): kept as a Pulumi secret / Kubernetes Secret. */
    readonly secret?: boolean;
    /** Octal permissions, e.g. "0644". */
    readonly mode?: string;
}

/** A named volume that holds data: survives renames and destroys. */
export interface ServiceVolume {
    readonly name: string;
    readonly mountPath: string;
    readonly sizeGb: number;
    /**
     * The config key that sizes it, plus a fixed part when there is one: `sqlserver.storageGb`,
     * `observability.metricsRetentionGb+5`. A volume cannot shrink: Kubernetes refuses a lower
     * value before anything changes, naming this key (kubernetes/claims.ts). Unset: a fixed size.
     */
    readonly sizedBy?: string;
}

/** The unprivileged user an image runs as; the platform enforces it (Kubernetes: runAsNonRoot). */
export interface RunAs {
    readonly uid: number;
    readonly gid: number;
}

export interface HealthCheck {
    /** Exec check used by Docker (and as Kubernetes' exec probe when no httpGet is given). */
    readonly command: string[];
    /** HTTP check preferred by Kubernetes probes (HTTPS: the kubelet does not verify the certificate). */
    readonly httpGet?: { readonly path: string; readonly port: number; readonly scheme?: "HTTPS" };
    readonly intervalSeconds: number;
    readonly timeoutSeconds: number;
    readonly retries: number;
    readonly startPeriodSeconds: number;
}

export type Env = Readonly<Record<string, pulumi.Input<string>>>;

/**
 * A one-shot step that runs to completion after its service is healthy (Docker: an
 * attached container; Kubernetes: a Job). Steps must be safe to run again: they run
 * whenever their inputs change.
 */
export interface InitStep {
    readonly name: string;
    readonly image: string;
    readonly entrypoint?: string[];
    readonly command: string[];
    readonly env?: Env;
    readonly secretEnv?: Env;
    readonly files?: ServiceFile[];
    readonly resources: Resources;
    /** The step downloads something large (a model): it gets the stack's download timeout. */
    readonly downloads?: boolean;
    /** Also wait for these services (by name) to be healthy, e.g. the proxy. */
    readonly after?: string[];
    /** The image's unprivileged user; unset: the image runs as root (say why at the step). */
    readonly runAs?: RunAs;
    /** An earlier step of the same service whose work this one needs (SQL Server's database before its migrations, a password change the others log in with). */
    readonly afterStep?: string;
    /** The step migrates a schema (components/migrations/): see MigrationRun. */
    readonly migration?: MigrationRun;
}

/**
 * How the platform runs a migration step: it never retries by itself (a failed migration is
 * looked at first), `npm run migrate` can run it again by hand with another command
 * (Kubernetes: a suspended CronJob of the same pod), and where the platform uploads backups
 * (Kubernetes with a backup destination) the service's backup job `backupFirst` takes and
 * uploads a fresh backup in the same pod before the step starts.
 */
export interface MigrationRun {
    readonly backupFirst?: string;
}

/**
 * A path of the host mounted read-only into the container: node agents (log shipper, host and
 * container metrics) only. Docker: a bind mount; Kubernetes: a hostPath volume of a DaemonSet.
 */
export interface HostMount {
    readonly hostPath: string;
    readonly mountPath: string;
}

/** How a service's stdout/stderr lines are formatted: picks the log pipeline's parser. */
export type LogFormat = "nginx-json" | "mssql" | "postgres" | "redis" | "qdrant" | "ollama" | "json" | "plain";

/** Exporters the observability stack knows how to run for a service that serves no metrics itself. */
export type ExporterKind = "postgres" | "redis" | "nginx" | "mssql" | "elasticsearch";

/** An exporter that speaks for the service: run beside it when metrics are on. */
export interface ExporterDeclaration {
    readonly kind: ExporterKind;
    /** What the exporter reads, e.g. `timescale:5432`, `http://proxy:8081/stub_status`. */
    readonly target: pulumi.Input<string>;
    /** Login the exporter uses (least privilege where the service has such a role). */
    readonly user?: string;
    readonly password?: pulumi.Input<string>;
    /** Database the exporter connects to. */
    readonly database?: string;
    /** CA that signed the service's TLS certificate, when the exporter speaks HTTPS to it. */
    readonly caCertPem?: pulumi.Input<string>;
    /** The service runs outside the platform (ElastiCache): the exporter reaches it at these addresses, and waits for nothing. */
    readonly outside?: PrivateEgress;
}

/** Addresses in the VPC (a managed store's subnets) and the port a workload may reach there. */
export interface PrivateEgress {
    readonly cidrs: readonly string[];
    readonly port: number;
}

/** A URL the blackbox exporter checks: `http` (2xx), `https` (2xx, verified with the stack's CA, reports expiry) or `tcp`. */
export interface ProbeDeclaration {
    readonly name: string;
    readonly module: "http" | "https" | "tcp";
    /** `http://ollama:11434/api/version`, `https://proxy/healthz`, `sqlserver:1433`. */
    readonly target: string;
}

/** What can be observed of a service. Scrape configs, probes, dashboards and log parsing are generated from it. */
export interface Observability {
    /** The service's own Prometheus endpoint. */
    readonly metrics?: {
        readonly port: number;
        readonly path: string;
        /** Where the endpoint lives when it is not the service's own host (an app the platform only routes to). */
        readonly host?: string;
        /** Sent as `Authorization: Bearer` (e.g. Qdrant's API key). Secret. */
        readonly bearerToken?: pulumi.Input<string>;
        /** The endpoint serves HTTPS with a certificate from this CA (scraped with `scheme: https`, verified). */
        readonly caCertPem?: pulumi.Input<string>;
        /** The series carry their own `job`/`instance` labels, which scraping keeps (a Pushgateway). */
        readonly honorLabels?: boolean;
    };
    readonly exporter?: ExporterDeclaration;
    readonly probes?: readonly ProbeDeclaration[];
    readonly logFormat?: LogFormat;
}

/** A service as monitoring sees it: its name and what it declares. */
export interface ObservedService {
    readonly name: string;
    readonly observe?: Observability;
    /** A node agent (see ServiceSpec.hostMounts): one copy per node, each scraped. */
    readonly hostMounts?: readonly HostMount[];
    /** A store of peers (see ServiceSpec.peers): each peer scraped on its own name. */
    readonly peers?: Peers;
}

// A schedule is a config value first (config/schedule.ts parses it): defined there.
export type { Schedule, Weekday };

/** When a backup runs: every day at a UTC time, or every N minutes. */
export type BackupSchedule = Extract<Schedule, { readonly dailyAtUtc: string } | { readonly everyMinutes: number }>;

/**
 * Work a service runs on a schedule besides its backups: maintenance of its data (integrity
 * checks, index and statistics upkeep, optimization) and restore drills. The image runs
 * `sh <script>`; exit 0 is success. Every run reports its outcome (components/backup/task-runner.ts)
 * for the ScheduledTaskFailed and ScheduledTaskOverdue alerts. Docker: a scheduler container
 * (the store's backup scheduler when the image is the same); Kubernetes: a CronJob.
 */
export interface ScheduledTask {
    /** e.g. `checkdb`; with the service's name it names the CronJob and the metric's `task` label. */
    readonly name: string;
    readonly schedule: Schedule;
    readonly image: string;
    readonly script: string;
    readonly env?: Env;
    readonly secretEnv?: Env;
    /** Files its container gets (a store's CA), as a service's `files`. */
    readonly files?: ServiceFile[];
    /** What a run needs (Kubernetes: the pod's; Docker runs it inside its scheduler). */
    readonly resources: Resources;
    /** How serious a failed run is: the severity of ScheduledTaskFailed. */
    readonly failureSeverity: "warning" | "critical";
    /** The longest a run may take. */
    readonly deadlineMinutes: number;
    /**
     * A restore drill: it reads the store's newest backup. Docker runs it where the backups are
     * (the store's backup scheduler); Kubernetes downloads the backup first, as a restore does.
     * The script is the store's backup.sh, run as `backup.sh drill`.
     */
    readonly restoresBackup?: boolean;
}

/**
 * A scheduled backup of a store. The image runs `script` (see components/backup/script.ts):
 * `backup` now, `restore <id|latest>`, `verify <id>`, `list`, with the backups at
 * $BACKUP_ROOT. Docker: a scheduler container beside the service with a backups volume that
 * survives destroy; Kubernetes: a CronJob.
 */
export interface BackupJob {
    /** The kind of backup, e.g. `full`, `log`, `snapshot`. */
    readonly name: string;
    readonly schedule: BackupSchedule;
    readonly image: string;
    /** The store's backup.sh. */
    readonly script: string;
    readonly env?: Env;
    readonly secretEnv?: Env;
    /** Files its container gets (a store's CA), as a service's `files`. */
    readonly files?: ServiceFile[];
    readonly resources: Resources;
    /** The service writes the backup files itself (SQL Server's BACKUP TO DISK): it mounts the backups too. */
    readonly serviceWritesBackups?: boolean;
    /** Restore writes into the service's volumes while the service is stopped (Valkey's RDB/AOF). */
    readonly restoreWritesServiceVolumes?: boolean;
}

/**
 * A PostgreSQL database that must survive the loss of a node or a zone and come back to any
 * minute: replicas in other zones with synchronous commit, and its WAL archived continuously
 * with base backups beside it. A platform with an engine made for that runs it there
 * (Kubernetes: a CloudNativePG Cluster, kubernetes/cloudnative-pg.ts); the rest of the spec
 * (image, command, volumes, health check) is the single-server form it replaces.
 */
export interface ReplicatedPostgres {
    readonly instances: number;
    /** PostgreSQL with the extensions the database needs and Barman Cloud (the operator archives with it). */
    readonly image: string;
    /** The image's postgres user. */
    readonly runAs: RunAs;
    readonly database: string;
    /** The superuser clients and steps log in as (the single server's `POSTGRES_USER`), with its password. */
    readonly superuser: string;
    readonly superuserPassword: pulumi.Input<string>;
    readonly preloadLibraries: readonly string[];
    /** postgresql.conf settings; none the engine owns (ports, archiving, replication, TLS). */
    readonly settings: Readonly<Record<string, string>>;
    readonly storageGb: number;
    readonly sizedBy: string;
    /** Base backups: when, and how many days of backups and WAL the archive keeps (any minute in between can be restored). */
    readonly baseBackupDailyAtUtc: string;
    readonly retentionDays: number;
    /** The server certificate the operator serves instead of one from its own CA: clients verify the platform's CA. */
    readonly tls?: ServerTls;
}

/** What a service needs, independent of where it runs. */
export interface ServiceSpec {
    /** The service is a replicated PostgreSQL database (see ReplicatedPostgres). */
    readonly replicatedPostgres?: ReplicatedPostgres;
    /** DNS name inside the platform network, e.g. `sqlserver`. */
    readonly name: string;
    readonly image: string;
    readonly entrypoint?: string[];
    readonly command?: string[];
    readonly user?: string;
    readonly env?: Env;
    readonly secretEnv?: Env;
    readonly files?: ServiceFile[];
    readonly volumes?: ServiceVolume[];
    readonly ports: ServicePort[];
    readonly resources: Resources;
    readonly healthCheck: HealthCheck;
    /** Ask for every GPU of the host (Docker) or one `nvidia.com/gpu` (Kubernetes). */
    readonly gpu?: boolean;
    /** Size of /dev/shm (Docker defaults to 64 MB; PostgreSQL's parallel queries need more). */
    readonly sharedMemoryMb?: number;
    /**
     * How long a rollout (first start or update) may take before `pulumi up` gives up: image pull,
     * volume attach, a node scale-up, the first start (Kubernetes: the workload's await; Docker waits
     * for its health check instead). Unset: the platform's default (10 minutes).
     */
    readonly rolloutTimeoutMinutes?: number;
    /** How long a shutdown may take before the process is killed. */
    readonly stopGraceSeconds?: number;
    /**
     * Keep serving this long after the stop is asked, before the process is signalled, so a load
     * balancer stops sending first (Kubernetes: a preStop sleep, added to the termination grace
     * period; Docker: nothing deregisters a container, so it stops at once).
     */
    readonly stopDelaySeconds?: number;
    readonly initSteps?: InitStep[];
    /** Services (by name) that must be healthy before this one starts; it may call them. */
    readonly dependsOn?: string[];
    /** What monitoring can observe of this service. */
    readonly observe?: Observability;
    /**
     * Services (by name) this one calls at run time without waiting for them at start
     * (the proxy's upstreams, SQL Server's embedding endpoint). With `dependsOn`, init
     * steps' targets and `after`, these are every flow the platform allows (Kubernetes:
     * NetworkPolicies); anything else is denied.
     */
    readonly talksTo?: string[];
    /** The service itself reaches the internet over HTTPS (Ollama's server pulls models). */
    readonly internetEgress?: boolean;
    /** Stores outside the platform the service reaches (Kubernetes: one NetworkPolicy egress rule each). */
    readonly privateEgress?: readonly PrivateEgress[];
    /**
     * The service calls AWS APIs with a role its ServiceAccount (named after the service) takes:
     * through EKS Pod Identity (its pods may reach the agent) or IRSA (the ServiceAccount names the role).
     */
    readonly awsIdentity?: { readonly kind: "pod-identity" } | { readonly kind: "irsa"; readonly roleArn: pulumi.Input<string> };
    /** Resources that must exist before the service's pods start (the role and association they take credentials from). */
    readonly waitFor?: readonly pulumi.Resource[];
    /** Copies to run where the platform can run more than one (stateless services only; Docker runs one). */
    readonly replicas?: number;
    /** A stateful service that runs as a cluster of peers (Kubernetes; Docker runs one node without it). */
    readonly peers?: Peers;
    /**
     * The image's unprivileged user; unset: the image runs as root (say why at the service).
     * Kubernetes runs the pod as it (runAsNonRoot, fsGroup); Docker runs the image's default user.
     */
    readonly runAs?: RunAs;
    /** The process writes only to its volumes, /tmp and `scratchPaths`: the platform may mount the image read-only. */
    readonly readOnlyRootFilesystem?: boolean;
    /** Directories the process writes whose content need not survive a restart (caches): Kubernetes mounts an emptyDir on each. */
    readonly scratchPaths?: string[];
    /**
     * Read-only host paths (node agents only; the policy pack must exempt them). A service
     * with host mounts is a node agent: Kubernetes runs one per node (a DaemonSet) in the
     * node-agent namespace; it has no replicas, and its volumes hold state about its own node
     * (Kubernetes: a directory on that node, see kubernetes/node-agent.ts).
     */
    readonly hostMounts?: readonly HostMount[];
    /** Scheduled backups of the service's data. */
    readonly backups?: readonly BackupJob[];
    /** Maintenance and restore drills on a schedule. */
    readonly scheduledTasks?: readonly ScheduledTask[];
    /**
     * Why the service's volumes need no backup (their content comes back by itself), instead of
     * `backups`. The platforms label the workload with it; the policy pack accepts it as the reason.
     */
    readonly backupNotNeeded?: string;
    /** Reads the stack's backups at BACKUP_ROOT, read-only (node-exporter serves their last-success metrics). */
    readonly readsBackups?: boolean;
}

/**
 * The peers of a distributed store, each with its own volumes and a stable name the others reach it
 * by. Kubernetes: a StatefulSet of `count` pods behind a headless Service, one per zone and node,
 * the peer port open between peers only. Every peer gets PEER_HOST (its own name) and
 * FIRST_PEER_HOST (the name of the peer that founds the cluster) in its environment.
 */
export interface Peers {
    readonly count: number;
    /** The port peers talk to each other on (Qdrant's p2p 6335): only peers reach it. */
    readonly port: { readonly name: string; readonly port: number };
}

/** A service with host mounts is a node agent: one per node (Kubernetes: a DaemonSet in the node-agent namespace). */
export const isNodeAgent = (spec: Pick<ServiceSpec, "hostMounts">) => (spec.hostMounts ?? []).length > 0;

export interface DeployedService {
    /** Host name clients inside the platform use. */
    readonly host: string;
    /** The resource that is ready once the service is healthy. */
    readonly ready: pulumi.Resource;
    /** Ready once every init step has completed. */
    readonly initialized: pulumi.Resource[];
}

/** Turns service descriptions into resources on one kind of infrastructure. */
export interface Platform {
    readonly kind: "docker" | "kubernetes";
    /** The DNS resolver NGINX uses to resolve upstreams at request time. */
    readonly resolver: string;
    /** Outcome of every one-shot step by name; fails `pulumi up` when a step failed. */
    readonly initResults: Readonly<Record<string, pulumi.Output<string>>>;
    /** The host name clients use for a service (before it is deployed: certificates need it). */
    hostOf(service: string): string;
    /** The names each of `count` peers of a service (ServiceSpec.peers) is reached by; none where the platform runs no peers. */
    peerHosts(service: string, count: number): string[];
    deploy(spec: ServiceSpec, parent: pulumi.Resource): DeployedService;
    /**
     * Credentials for a workload the platform does not run, where it can read them. Kubernetes:
     * a Secret `<app>-env` in that namespace, and each store it reaches admits that namespace's
     * pods labelled `talks-to.llm-platform/<store>: "true"`. Docker: nothing here (`npm run app-env` writes a 0600
     * env file from the secret stack output where the app runs); returns whether it handed them over.
     */
    handOver(credentials: HandedOverCredentials, parent: pulumi.Resource): boolean;
}

/** Env vars (all secret) for a workload in another namespace of the cluster. */
export interface HandedOverCredentials {
    /** The app's service name (`app-<name>`): the Secret is `<app>-env`. */
    readonly app: string;
    readonly namespace: string;
    readonly env: Env;
    /** The platform's services (names or hosts, as `talksTo`) its pods call: each admits them. */
    readonly reaches: readonly string[];
    /** Public files the env names (the stores' CA): Kubernetes, the ConfigMap `<app>-files`, to mount in their folder. */
    readonly files: readonly ServiceFile[];
}
