import type { Exemption } from "./rules/support/exemptions";

/**
 * Resources let off one rule each, with the reason: the pack refuses an entry without a
 * rule it knows, a resource pattern or a reason, and the advisory rule policy-exemptions
 * lists every entry that applies in every preview. Prefer fixing the resource.
 *
 * Example:
 *   { policy: "container-sandbox", resource: "cadvisor", reason: "cAdvisor reads every container's cgroups: needs SYS_ADMIN" }
 */
export const exemptions: readonly Exemption[] = [
    // The observability stack's own stores: what they hold expires by design or comes from the program.
    // (Their services could declare backupNotNeeded instead; components/observability is another change's.)
    {
        policy: "docker-stateful-backups",
        resource: "prometheus",
        reason: "metrics history with its own retention (observability.metricsRetentionDays); the stores it watches are backed up themselves",
    },
    {
        policy: "docker-stateful-backups",
        resource: "alertmanager",
        reason: "silences and the notification log only; active alerts come back from Prometheus' rules within minutes",
    },
    {
        policy: "docker-stateful-backups",
        resource: "grafana",
        reason: "data sources, dashboards and the admin user are provisioned by the program; the volume holds sessions and preferences",
    },
    {
        policy: "docker-stateful-backups",
        resource: "elasticsearch",
        reason: "log indices expire after the ILM retention; saved Kibana objects would be lost with the volume (a snapshot repository is not built)",
    },
];
