import { DOCKER_CONTAINER, dockerUploads } from "./docker";
import { K8S_CONFIG_MAP, K8S_SECRET } from "./kubernetes";
import { dataOf } from "./mounted-files";
import { allDirectives, Directive, tryParseNginx } from "./nginx";

export interface NginxFile {
    /** Where the file is, e.g. `upload /etc/nginx/nginx.conf` or `data["nginx.conf"]`. */
    readonly field: string;
    readonly directives: readonly Directive[];
}

/** Uploaded paths nginx reads: its config tree, and the official image's templates (envsubst'd at start). */
const NGINX_PATH = /^\/etc\/nginx\/(.*\.conf|templates\/.*\.template)$/;
/** Keys that may hold nginx configs (nginx.conf, conf.d files, templates). */
const NGINX_KEY = /(^|\.)(conf|template)$/;
/** Directives that make a parsed file an nginx config rather than some other `key value;` format. */
const NGINX_DIRECTIVES = new Set(["http", "server", "location", "upstream", "listen", "ssl_protocols", "proxy_pass"]);

function looksLikeNginx(directives: readonly Directive[]): boolean {
    return allDirectives(directives).some((d) => NGINX_DIRECTIVES.has(d.name));
}

/**
 * nginx configs carried by a resource: Docker uploads under /etc/nginx (templates
 * included), and ConfigMap or Secret keys (*.conf, *.template) that parse as nginx.
 * A file that does not parse is returned with `unparseable` so rules can say so.
 */
export function nginxFiles(type: string, props: Record<string, any>): (NginxFile & { unparseable?: boolean })[] {
    if (type === DOCKER_CONTAINER) {
        return dockerUploads(props)
            .filter((f) => NGINX_PATH.test(f.path))
            .map((f) => {
                const directives = tryParseNginx(f.content);
                return { field: `upload ${f.path}`, directives: directives ?? [], ...(directives ? {} : { unparseable: true }) };
            });
    }
    if (type === K8S_CONFIG_MAP || type === K8S_SECRET) {
        const files: NginxFile[] = [];
        for (const [key, content] of Object.entries(dataOf(type, props))) {
            if (!NGINX_KEY.test(key)) continue;
            const directives = tryParseNginx(content);
            if (directives && looksLikeNginx(directives)) files.push({ field: `data["${key}"]`, directives });
        }
        return files;
    }
    return [];
}
