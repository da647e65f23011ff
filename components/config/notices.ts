import { ALERTMANAGER_PATH } from "../ui-paths";
import { pulumiCommand } from "./commands";
import { describeMb, footprintConfigOf } from "./footprint";
import type { PlatformConfig } from "./platform-config";
import { SIZE_AUTO } from "./presets";
import { fitOnEngine } from "./sizing";

/** A line `pulumi up` (and `npm run up`'s preflight) shows once per run. */
export interface Notice {
    readonly level: "info" | "warning";
    readonly text: string;
}

/** The URL clients use for the proxy: `https://localhost:8443` on Docker, the first of `tls.hostnames` on Kubernetes. */
export function publicProxyUrl(c: Pick<PlatformConfig, "platform" | "proxy" | "tls">): string {
    const host = c.platform === "kubernetes" ? c.tls.hostnames[0] : "localhost";
    return `https://${host}${c.proxy.httpsPort === 443 ? "" : `:${c.proxy.httpsPort}`}`;
}

/** An alert receiver is configured: without one, alerts are only visible in Alertmanager's UI. */
export function hasReceivers(r: PlatformConfig["observability"]["alertReceivers"]): boolean {
    return Boolean(r.slackWebhookUrl || r.pagerdutyRoutingKey || r.email);
}

/**
 * What was decided for this machine (`size: auto`, `ollama.gpu: auto`) and what the config
 * leaves out (alert receivers), each said once. Nothing of it is written into the stack file.
 */
export function configNotices(raw: Record<string, unknown>, c: PlatformConfig, stack?: string): Notice[] {
    const notices: Notice[] = [];
    const decide = (key: string) => `set llm-platform:${key} to decide yourself`;
    if (c.platform === "docker" && (raw.size ?? SIZE_AUTO) === SIZE_AUTO) {
        const text = c.engine
            ? `the largest preset whose whole dev stack fits: it asks ${describeMb(fitOnEngine(footprintConfigOf(c), c.engine).totals.atOnce.memoryMb)} of memory limits at once, ` +
              `the Docker engine has ${c.engine.memoryMb} MB and ${c.engine.cpus} CPUs`
            : "no Docker engine answered `docker info`, so the largest preset is planned";
        notices.push({ level: "info", text: `size = auto: ${c.size}, ${text} (${decide("size")}: default or small)` });
    }
    if (c.platform === "docker" && ((raw.ollama as { gpu?: unknown } | undefined)?.gpu ?? "auto") === "auto") {
        const outcome = c.engine
            ? c.engine.nvidiaRuntime
                ? "the Docker engine has the NVIDIA runtime: Ollama runs on the GPU"
                : "the Docker engine has no NVIDIA runtime: Ollama runs on the CPU"
            : "no Docker engine answered `docker info`: Ollama is planned on the CPU";
        notices.push({ level: "info", text: `ollama.gpu = auto: ${outcome} (${decide("ollama.gpu")}: true or false)` });
    }
    if (c.observability.metrics && !hasReceivers(c.observability.alertReceivers)) {
        const ui = `${publicProxyUrl(c)}${ALERTMANAGER_PATH}/`;
        const where =
            c.platform === "kubernetes"
                ? `${ui} (the proxy's login: user admin, credentials.grafanaAdminPassword), or \`kubectl -n ${c.kubernetes.namespace} port-forward svc/alertmanager 9093\` then http://127.0.0.1:9093/`
                : `${ui} (the proxy's login: user admin, credentials.grafanaAdminPassword)`;
        notices.push({
            level: "warning",
            text:
                `observability.alertReceivers has no Slack webhook, PagerDuty routing key or e-mail: alerts are only visible in Alertmanager's UI, ${where}. ` +
                `Add one with ${pulumiCommand(stack, "config set --secret --path observability.alertReceivers.slackWebhookUrl <url>")}`,
        });
    }
    if (c.aws?.cache.acceptAuthToken && c.redis.engine === "elasticache") {
        notices.push({
            level: "warning",
            text:
                "aws.cache.acceptAuthToken is true: ElastiCache's default user takes the old AUTH token with full access. " +
                `It is for the one up that moves the group to RBAC users; once clients use their users, ${pulumiCommand(stack, "config rm --path aws.cache.acceptAuthToken")} and up again, which turns default off`,
        });
    }
    return notices;
}
