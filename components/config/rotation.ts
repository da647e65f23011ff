import { z } from "zod";

/**
 * `rotation`: per generated secret, its generation (0: the first; `npm run rotate` raises it)
 * and, for an API key, whether the one before it is still accepted (until it is revoked).
 * The keys are the secrets' names (rotatableSecrets), e.g. `proxy-api-key-default`.
 */
export const rotationSchema = z
    .record(
        z.string().regex(/^[A-Za-z0-9-]+$/, "must be a secret's name such as timescale-password (npm run rotate lists them)"),
        z.strictObject({
            generation: z.number().int().min(0).max(10000).default(0),
            previousAccepted: z.boolean().default(false),
        }),
    )
    .default({});

export type RotationConfig = z.output<typeof rotationSchema>;

/**
 * How a secret rotates:
 * - `api-key`: with overlap, the previous key accepted until it is revoked (`--revoke`);
 * - `stored`: the service keeps it in its data (a database login, a key's protection): a step
 *   logs in with the previous one and changes it, and every consumer gets the new one, in one `pulumi up`;
 * - `configured`: the service takes it from its configuration at start (and steps set it where
 *   a store keeps it for a login): the new one reaches the service and every consumer in one `pulumi up`;
 * - `managed`: RDS keeps it in Secrets Manager and rotates it there.
 */
export type SecretKind = "api-key" | "stored" | "configured" | "managed";

export interface RotatableSecret {
    readonly name: string;
    readonly kind: SecretKind;
    /** Who uses it. */
    readonly what: string;
}

/** Every secret the stack generates that `npm run rotate` can rotate, by name (the RandomPassword's own name). */
export function rotatableSecrets(c: {
    readonly proxy: { readonly clients: readonly string[] };
    readonly observability: { readonly metrics: boolean; readonly logs: boolean };
    readonly aws?: unknown;
    readonly apps?: readonly { readonly name: string; readonly databases: { readonly postgres?: { readonly store: string }; readonly sqlserver?: unknown; readonly redis?: unknown } }[];
}): RotatableSecret[] {
    const o = c.observability;
    return [
        ...c.proxy.clients.map((client) => ({ name: `proxy-api-key-${client}`, kind: "api-key" as const, what: `client ${client} of the proxy` })),
        { name: "proxy-api-key-sqlserver", kind: "api-key", what: "SQL Server's external embedding model, through the proxy" },
        { name: "sqlserver-sa-password", kind: "stored", what: "SQL Server's sa login (backups, steps, connection string)" },
        { name: "sqlserver-master-key-password", kind: "stored", what: "the protection of the database master key that encrypts the API key credential" },
        { name: "timescale-password", kind: "stored", what: "TimescaleDB's owner role `postgres` (backups, steps, connection string)" },
        { name: "redis-password", kind: "configured", what: "Valkey's requirepass (exporter, backups, connection string)" },
        { name: "qdrant-api-key", kind: "configured", what: "Qdrant's API key (Prometheus, backups, steps)" },
        ...(o.metrics
            ? ([
                  { name: "sqlserver-monitor-password", kind: "configured", what: "the exporter's login llm_monitor (set by the step sqlserver-monitor-login)" },
                  { name: "timescale-monitor-password", kind: "configured", what: "the exporter's role llm_monitor (set by the step timescale-monitor-role)" },
                  { name: "grafana-admin-password", kind: "stored", what: "Grafana's admin (and the proxy's basic auth in front of it)" },
              ] as const)
            : []),
        ...(o.logs
            ? ([
                  { name: "logs-elastic-password", kind: "stored", what: "Elasticsearch's superuser elastic (the setup step)" },
                  { name: "kibana-analyst-password", kind: "configured", what: "the people's user llm_analyst (Kibana, the proxy's basic auth)" },
                  ...["writer", "reader", "monitor", "tokenIssuer"].map((key) => ({
                      name: `logs-${key}-password`,
                      kind: "configured" as const,
                      what: `Elasticsearch user of ${key === "tokenIssuer" ? "Kibana's token issuer" : key} (set by the step elasticsearch-setup)`,
                  })),
              ] as const)
            : []),
        ...(c.aws !== undefined ? [{ name: "rds-master-password", kind: "managed" as const, what: "RDS's master user (Secrets Manager)" }] : []),
        // The apps' logins: the step timescale-app-roles (RDS: the app database's migrate Job) and redis.conf take the new one, the app at its restart.
        ...(c.apps ?? []).flatMap((a) => [
            ...(a.databases.postgres ? [{ name: `app-${a.name}-postgres-password`, kind: "configured" as const, what: `app ${a.name}'s PostgreSQL login (set by ${a.databases.postgres.store === "rds" ? "the RDS app database's migrate Job" : "the step timescale-app-roles"})` }] : []),
            ...(a.databases.sqlserver ? [{ name: `app-${a.name}-sqlserver-password`, kind: "configured" as const, what: `app ${a.name}'s SQL Server login (set by the step sqlserver-app-logins)` }] : []),
            ...(a.databases.redis ? [{ name: `app-${a.name}-redis-password`, kind: "configured" as const, what: `app ${a.name}'s Redis user (redis.conf)` }] : []),
        ]),
    ];
}

type Issue = (path: (string | number)[], message: string) => void;

/** Only secrets the stack generates rotate; previousAccepted only for API keys. */
export function checkRotationConfig(c: Parameters<typeof rotatableSecrets>[0] & { readonly rotation: RotationConfig }, issue: Issue) {
    const known = new Map(rotatableSecrets(c).map((s) => [s.name, s]));
    for (const [name, state] of Object.entries(c.rotation)) {
        const secret = known.get(name);
        if (!secret) {
            issue(["rotation", name], `is not a secret this stack generates; those that rotate: ${[...known.keys()].join(", ")}`);
        } else if (state.previousAccepted && secret.kind !== "api-key") {
            issue(["rotation", name, "previousAccepted"], "is for API keys only: a stored or configured secret has one valid value at a time");
        } else if (secret.kind === "managed" && state.generation > 0) {
            issue(["rotation", name, "generation"], "is not used: RDS rotates its master password in Secrets Manager (npm run rotate does that)");
        }
    }
}
