/**
 * The names the exporters log in as, on SQL Server and on TimescaleDB. Config refuses them as an
 * app's login or role, so they sit below both (their SQL is in sqlserver/ and timescale/).
 */

/** The login sql_exporter uses; its password arrives as the sqlcmd variable MONITOR_PASSWORD (env), never in the file. */
export const MONITOR_LOGIN = "llm_monitor";

/** The role postgres-exporter logs in as; its password arrives in an env var, never in the file. */
export const MONITOR_ROLE = "llm_monitor";
