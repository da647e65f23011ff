import { describeResource } from "./describe";
import { DOCKER_CONTAINER, dockerCommandLine, dockerCpuLimit, dockerRoleOf, dockerServiceOf, dockerUploads, FileContent } from "./docker";
import { dockerEnv, expand, kubernetesEnv } from "./env";
import { isImageId } from "../../shared/image-reference";
import { describeContainer, kubernetesServiceOf, mainContainerName, podContainers, podTemplateOf, PodTemplate } from "./kubernetes";
import { quantityToCores, quantityToMb } from "./quantities";
import { asArray, asRecord } from "./values";

/**
 * One container of either platform, in the terms the rules speak: its service, its
 * role, its limits, what it is told through env, command line and files. Everything
 * past identity is read on first use: during preview a rule that needs only the limits
 * must not trip over an env value that is not known yet.
 */
export interface ContainerView {
    readonly platform: "docker" | "kubernetes";
    /** e.g. `docker:index/container:Container "redis"` or `... StatefulSet "redis" container "redis"`. */
    readonly where: string;
    readonly service: string;
    /** service: the service's own process; init/job: one-shot steps; sidecar: helpers next to it. */
    readonly role: "service" | "sidecar" | "init" | "job";
    readonly memoryLimitMb?: number;
    readonly cpuLimit?: number;
    readonly env: ReadonlyMap<string, string>;
    readonly commandLine: readonly string[];
    readonly files: readonly FileContent[];
    readonly gpus: { readonly docker?: string; readonly kubernetesLimits?: Record<string, unknown> };
    readonly privileged: boolean;
    /** The image as the resource gives it: a reference, or on Docker the ID of a pulled RemoteImage. */
    readonly image?: string;
    /** The image's reference: a Docker image ID resolved through the stack's RemoteImages when known. */
    readonly imageReference?: string;
    /** Kubernetes only: the container's name. */
    readonly containerName?: string;
    /** From a `*Patch` resource: what it leaves out keeps its live value, so only what it sets is known. */
    readonly patch: boolean;
}

/** Data of the stack's ConfigMaps and Secrets, by namespace and name, read only when asked. */
export type StackData = (kind: "configMap" | "secret", namespace: string, name: string) => Record<string, string> | undefined;

/** Resolves files that a Kubernetes container mounts from ConfigMaps or Secrets (stack policies only). */
export type MountedFiles = (template: PodTemplate, container: Record<string, any>) => FileContent[];

/**
 * What a stack policy knows beyond the workload: the files it mounts, the ConfigMap/Secret
 * data it reads, and the reference of a Docker image ID (the RemoteImage that pulled it).
 */
export interface StackLookup {
    readonly files: MountedFiles;
    readonly data: StackData;
    readonly imageReference: (imageId: string) => string | undefined;
}

export function containerViews(type: string, name: string, props: Record<string, any>, stack?: StackLookup): ContainerView[] {
    if (type === DOCKER_CONTAINER) return [dockerView(type, name, props, stack)];
    const template = podTemplateOf(type, props, { patches: true });
    return template ? kubernetesViews(type, name, template, stack) : [];
}

const text = (value: unknown) => (typeof value === "string" ? value : undefined);
const words = (...lists: unknown[]) => lists.flatMap(asArray).filter((w): w is string => typeof w === "string");

function dockerView(type: string, name: string, props: Record<string, any>, stack?: StackLookup): ContainerView {
    return {
        platform: "docker",
        patch: false,
        where: describeResource(type, name),
        service: dockerServiceOf(name, props),
        role: dockerRoleOf(props),
        get memoryLimitMb() {
            return typeof props.memory === "number" && props.memory > 0 ? props.memory : undefined;
        },
        get cpuLimit() {
            return dockerCpuLimit(props).cores;
        },
        get env() {
            return dockerEnv(props.envs);
        },
        get commandLine() {
            return dockerCommandLine(props);
        },
        get files() {
            return dockerUploads(props);
        },
        get gpus() {
            return { docker: text(props.gpus) };
        },
        get privileged() {
            return props.privileged === true;
        },
        get image() {
            return text(props.image);
        },
        get imageReference() {
            const image = text(props.image);
            return image && isImageId(image) ? stack?.imageReference(image) : image;
        },
    };
}

function kubernetesViews(type: string, name: string, template: PodTemplate, stack?: StackLookup): ContainerView[] {
    const service = kubernetesServiceOf(name, template.labels);
    const main = mainContainerName(template.spec, service);
    const oneShot = template.kind === "Job" || template.kind === "CronJob";
    return podContainers(template.spec).map((c) => {
        const limits = () => asRecord(asRecord(c.container.resources).limits);
        return {
            platform: "kubernetes" as const,
            patch: template.patch,
            where: `${describeResource(type, name)} ${describeContainer(c)}`,
            service,
            role: c.init ? "init" : oneShot ? "job" : c.name === main ? "service" : "sidecar",
            containerName: c.name,
            get memoryLimitMb() {
                return quantityToMb(limits().memory);
            },
            get cpuLimit() {
                return quantityToCores(limits().cpu);
            },
            get env() {
                return kubernetesEnv(c.container, stack && ((kind, source) => stack.data(kind, template.namespace, source)));
            },
            get commandLine() {
                // The kubelet expands $(VAR) in command and args from the container's environment.
                const env = this.env;
                return words(c.container.command, c.container.args).map((w) => expand(w, env));
            },
            get files() {
                return stack ? stack.files(template, c.container) : [];
            },
            get gpus() {
                return { kubernetesLimits: limits() };
            },
            get privileged() {
                return asRecord(c.container.securityContext).privileged === true;
            },
            get image() {
                return text(c.container.image);
            },
            get imageReference() {
                return text(c.container.image);
            },
        };
    });
}
