/**
 * Names the program writes and the policy pack reads: the pack checks what the program
 * declares by them, so both import them from here (policies/shared: imported by the pack and
 * by components/, importing nothing).
 */

/**
 * A service that declares why its data needs no backup (`ServiceSpec.backupNotNeeded`) carries
 * the reason under this key: a Docker label, a Kubernetes workload annotation.
 */
export const BACKUP_NOT_NEEDED = "llm-platform.backup-not-needed";

/**
 * A location that sets this variable (to the app's name) is public by declaration: an app of the
 * `apps` config whose route says `apiKey: false`. The rule then takes the declaration for the check.
 */
export const PUBLIC_ROUTE_VARIABLE = "$llm_public_route";

/**
 * The Barman Cloud plugin's name, by which a CloudNativePG Cluster, ScheduledBackup or
 * externalCluster calls it (plugin-barman-cloud: its Service's cnpg.io/pluginName label).
 */
export const BARMAN_CLOUD_PLUGIN_NAME = "barman-cloud.cloudnative-pg.io";
