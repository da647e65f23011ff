/**
 * What terraform-provider-docker v4.5.0 (under @pulumi/docker 5.2) stores back on Read for every
 * field the program sets, and whether a difference replaces the resource (ForceNew). Each rule
 * cites the provider's source (internal/provider/*.go at tag v4.5.0) or Docker's. Used by
 * tests/docker-read-back.test.ts (a second `pulumi up` changes nothing) and by the Docker
 * lifecycle model (harness/lifecycle/docker-model.ts).
 */
import assert from "node:assert/strict";
import { EngineFacts } from "../../components/machine";
import { goDuration, nanoCpus, nanoCpusString, subnetGateway } from "../../components/platform/docker/provider-forms";

export type ReadBack = (sent: any, engine: EngineFacts) => unknown;

export interface Rule {
    /** ForceNew in the provider's schema: a difference replaces the resource. */
    readonly forceNew: boolean;
    /** Where the provider (or Docker) decides the stored form. */
    readonly source: string;
    /** The value Read stores; undefined when Read leaves the sent value in the state. */
    readonly readBack?: ReadBack;
}

const same: ReadBack = (sent) => sent;
const notRead = (forceNew: boolean, source: string): Rule => ({ forceNew, source });

/** Go's time.ParseDuration for the forms we send, then Duration.String() (the provider's Read). */
const goDurationRoundTrip = (text: string) => {
    const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
    assert.ok(m && text !== "", `not a duration: ${text}`);
    return goDuration(Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0));
};

/** Docker Engine >= 29 fills in the gateway it allocated (moby ea0d934). */
const engineMajor = (e: EngineFacts) => Number(e.serverVersion.split(".")[0]);

export const rules: Record<string, Record<string, Rule>> = {
    "docker:index/container:Container": {
        name: { forceNew: true, source: "resource_docker_container_funcs.go:828 TrimLeft(container.Name, \"/\")", readBack: same },
        image: { forceNew: true, source: "resource_docker_container_funcs.go:839-845 sha256: ids read back as container.Image", readBack: same },
        hostname: { forceNew: true, source: "resource_docker_container_funcs.go:847 Config.Hostname", readBack: same },
        command: { forceNew: true, source: "resource_docker_container_funcs.go:849 Config.Cmd", readBack: same },
        entrypoints: { forceNew: true, source: "resource_docker_container_funcs.go:850 Config.Entrypoint", readBack: same },
        user: { forceNew: true, source: "resource_docker_container_funcs.go:851 Config.User", readBack: same },
        restart: { forceNew: false, source: "resource_docker_container_funcs.go:857 RestartPolicy.Name", readBack: same },
        ports: {
            forceNew: true,
            source: "resource_docker_container_structures.go:35-58 flattenContainerPorts: sorted by internal port (byPortAndProtocol), HostIP as given",
            readBack: (sent: any[]) => [...sent].sort((a, b) => a.internal - b.internal),
        },
        gpus: {
            forceNew: true,
            source: "resource_docker_container_funcs.go:917-923 flattenGPUsFromDeviceRequests: Count -1 with the gpu capability -> \"all\"",
            readBack: same,
        },
        memory: { forceNew: false, source: "resource_docker_container_funcs.go:932 Memory/1024/1024", readBack: (mb: number) => Math.floor((mb * 1024 * 1024) / 1024 / 1024) },
        memoryReservation: { forceNew: false, source: "resource_docker_container_funcs.go:934-938 MemoryReservation/1024/1024", readBack: same },
        memorySwap: {
            forceNew: false,
            source:
                "resource_docker_container_funcs.go:940-944 MemorySwap/1024/1024 when > 0; moby daemon/daemon_unix.go verifyPlatformContainerResources stores -1 when the kernel has no swap accounting",
            readBack: (mb: number, engine) => (engine.swapLimit || mb <= 0 ? mb : -1),
        },
        shmSize: { forceNew: true, source: "resource_docker_container_funcs.go:945 ShmSize/1024/1024", readBack: same },
        cpus: {
            forceNew: true,
            source: "resource_docker_container_funcs.go:947 nanoInt64ToDecimalString(NanoCPUs) (helpers.go:133); create: opts.ParseCPUs",
            readBack: (text: string) => nanoCpusString(nanoCpus(Number(text))),
        },
        cpuShares: { forceNew: false, source: "resource_docker_container_funcs.go:949 CPUShares", readBack: same },
        logDriver: { forceNew: true, source: "resource_docker_container_funcs.go:951 LogConfig.Type", readBack: same },
        logOpts: { forceNew: true, source: "resource_docker_container_funcs.go:952 LogConfig.Config (strings)", readBack: same },
        healthcheck: {
            forceNew: false,
            source: "resource_docker_container_funcs.go:960-970 durations as time.Duration.String(); an update cannot change them, so a diff never settles",
            readBack: (h: any) => ({
                ...h,
                interval: goDurationRoundTrip(h.interval),
                timeout: goDurationRoundTrip(h.timeout),
                startPeriod: goDurationRoundTrip(h.startPeriod),
            }),
        },
        stopTimeout: { forceNew: true, source: "resource_docker_container_funcs.go:978 Config.StopTimeout", readBack: same },
        envs: notRead(true, "resource_docker_container_funcs.go:893-897 env and labels are deliberately not read"),
        labels: notRead(true, "resource_docker_container_funcs.go:893-897 env and labels are deliberately not read"),
        uploads: notRead(true, "resource_docker_container_funcs.go:959 \"upload\" can't be imported"),
        volumes: notRead(true, "resource_docker_container_funcs.go:882 volumes are not read"),
        networksAdvanced: notRead(true, "resource_docker_container_funcs.go:786-795 read only when the state has none (import)"),
        destroyGraceSeconds: notRead(false, "resource_docker_container_funcs.go:931 \"destroy_grace_seconds\" can't be imported"),
        wait: notRead(false, "create-time only (resource_docker_container_funcs.go:588)"),
        waitTimeout: notRead(false, "create-time only (resource_docker_container_funcs.go:614)"),
        attach: notRead(false, "create-time only (resource_docker_container_funcs.go:632)"),
        logs: notRead(false, "create-time only; container_logs is an output"),
        // Read sets it false when a must_run container is found stopped (funcs.go:819-823): that diff restarts it, on purpose.
        mustRun: notRead(false, "resource_docker_container_funcs.go:819-823"),
    },
    "docker:index/network:Network": {
        name: { forceNew: true, source: "resource_docker_network_funcs.go:175 Name", readBack: same },
        driver: { forceNew: true, source: "resource_docker_network_funcs.go:177 Driver", readBack: same },
        labels: { forceNew: true, source: "resource_docker_network_funcs.go:176 mapToLabelSet(Labels)", readBack: same },
        ipamConfigs: {
            forceNew: true,
            source: "resource_docker_network_structures.go:11-37 flattenIpamConfigSpec; Docker Engine >= 29 reports the allocated gateway (moby ea0d934)",
            readBack: (sent: any[], engine) =>
                sent.map((c) => ({ ...c, ...(c.gateway === undefined && engineMajor(engine) >= 29 ? { gateway: subnetGateway(c.subnet) } : {}) })),
        },
    },
    "docker:index/volume:Volume": {
        name: { forceNew: true, source: "resource_docker_volume.go:305 Name", readBack: same },
        labels: { forceNew: true, source: "resource_docker_volume.go:306 mapToLabelSet(Labels)", readBack: same },
    },
    "docker:index/remoteImage:RemoteImage": {
        name: notRead(true, "resource_docker_image_funcs.go:128-130 Read sets only the id, image_id and repo_digest"),
        keepLocally: notRead(false, "delete-time only"),
    },
};

/**
 * A Docker resource's inputs as the provider's Read stores them: what the next `pulumi up`
 * diffs the program's inputs against. Fields Read does not touch stay as sent; a field without
 * a rule is an error (read the provider's Read and add it).
 */
export function storedForm(type: string, name: string, inputs: Record<string, any>, engine: EngineFacts): Record<string, any> {
    const table = rules[type];
    assert.ok(table, `no read-back rules for ${type}: read the provider's Read and add them`);
    const stored: Record<string, any> = {};
    for (const [field, sent] of Object.entries(inputs)) {
        if (sent === undefined) continue;
        const rule = table[field];
        assert.ok(rule, `${type} ${name}: the program sets ${field}, which has no read-back rule`);
        stored[field] = rule.readBack ? rule.readBack(sent, engine) : sent;
    }
    return stored;
}
