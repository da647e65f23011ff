import type { PolicyConfigSchema } from "@pulumi/policy";
import type { ContainerView } from "./containers";
import { parseImageReference } from "../../shared/image-reference";
import { UnknownValueError } from "./unknowns";

/**
 * What a container runs is what its image is, not what its labels say: a SQL Server pod is
 * SQL Server because it runs `mcr.microsoft.com/mssql/server`, whatever `app` label a user
 * gave it. Rules that hold a service to bounds or settings identify it by its image too.
 *
 * A pattern names a repository without registry or tag; it matches that repository on any
 * registry or mirror path (`redis` matches `redis`, `docker.io/library/redis` and
 * `123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/redis`), and `*` matches
 * any run of characters.
 */
export const DEFAULT_SERVICE_IMAGES: Readonly<Record<string, readonly string[]>> = {
    sqlserver: ["mssql/server", "mssql/rhel/server"],
    elasticsearch: ["elasticsearch/elasticsearch", "elasticsearch"],
    logstash: ["logstash/logstash", "logstash"],
    redis: ["redis", "valkey/valkey", "valkey"],
};

export const serviceImagesProperty: NonNullable<PolicyConfigSchema["properties"]>[string] = {
    type: "object",
    additionalProperties: { type: "array", items: { type: "string" } },
    default: DEFAULT_SERVICE_IMAGES,
    description:
        "Per service: image repositories (no registry or tag; `*` matches any run of characters) that identify it whatever its " +
        "labels say. Entries merge with the defaults service by service; [] drops one.",
};

/** Docker Hub's own spellings of the same repository. */
function withoutDockerHub(repository: string): string {
    return repository.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, "").replace(/^library\//, "");
}

function patternMatches(pattern: string, repository: string): boolean {
    const wanted = withoutDockerHub(pattern.trim().toLowerCase());
    const escaped = wanted.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
    // The repository itself, or the same path under a registry or a mirror's prefix.
    return new RegExp(`(^|/)(library/)?${escaped}$`).test(withoutDockerHub(repository.toLowerCase()));
}

/** The services an image reference identifies (usually none or one). */
export function servicesOfImage(reference: string | undefined, serviceImages: Readonly<Record<string, readonly string[]>>): string[] {
    if (reference === undefined || reference.trim() === "") return [];
    const { repository } = parseImageReference(reference.trim());
    return Object.entries(serviceImages)
        .filter(([, patterns]) => patterns.some((p) => patternMatches(p, repository)))
        .map(([service]) => service);
}

/** The configured map over the defaults, service by service. */
export function serviceImagesOf(configured: Record<string, readonly string[]> | undefined): Record<string, readonly string[]> {
    return { ...DEFAULT_SERVICE_IMAGES, ...(configured ?? {}) };
}

/**
 * The services a long-running container is held to as "the service itself": the one its
 * labels name (when it is the workload's main container), and every one its image is. One-shot
 * steps and jobs are sized for their own task, whatever image they run. While the image is not
 * known yet (a Docker image pulled in the same preview), the labels alone decide.
 */
export function servicesOfContainer(view: ContainerView, serviceImages: Readonly<Record<string, readonly string[]>>): string[] {
    if (view.role !== "service" && view.role !== "sidecar") return [];
    let byImage: string[] = [];
    try {
        byImage = servicesOfImage(view.imageReference, serviceImages);
    } catch (e) {
        if (!(e instanceof UnknownValueError)) throw e;
    }
    return [...new Set([...(view.role === "service" ? [view.service] : []), ...byImage])];
}
