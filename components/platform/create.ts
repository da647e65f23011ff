import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../config/load";
import { DockerPlatform } from "./docker/platform";
import { KubernetesPlatform } from "./kubernetes/platform";
import { Platform } from "./types";

/** The stack's labels on every Docker object (Kubernetes: on every object's metadata). */
export function platformLabels(namePrefix: string): Record<string, string> {
    return { "llm-platform.stack": namePrefix, "llm-platform.managed-by": "pulumi" };
}

/**
 * Picks the platform for the configured kind. Called before the first resource is
 * registered: an unsupported platform stops the program with nothing created.
 */
export function createPlatform(config: PlatformConfig, namePrefix: string): (parent: pulumi.Resource) => Platform {
    switch (config.platform) {
        case "docker":
            return (parent) =>
                new DockerPlatform(
                    "docker",
                    {
                        namePrefix,
                        networkName: config.docker.networkName,
                        subnet: config.docker.subnet,
                        logMaxSizeMb: config.docker.logMaxSizeMb,
                        logMaxFiles: config.docker.logMaxFiles,
                        labels: platformLabels(namePrefix),
                        pullTimeoutMinutes: config.docker.pullTimeoutMinutes,
                        // Unknown without an engine (a preview in CI): most kernels have swap accounting.
                        swapLimit: config.engine?.swapLimit ?? true,
                    },
                    { parent },
                );
        case "kubernetes":
            return (parent) =>
                new KubernetesPlatform("kubernetes", { namePrefix, config: config.kubernetes, labels: platformLabels(namePrefix) }, { parent });
    }
}
