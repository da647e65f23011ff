import * as pulumi from "@pulumi/pulumi";
import { ServiceFile } from "../platform/types";
import { Upstream } from "../proxy/nginx-conf";
import { ALERTMANAGER_PATH, GRAFANA_PATH, KIBANA_PATH, PROMETHEUS_PATH } from "../ui-paths";

export const GRAFANA_PORT = 3000;
export const KIBANA_PORT = 5601;
export const PROMETHEUS_PORT = 9090;
export const ALERTMANAGER_PORT = 9093;
// The UIs' paths are known below config too (its notices name a URL): components/ui-paths.ts.
export { ALERTMANAGER_PATH, GRAFANA_PATH, KIBANA_PATH, PROMETHEUS_PATH };
export const GRAFANA_ADMIN_USER = "admin";

const userFile = (ui: string) => `/etc/nginx/auth/${ui}.htpasswd`;

interface UiUser {
    readonly user: string;
    readonly password: pulumi.Input<string>;
}

/**
 * The people who may open each UI: the proxy checks them. Grafana and Kibana sign the same
 * user in; Prometheus and Alertmanager have no users of their own, so the proxy's check is
 * their login (the metrics UIs share Grafana's admin).
 */
export interface UiUsers {
    readonly grafana?: UiUser;
    readonly kibana?: UiUser;
    readonly prometheus?: UiUser;
    readonly alertmanager?: UiUser;
}

/**
 * The UIs the proxy serves under their own path prefixes, behind the proxy's basic auth;
 * none publishes a port. Grafana and Kibana serve themselves from that sub-path; Prometheus
 * and Alertmanager keep their routes at / (their health checks, scrapes and each other's
 * API stay where they were) and only link under it (`--web.external-url`), so the proxy
 * strips the prefix. Their lifecycle endpoints (`/-/reload`, `/-/quit`) stay inside the
 * platform: those paths are a 404 at the proxy.
 */
export function observabilityRoutes(o: { readonly metrics: boolean; readonly logs: boolean }, hostOf: (service: string) => string = (s) => s): Upstream[] {
    const route = (name: string, path: string, port: number, realm: string): Upstream => ({
        name,
        pattern: `^${path}(/.*)?$`,
        target: `${hostOf(name)}:${port}`,
        basicAuth: { realm, userFile: userFile(name) },
    });
    const stripped = (name: string, path: string, port: number, realm: string): Upstream => ({
        ...route(name, path, port, realm),
        pattern: `^${path}(?!/-/)(/.*)?$`,
        stripPrefix: path,
    });
    return [
        ...(o.metrics
            ? [
                  route("grafana", GRAFANA_PATH, GRAFANA_PORT, "Grafana"),
                  stripped("prometheus", PROMETHEUS_PATH, PROMETHEUS_PORT, "Prometheus"),
                  stripped("alertmanager", ALERTMANAGER_PATH, ALERTMANAGER_PORT, "Alertmanager"),
              ]
            : []),
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
