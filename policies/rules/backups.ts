import type { PolicyConfigSchema, StackValidationPolicy } from "@pulumi/policy";
import { BACKUP_NOT_NEEDED } from "../shared/markers";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { DOCKER_CONTAINER, dockerLabel, dockerRoleLabel, dockerServiceOf } from "./support/docker";
import { K8S_SERVICE_LABEL, podTemplateOf } from "./support/kubernetes";
import { eachKnown } from "./support/unknowns";
import { asArray, asRecord, isRecord } from "./support/values";

const schema: PolicyConfigSchema = {
    properties: {
        backupLabel: {
            type: "string",
            pattern: "^[^=]+=[^=]+$",
            // What both platforms put on backup workloads (Docker scheduler containers, Kubernetes CronJobs).
            default: "llm-platform.role=backup",
            description: "The label (key=value) that marks a backup workload of a service.",
        },
    },
};

function backupLabelOf(args: { getConfig<U extends object>(): U }): [string, string] {
    const { backupLabel } = configOf<{ backupLabel: string }>(schema, args);
    const at = backupLabel.indexOf("=");
    return [backupLabel.slice(0, at), backupLabel.slice(at + 1)];
}
const EXEMPT = `or the reason its data needs no backup: the ${BACKUP_NOT_NEEDED} label/annotation (ServiceSpec.backupNotNeeded) or an exemption in policies/exemptions.ts`;
const declared = (value: unknown) => typeof value === "string" && value.trim().length > 0;

/**
 * Kubernetes (prod): a workload that keeps data in claims (a StatefulSet's volumeClaimTemplates,
 * or a PersistentVolumeClaim volume of a long-running workload) is backed up by a CronJob of
 * its service in its namespace, labelled `llm-platform.role: backup` and not suspended.
 */
export const kubernetesStatefulBackups: StackValidationPolicy = {
    name: "kubernetes-stateful-backups",
    description:
        "Every Kubernetes workload that keeps data in PersistentVolumeClaims (StatefulSet volumeClaimTemplates, or claim volumes " +
        "of a Deployment/DaemonSet) has a backup CronJob of its service (app.kubernetes.io/name) in its namespace, labelled " +
        "llm-platform.role=backup and not suspended, or declares why its data needs no backup (annotation " +
        "llm-platform.backup-not-needed); data nothing restores is data lost.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateStack: (args, reportViolation) => {
        const [roleLabel, role] = backupLabelOf(args);
        const backups = args.resources
            .map((r) => ({ r, template: podTemplateOf(r.type, r.props) }))
            .filter(({ r, template }) => template?.kind === "CronJob" && template.labels[roleLabel] === role && asRecord(r.props.spec).suspend !== true);
        eachKnown(args.resources, (r) => {
            const template = podTemplateOf(r.type, r.props);
            if (!template || template.kind === "CronJob" || template.kind === "Job" || template.kind === "Pod") return;
            const claimTemplates = template.kind === "StatefulSet" ? asArray(asRecord(r.props.spec).volumeClaimTemplates) : [];
            const claimVolumes = asArray(template.spec.volumes).filter((v) => isRecord(v) && isRecord(v.persistentVolumeClaim));
            if (claimTemplates.length === 0 && claimVolumes.length === 0) return;
            if (declared(asRecord(asRecord(r.props.metadata).annotations)[BACKUP_NOT_NEEDED])) return;
            const service = String(template.podLabels[K8S_SERVICE_LABEL] ?? r.name);
            const found = backups.some(({ template: t }) => t!.namespace === template.namespace && t!.labels[K8S_SERVICE_LABEL] === service);
            if (found) return;
            reportViolation(
                `${describeResource(r.type, r.name)} keeps data in PersistentVolumeClaims, but no backup CronJob in namespace ${template.namespace} backs up service ${service}; ` +
                    `required: a CronJob labelled ${K8S_SERVICE_LABEL}=${service} and ${roleLabel}=${role}, not suspended (${EXEMPT})`,
                r.urn,
            );
        });
    },
};

/**
 * Docker (dev): a service container with a writable named volume has a backup scheduler
 * container of its service (`llm-platform.role: backup`). Advisory: dev data is the
 * developer's to lose, but a missing scheduler there means a missing job in prod too.
 */
export const dockerStatefulBackups: StackValidationPolicy = {
    name: "docker-stateful-backups",
    description:
        "Advisory: every Docker service container with a writable named volume has a backup scheduler container of its service " +
        "(labels llm-platform.service and llm-platform.role=backup), or declares why its data needs no backup (label " +
        "llm-platform.backup-not-needed).",
    enforcementLevel: "advisory",
    configSchema: schema,
    validateStack: (args, reportViolation) => {
        const [roleLabel, role] = backupLabelOf(args);
        const scheduled = new Set(
            args.resources.filter((r) => r.type === DOCKER_CONTAINER && dockerLabel(r.props, roleLabel) === role).map((r) => dockerServiceOf(r.name, r.props)),
        );
        eachKnown(args.resources, (r) => {
            if (r.type !== DOCKER_CONTAINER || dockerRoleLabel(r.props) !== "service") return;
            const data = asArray(r.props.volumes).filter((v) => isRecord(v) && typeof v.volumeName === "string" && v.readOnly !== true);
            if (data.length === 0 || declared(dockerLabel(r.props, BACKUP_NOT_NEEDED))) return;
            const service = dockerServiceOf(r.name, r.props);
            if (scheduled.has(service)) return;
            const paths = data.map((v) => asRecord(v).containerPath).join(", ");
            reportViolation(
                `${describeResource(r.type, r.name)} keeps data in named volumes (${paths}), but no backup scheduler container of service ${service} exists; ` +
                    `required: a container labelled llm-platform.service=${service} and ${roleLabel}=${role} (${EXEMPT})`,
                r.urn,
            );
        });
    },
};
