/**
 * The Pod Security Standards' `restricted` profile (which includes `baseline`), as the
 * Kubernetes documentation lists its controls (https://kubernetes.io/docs/concepts/security/pod-security-standards/,
 * policy version `latest`), checked on a pod spec the way the PodSecurity admission plugin
 * checks what a namespace labelled `pod-security.kubernetes.io/enforce: restricted` admits.
 * Returns one line per violation, empty when the pod is admitted.
 */

/** Baseline "Capabilities": what a container may add at baseline; restricted allows only NET_BIND_SERVICE. */
const RESTRICTED_ADDABLE = ["NET_BIND_SERVICE"];
/** Baseline "Sysctls": the safe set (as of v1.29). */
const SAFE_SYSCTLS = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
/** Restricted "Volume Types". */
const ALLOWED_VOLUME_SOURCES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
/** Baseline "SELinux": allowed types. */
const SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

export function restrictedViolations(pod: any): string[] {
    const found: string[] = [];
    const podContext = pod.securityContext ?? {};
    const containers: any[] = [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])];
    const each = (check: (c: any, ctx: any) => string | undefined) => {
        for (const c of containers) {
            const problem = check(c, c.securityContext ?? {});
            if (problem) found.push(`container ${c.name}: ${problem}`);
        }
    };

    // Baseline.
    if (podContext.windowsOptions?.hostProcess) found.push("HostProcess: pod sets windowsOptions.hostProcess");
    each((_, ctx) => (ctx.windowsOptions?.hostProcess ? "HostProcess: windowsOptions.hostProcess" : undefined));
    for (const field of ["hostNetwork", "hostPID", "hostIPC"]) if (pod[field]) found.push(`Host Namespaces: ${field} is true`);
    each((_, ctx) => (ctx.privileged ? "Privileged Containers: privileged is true" : undefined));
    for (const v of pod.volumes ?? []) {
        if (v.hostPath) found.push(`HostPath Volumes: volume ${v.name} is a hostPath`);
        const source = Object.keys(v).find((k) => k !== "name");
        if (source && !ALLOWED_VOLUME_SOURCES.includes(source)) found.push(`Volume Types: volume ${v.name} is a ${source}`);
    }
    each((c) => ((c.ports ?? []).some((p: any) => p.hostPort) ? "Host Ports: a hostPort is set" : undefined));
    for (const ctx of [podContext, ...containers.map((c) => c.securityContext ?? {})]) {
        const type = ctx.appArmorProfile?.type;
        if (type !== undefined && !["RuntimeDefault", "Localhost"].includes(type)) found.push(`AppArmor: profile ${type}`);
        const se = ctx.seLinuxOptions;
        if (se && (!SELINUX_TYPES.includes(se.type ?? "") || se.user !== undefined || se.role !== undefined)) found.push(`SELinux: ${JSON.stringify(se)}`);
    }
    each((_, ctx) => (ctx.procMount !== undefined && ctx.procMount !== "Default" ? `/proc Mount Type: ${ctx.procMount}` : undefined));
    for (const s of podContext.sysctls ?? []) if (!SAFE_SYSCTLS.includes(s.name)) found.push(`Sysctls: ${s.name} is not in the safe set`);

    // Restricted.
    each((_, ctx) => (ctx.allowPrivilegeEscalation !== false ? "Privilege Escalation: allowPrivilegeEscalation is not false" : undefined));
    each((_, ctx) => {
        if (ctx.runAsNonRoot === false) return "Running as Non-root: runAsNonRoot is false";
        if (ctx.runAsNonRoot !== true && podContext.runAsNonRoot !== true) return "Running as Non-root: runAsNonRoot is set neither on the pod nor on the container";
        return undefined;
    });
    if (podContext.runAsUser === 0) found.push("Running as Non-root user: pod runAsUser is 0");
    each((_, ctx) => (ctx.runAsUser === 0 ? "Running as Non-root user: runAsUser is 0" : undefined));
    const seccompOk = (type: string | undefined) => type === "RuntimeDefault" || type === "Localhost";
    if (podContext.seccompProfile?.type !== undefined && !seccompOk(podContext.seccompProfile.type)) found.push(`Seccomp: pod profile ${podContext.seccompProfile.type}`);
    each((_, ctx) => {
        const type = ctx.seccompProfile?.type;
        if (type !== undefined && !seccompOk(type)) return `Seccomp: profile ${type}`;
        if (type === undefined && !seccompOk(podContext.seccompProfile?.type)) return "Seccomp: no RuntimeDefault or Localhost profile on the pod or the container";
        return undefined;
    });
    each((_, ctx) => {
        const caps = ctx.capabilities ?? {};
        if (!(caps.drop ?? []).includes("ALL")) return "Capabilities: ALL is not dropped";
        const added = (caps.add ?? []).filter((c: string) => !RESTRICTED_ADDABLE.includes(c));
        return added.length > 0 ? `Capabilities: adds ${added.join(", ")}` : undefined;
    });
    return found;
}
