import { Upstream } from "../proxy/nginx-conf";

export const GRAFANA_PORT = 3000;
export const KIBANA_PORT = 5601;
/** Path prefixes of the UIs behind the TLS proxy. */
export const GRAFANA_PATH = "/grafana";
export const KIBANA_PATH = "/kibana";

/**
 * The UIs the proxy serves under their own path prefixes (each serves itself from that
 * sub-path, so nothing is stripped). Each asks for its own login; neither publishes a port.
 */
export function observabilityRoutes(o: { readonly metrics: boolean; readonly logs: boolean }): Upstream[] {
    return [
        ...(o.metrics ? [{ name: "grafana", pattern: `^${GRAFANA_PATH}(/.*)?$`, target: `grafana:${GRAFANA_PORT}`, ownLogin: true }] : []),
        ...(o.logs ? [{ name: "kibana", pattern: `^${KIBANA_PATH}(/.*)?$`, target: `kibana:${KIBANA_PORT}`, ownLogin: true }] : []),
    ];
}
