import * as pulumi from "@pulumi/pulumi";
import { Env, ServiceFile } from "../platform/types";

/** Where a client container finds the CA that signed a store's server certificate (a mounted file). */
export const STORE_CA_PATH = "/etc/llm-platform/tls/store-ca.crt";

/**
 * The file connection strings given to users name as `sslrootcert`: the stack's `caCertificatePem`
 * output saved beside the client (a relative path, so libpq reads it from the working directory).
 */
export const HOST_CA_FILE = "llm-platform-ca.pem";

/** The CA as a file in a client's container: public, a ConfigMap key on Kubernetes, an upload on Docker. */
export function storeCaFile(caCertPem: pulumi.Input<string>): ServiceFile {
    return { path: STORE_CA_PATH, content: caCertPem, mode: "0644" };
}

/**
 * libpq's environment (psql, pg_dump, pg_restore, Sqitch) for a server that must prove its name:
 * the host name is checked against the certificate, the chain against the CA file.
 */
export function libpqVerifyFull(caCertPem: pulumi.Input<string>): { env: Env; files: ServiceFile[] } {
    return { env: { PGSSLMODE: "verify-full", PGSSLROOTCERT: STORE_CA_PATH }, files: [storeCaFile(caCertPem)] };
}
