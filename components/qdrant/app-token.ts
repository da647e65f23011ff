import { createHmac } from "node:crypto";

const base64url = (s: string | Buffer) => Buffer.from(s).toString("base64url");

/**
 * A JWT that opens one collection for reading and writing, as Qdrant v1.19 checks it with
 * `service.jwt_rbac` on: signed HS256 with the API key itself (src/common/auth/mod.rs:94-100,
 * src/common/auth/jwt_parser.rs:15-18), the claim `access` a list of `{collection, access}` with
 * `rw` for read and write (lib/storage/src/rbac/mod.rs:47-50, :101). All claims are optional
 * (jwt_parser.rs:28) and no `exp` is set (claims.rs:14): the token lives as long as the key, and a
 * rotated key re-signs it (the old one is then refused). The API key itself keeps full access
 * (mod.rs:153-155): the platform's own steps and backups use it.
 */
export function qdrantCollectionToken(apiKey: string, collection: string): string {
    const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
    const claims = base64url(JSON.stringify({ access: [{ collection, access: "rw" }] }));
    const signature = createHmac("sha256", apiKey).update(`${header}.${claims}`).digest("base64url");
    return `${header}.${claims}.${signature}`;
}
