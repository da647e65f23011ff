import { cnpgModel } from "./cloudnative-pg-models";

const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<Record<string, any>>;

/**
 * The ObjectStore's spec fields (plugin-barman-cloud api/v1/objectstore_types.go at v0.13.0:
 * ObjectStoreSpec, InstanceSidecarConfiguration), read there because its CRD ships only in the
 * chart's tarball, which is not reachable from here or CI.
 */
const SPEC_FIELDS = ["configuration", "retentionPolicy", "instanceSidecarConfiguration"];
const SIDECAR_FIELDS = ["env", "retentionPolicyIntervalSeconds", "resources", "additionalContainerArgs", "logLevel"];
/** `+kubebuilder:validation:Pattern` of RetentionPolicy, and the Enum of LogLevel. */
const RETENTION_POLICY = /^[1-9][0-9]*[dwm]$/;
const LOG_LEVELS = ["error", "warning", "info", "debug", "trace"];

/**
 * What is wrong with an ObjectStore, offline. `spec.configuration` is barman-cloud's
 * BarmanObjectStoreConfiguration, the type of a Cluster's `spec.backup.barmanObjectStore`: it is
 * validated with the pinned operator's Cluster schema (@kubernetes-models/cloudnative-pg), which is
 * that of the plugin's CRD but for two additions the plugin's newer barman-cloud has (compression
 * lz4, data.restoreAdditionalCommandArgs: the program sends neither) and the CRD's rule that forbids
 * `serverName` (x-kubernetes-validations in objectstore_types.go), checked here. The rest of the spec
 * against the fields above; the sidecar's resources as a container's (kubernetes-models).
 */
export async function objectStoreProblems(ctx: Mocha.Context, object: any): Promise<string[]> {
    const problems: string[] = [];
    if (object.apiVersion !== "barmancloud.cnpg.io/v1" || object.kind !== "ObjectStore") problems.push(`not a barmancloud.cnpg.io/v1 ObjectStore: ${object.apiVersion} ${object.kind}`);
    const spec = object.spec ?? {};
    for (const key of Object.keys(spec)) if (!SPEC_FIELDS.includes(key)) problems.push(`spec.${key} is not a field of ObjectStoreSpec`);
    if (spec.configuration === undefined) problems.push("spec.configuration is required");
    else {
        if ("serverName" in spec.configuration) problems.push("spec.configuration.serverName is forbidden: use the 'serverName' plugin parameter in the Cluster resource");
        const Cluster = await cnpgModel(ctx, "Cluster");
        const probe = { apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster", metadata: { name: "probe" }, spec: { instances: 1, storage: { size: "1Gi" }, backup: { barmanObjectStore: spec.configuration } } };
        try {
            new Cluster(probe).validate();
        } catch (e) {
            problems.push(`spec.configuration: ${(e as Error).message.replaceAll("/spec/backup/barmanObjectStore", "")}`);
        }
    }
    if (spec.retentionPolicy !== undefined && !RETENTION_POLICY.test(spec.retentionPolicy)) problems.push(`spec.retentionPolicy ${JSON.stringify(spec.retentionPolicy)} does not match ${RETENTION_POLICY}`);
    const sidecar = spec.instanceSidecarConfiguration ?? {};
    for (const key of Object.keys(sidecar)) if (!SIDECAR_FIELDS.includes(key)) problems.push(`spec.instanceSidecarConfiguration.${key} is not a field of InstanceSidecarConfiguration`);
    if (sidecar.logLevel !== undefined && !LOG_LEVELS.includes(sidecar.logLevel)) problems.push(`spec.instanceSidecarConfiguration.logLevel must be one of ${LOG_LEVELS.join(", ")}`);
    if (sidecar.resources !== undefined) {
        const { Pod } = await importEsm("kubernetes-models/v1");
        try {
            new Pod({ metadata: { name: "probe" }, spec: { containers: [{ name: "sidecar", resources: sidecar.resources }] } }).validate();
        } catch (e) {
            problems.push(`spec.instanceSidecarConfiguration.resources: ${(e as Error).message}`);
        }
    }
    return problems;
}
