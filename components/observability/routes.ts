import * as pulumi from "@pulumi/pulumi";
import { ServiceFile } from "../platform/types";
import { Upstream } from "../proxy/nginx-conf";

export const GRAFANA_PORT = 3000;
export const KIBANA_PORT = 5601;
/** Path prefixes of the UIs behind the TLS proxy. */
export const GRAFANA_PATH = "/grafana";
export const KIBANA_PATH = "/kibana";
export const GRAFANA_ADMIN_USER = "admin";

const userFile = (ui: string) => `/etc/nginx/auth/${ui}.htpasswd`;

/** The people who may open each UI: the proxy checks them, the UI signs the same user in. */
export interface UiUsers {
    readonly grafana?: { readonly user: string; readonly password: pulumi.Input<string> };
    readonly kibana?: { readonly user: string; readonly password: pulumi.Input<string> };
}

/**
 * The UIs the proxy serves under their own path prefixes (each serves itself from that
 * sub-path, so nothing is stripped), behind the proxy's basic auth; neither publishes a port.
 */
export function observabilityRoutes(o: { readonly metrics: boolean; readonly logs: boolean }, hostOf: (service: string) => string = (s) => s): Upstream[] {
    const route = (name: string, path: string, port: number, realm: string): Upstream => ({
        name,
        pattern: `^${path}(/.*)?$`,
        target: `${hostOf(name)}:${port}`,
        basicAuth: { realm, userFile: userFile(name) },
    });
    return [
        ...(o.metrics ? [route("grafana", GRAFANA_PATH, GRAFANA_PORT, "Grafana")] : []),
        ...(o.logs ? [route("kibana", KIBANA_PATH, KIBANA_PORT, "Kibana")] : []),
    ];
}

/** The proxy's user files for the UIs (NGINX's `{PLAIN}` scheme: a hash with a fresh salt would change the file on every `pulumi up`). */
export function uiUserFiles(users: UiUsers): ServiceFile[] {
    return Object.entries(users)
        .filter(([, u]) => u !== undefined)
        .map(([ui, u]) => ({
            path: userFile(ui),
            content: pulumi.output(u!.password).apply((p) => `${u!.user}:{PLAIN}${p}\n`),
            secret: true,
            // Read by NGINX's workers at request time.
            mode: "0644",
        }));
}
