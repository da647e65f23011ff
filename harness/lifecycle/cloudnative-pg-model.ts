/**
 * A second `pulumi up` of a CloudNativePG `Cluster` (and the Barman Cloud plugin's `ObjectStore`): what the operator's defaulting webhook makes of
 * the spec the program sends, and what the provider then diffs. Modelled from source, not guessed:
 * - the webhook: cloudnative-pg v1.29.1 api/v1/cluster_defaults.go (setDefaults with
 *   preserveUserSettings, as Default() calls it, setDefaultPlugins included) and pkg/postgres/configuration.go
 *   (CreatePostgresqlConfiguration: defaults, then the user's values, then archive_mode);
 * - the diff: pulumi-kubernetes provider/pkg/provider/provider.go Diff compares the new inputs with
 *   the live object pruned to the shape of the old inputs (pruneLiveState → util.go pruneMap/pruneSlice).
 * Fields the webhook adds beside the sent ones are pruned away; a sent value it changes, or a list
 * it prepends to, is a diff on every `up`.
 */

type Json = any;

/** What the operator fixes whatever the user sends (configuration.go FixedConfigurationParameters, the ones a user may not keep). */
export const OPERATOR_OWNED_PARAMETERS = [
    "archive_mode", "archive_command", "cluster_name", "port", "primary_conninfo", "primary_slot_name", "restore_command",
    "shared_preload_libraries", "synchronous_standby_names", "ssl", "ssl_ca_file", "ssl_cert_file", "ssl_key_file",
    "listen_addresses", "logging_collector", "log_destination", "log_directory", "log_filename", "unix_socket_directories",
    "hot_standby", "data_directory", "hba_file", "ident_file", "recovery_target_time", "temp_tablespaces",
] as const;

/** Some of the operator's global defaults (configuration.go CnpgConfigurationSettings.GlobalDefaultSettings). */
const DEFAULT_PARAMETERS: Record<string, string> = {
    archive_timeout: "5min",
    dynamic_shared_memory_type: "posix",
    full_page_writes: "on",
    logging_collector: "on",
    log_destination: "csvlog",
    max_replication_slots: "32",
    wal_keep_size: "512MB",
    wal_level: "logical",
    ssl_min_protocol_version: "TLSv1.3",
};

/** The operator's image when the spec names none (pkg/versions/versions.go DefaultImageName). */
const OPERATOR_DEFAULT_IMAGE = "ghcr.io/cloudnative-pg/postgresql:18.3-system-trixie";
/** The chart's operator config names its default monitoring queries (MonitoringQueriesConfigmap). */
const DEFAULT_MONITORING_CONFIGMAP = { name: "cnpg-default-monitoring", key: "queries" };

/** The spec after the defaulting webhook. */
export function operatorDefaults(sent: Json): Json {
    const spec = structuredClone(sent);
    if (!spec.imageName && !spec.imageCatalogRef) spec.imageName = OPERATOR_DEFAULT_IMAGE;
    spec.bootstrap ??= {};
    if (!spec.bootstrap.recovery && !spec.bootstrap.pg_basebackup) {
        spec.bootstrap.initdb ??= { database: "app", owner: "app" };
        const i = spec.bootstrap.initdb;
        i.database ||= "app";
        i.owner ||= i.database;
        i.encoding ||= "UTF8";
        i.localeCollate ||= "C";
        i.localeCType ||= "C";
    }
    spec.affinity ??= {};
    if (spec.affinity.enablePodAntiAffinity !== false && !spec.affinity.podAntiAffinityType) spec.affinity.podAntiAffinityType = "preferred";
    if (spec.backup && !spec.backup.target) spec.backup.target = "prefer-standby";
    spec.postgresql ??= {};
    spec.postgresql.parameters = { ...DEFAULT_PARAMETERS, ...(spec.postgresql.parameters ?? {}), archive_mode: "on" };
    spec.logLevel ||= "info";
    spec.monitoring ??= {};
    const queries = spec.monitoring.customQueriesConfigMap ?? [];
    if (!queries.some((q: Json) => q.name === DEFAULT_MONITORING_CONFIGMAP.name)) spec.monitoring.customQueriesConfigMap = [DEFAULT_MONITORING_CONFIGMAP, ...queries];
    spec.replicationSlots ??= {};
    spec.replicationSlots.highAvailability ??= { enabled: true, slotPrefix: "_cnpg_" };
    spec.replicationSlots.synchronizeReplicas ??= { enabled: true };
    if (spec.postgresql.synchronous && !spec.postgresql.synchronous.dataDurability) spec.postgresql.synchronous.dataDurability = "required";
    spec.probes ??= { startup: {}, liveness: {}, readiness: {} };
    // The CRD's defaults on each plugin (api/v1/cluster_types.go PluginConfiguration: enabled true,
    // isWALArchiver false). setDefaultPlugins appends the operator's INCLUDE_PLUGINS, of which the
    // chart's operator config names none (charts/cloudnative-pg values.yaml `config.data`, 0.28.3).
    if (spec.plugins) spec.plugins = spec.plugins.map((p: Json) => ({ enabled: true, isWALArchiver: false, ...p }));
    return spec;
}

/** util.go pruneMap: the live object's keys that the inputs have, recursively. */
export function pruneMap(live: Json, inputs: Json): Json {
    if (live == null || inputs == null) return undefined;
    const out: Json = {};
    for (const [key, value] of Object.entries(live)) {
        if (!(key in inputs)) continue;
        const target = inputs[key];
        if (value === null || target === null || kind(value) !== kind(target)) out[key] = value;
        else if (kind(value) === "map") out[key] = pruneMap(value, target);
        else if (kind(value) === "list") out[key] = pruneSlice(value as Json[], target as Json[]);
        else out[key] = value;
    }
    return out;
}

/** util.go pruneSlice: position by position, as long as both lists go. */
function pruneSlice(live: Json[], inputs: Json[]): Json[] {
    const out: Json[] = [];
    for (let i = 0; i < inputs.length && i < live.length; i++) {
        const value = live[i];
        const target = inputs[i];
        if (value === null || target === null) out.push(value);
        else if (kind(value) === "map" && kind(target) === "map") out.push(pruneMap(value, target));
        else if (kind(value) === "list" && kind(target) === "list") out.push(pruneSlice(value, target));
        else out.push(value);
    }
    return out;
}

const kind = (v: unknown) => (Array.isArray(v) ? "list" : typeof v === "object" ? "map" : typeof v);

/** What the provider would diff on the next `up` with the same inputs: the pruned live spec against the sent one. */
export function secondUpSpec(sent: Json): Json {
    return pruneMap(operatorDefaults(sent), sent);
}

/**
 * An ObjectStore (barmancloud.cnpg.io/v1) as the API server stores it: the CRD's defaults only, the
 * plugin has no webhook (plugin-barman-cloud v0.13.0 api/v1/objectstore_types.go: `+kubebuilder:default`
 * on InstanceSidecarConfiguration's retentionPolicyIntervalSeconds and logLevel; none in the
 * configuration but inside env valueFrom refs, which the program does not send).
 */
export function objectStoreDefaults(sent: Json): Json {
    const spec = structuredClone(sent);
    spec.instanceSidecarConfiguration = { retentionPolicyIntervalSeconds: 1800, logLevel: "info", ...(spec.instanceSidecarConfiguration ?? {}) };
    return spec;
}

/** The next `up`'s view of an ObjectStore: the stored spec pruned to the sent one. */
export function objectStoreSecondUp(sent: Json): Json {
    return pruneMap(objectStoreDefaults(sent), sent);
}
