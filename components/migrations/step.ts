import * as pulumi from "@pulumi/pulumi";
import { STORE_CA_PATH, storeCaFile } from "../tls/store-clients";
import { defaultImages } from "../config/images";
import { jvmStepResources, stepResources } from "../platform/resources";
import { Env, InitStep, ServiceFile } from "../platform/types";
import { MigrationPlan, planFiles, runnerScript } from "./plan";

export const MIGRATE_STEP = "migrate";
export const MIGRATE_SCRIPT = "/opt/llm-platform/migrate.sh";
export const PLAN_DIR = "/opt/llm-platform/migrations";
const AFTER_DEPLOY_FILE = "/opt/llm-platform/after-deploy.sql";

/** The images' own unprivileged users: sqitch (docker-sqitch's Dockerfile), liquibase (liquibase/docker's). */
const SQITCH_USER = { uid: 1024, gid: 1024 };
const LIQUIBASE_USER = { uid: 1001, gid: 1001 };
/** C1 only starts a short-lived run faster. */
const LIQUIBASE_JAVA_OPTS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:MaxRAMPercentage=50";

/**
 * The database a migration runs against: whatever serves it (a StatefulSet today, an operator's
 * cluster or a managed service tomorrow), only its address and credentials are given here.
 */
export interface MigrationTarget {
    readonly host: pulumi.Input<string>;
    readonly port: number;
    readonly database: string;
    readonly user: string;
    /** Secret. */
    readonly password?: pulumi.Input<string>;
    /**
     * Sqitch, instead of `password`: a file in the pod holding a JSON secret with `password`
     * (RDS's master user secret from Secrets Manager, written by an init container).
     */
    readonly passwordJsonFile?: string;
    /** libpq's sslmode (PostgreSQL); unset: libpq's default, `prefer`. */
    readonly sslMode?: "disable" | "prefer" | "require" | "verify-ca" | "verify-full";
    /** The CA that signed the server's certificate (verify-ca, verify-full): a file in the step's container. */
    readonly caCertPem?: pulumi.Input<string>;
}

/** Databases an earlier release's init step created: they are recorded up to `to` without running it, once `evidence` verifies. */
export interface Adoption {
    /** Sqitch: a tag of the plan (`@init-steps`); Liquibase: the id of a tagDatabase changeset (`init-steps`). */
    readonly to: string;
    /** A change whose verify script passes only on a database the init step set up. */
    readonly evidence: string;
}

export interface MigrationStepArgs {
    readonly plan: MigrationPlan;
    readonly target: MigrationTarget;
    readonly adopt?: Adoption;
    /** Liquibase: the changelog's ${parameters}. */
    readonly parameters?: Readonly<Record<string, string | number>>;
    /** Sqitch: a psql script run after every successful deploy, for settings that follow the configuration. */
    readonly afterDeploy?: pulumi.Input<string>;
    /** The service's backup job that must succeed right before the step where backups are uploaded (prod). */
    readonly backupFirst?: string;
}

/** The `migrate` step of a store: its plan, the engine's image and runner, the target; it deploys. */
export function migrationStep(a: MigrationStepArgs): InitStep {
    const common = {
        name: MIGRATE_STEP,
        entrypoint: ["/bin/sh", MIGRATE_SCRIPT],
        command: ["deploy"],
        migration: { backupFirst: a.backupFirst },
    };
    const adoptEnv: Env = a.adopt ? { MIGRATE_ADOPT_TO: a.adopt.to, MIGRATE_ADOPT_EVIDENCE: a.adopt.evidence } : {};
    const files: ServiceFile[] = [{ path: MIGRATE_SCRIPT, content: runnerScript(a.plan.engine), mode: "0755" }, ...planFiles(a.plan, PLAN_DIR)];
    const t = a.target;
    if ((t.password === undefined) === (t.passwordJsonFile === undefined)) throw new Error("a migration target has a password or a password file, one of them");
    if (a.plan.engine === "sqitch") {
        if (a.parameters) throw new Error("a Sqitch plan takes no changelog parameters");
        return {
            ...common,
            image: defaultImages.sqitch,
            env: {
                MIGRATE_PLAN_DIR: PLAN_DIR,
                PGHOST: t.host,
                PGPORT: String(t.port),
                PGDATABASE: t.database,
                PGUSER: t.user,
                ...(t.sslMode ? { PGSSLMODE: t.sslMode } : {}),
                ...(t.caCertPem !== undefined ? { PGSSLROOTCERT: STORE_CA_PATH } : {}),
                ...adoptEnv,
                ...(a.afterDeploy !== undefined ? { MIGRATE_AFTER_DEPLOY: AFTER_DEPLOY_FILE } : {}),
                ...(t.passwordJsonFile !== undefined ? { MIGRATE_LOGIN_JSON: t.passwordJsonFile } : {}),
            },
            secretEnv: t.password !== undefined ? { PGPASSWORD: t.password } : undefined,
            files: [
                ...files,
                ...(a.afterDeploy !== undefined ? [{ path: AFTER_DEPLOY_FILE, content: a.afterDeploy, mode: "0644" }] : []),
                ...(t.caCertPem !== undefined ? [storeCaFile(t.caCertPem)] : []),
            ],
            resources: stepResources,
            runAs: SQITCH_USER,
        };
    }
    if (a.afterDeploy !== undefined || t.password === undefined || t.caCertPem !== undefined) throw new Error("after-deploy scripts, password files and a store CA are Sqitch runner features");
    return {
        ...common,
        image: defaultImages.liquibase,
        env: { MIGRATE_PLAN_DIR: PLAN_DIR, JAVA_OPTS: LIQUIBASE_JAVA_OPTS, ...adoptEnv },
        secretEnv: { LIQUIBASE_COMMAND_PASSWORD: t.password },
        files: [...files, { path: `${PLAN_DIR}/liquibase.properties`, content: liquibaseProperties(t, a.parameters ?? {}), mode: "0644" }],
        resources: jvmStepResources,
        runAs: LIQUIBASE_USER,
    };
}

/**
 * Liquibase's defaults file: the changelog, the SQL Server connection (the server's certificate
 * is self-signed, as sqlcmd's -C accepts it) and the changelog's parameters. No password.
 */
export function liquibaseProperties(t: MigrationTarget, parameters: Readonly<Record<string, string | number>>): pulumi.Output<string> {
    return pulumi.output(t.host).apply((host) =>
        [
            "# Generated by llm-platform: the migrate step's connection and changelog parameters.",
            "changelog-file: changelog.yaml",
            `url: jdbc:sqlserver://${host}:${t.port};databaseName=${t.database};encrypt=true;trustServerCertificate=true`,
            `username: ${t.user}`,
            ...Object.entries(parameters)
                .sort(([x], [y]) => x.localeCompare(y))
                .map(([k, v]) => `parameter.${k}: ${v}`),
            "",
        ].join("\n"),
    );
}
