/**
 * What the proxy serves itself, whatever apps are declared: its health check, Ollama's
 * routes (proxy/proxy.ts ollamaRoutes) and the UIs (observability/routes.ts). An app's path prefix
 * must stay clear of these; tests/apps-config.test.ts holds the list to the generated routes.
 */
export const PLATFORM_PATH_PREFIXES = ["/healthz", "/api", "/v1", "/ollama", "/grafana", "/prometheus", "/alertmanager", "/kibana"] as const;

/** The host names the platform's own server answers as (with `tls.hostnames`). */
export const PLATFORM_HOSTS = ["proxy", "localhost"] as const;

/** `/a/b` covers `/a/b` and `/a/b/...`; two prefixes collide when either covers the other (`/` covers everything). */
export function prefixesCollide(a: string, b: string): boolean {
    const covers = (outer: string, inner: string) => outer === "/" || inner === outer || inner.startsWith(`${outer}/`);
    return covers(a, b) || covers(b, a);
}
