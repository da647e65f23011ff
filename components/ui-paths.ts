/**
 * Path prefixes of the observability UIs behind the TLS proxy. observability/routes.ts serves
 * them; config's notices name the Alertmanager URL. Below both, importing nothing.
 */
export const GRAFANA_PATH = "/grafana";
export const KIBANA_PATH = "/kibana";
export const PROMETHEUS_PATH = "/prometheus";
export const ALERTMANAGER_PATH = "/alertmanager";
