import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../config/load";
import { resourcesOf } from "../platform/resources";
import { ServiceSpec } from "../platform/types";
import { ManagedDatabase } from "./alert-rules";
import { CLOUDWATCH_EXPORTER, renderCloudwatchExporterConf } from "./cloudwatch-exporter-conf";
import { wgetHealth } from "./exporters";

/** The managed services of prod on AWS that Prometheus watches through CloudWatch. */
export interface ManagedServices {
    readonly region: string;
    /** The stack's name: its AWS resources carry it as a tag. */
    readonly stack: string;
    readonly databases: readonly ManagedDatabase[];
    /** How the exporter takes its role, and the role and its association (components/aws/cloudwatch-reader.ts). */
    readonly identity: NonNullable<ServiceSpec["awsIdentity"]>;
    readonly identityReady: readonly pulumi.Resource[];
}

/**
 * yet-another-cloudwatch-exporter as a service: reads CloudWatch every minute
 * (`-scraping-interval`, 300 s by default: cmd/yace/main.go:179, v0.67.0) with the role its
 * ServiceAccount takes (Pod Identity or IRSA), and serves the result to Prometheus.
 */
export function cloudwatchExporterSpec(c: PlatformConfig, managed: ManagedServices): ServiceSpec {
    const port = CLOUDWATCH_EXPORTER.port;
    return {
        name: CLOUDWATCH_EXPORTER.service,
        image: c.cloudwatchExporter.image,
        command: [`--config.file=${CLOUDWATCH_EXPORTER.configFile}`, `--listen-address=:${port}`, "--scraping-interval=60"],
        files: [{ path: CLOUDWATCH_EXPORTER.configFile, content: renderCloudwatchExporterConf({ region: managed.region, stack: managed.stack }) }],
        ports: [{ name: "metrics", port }],
        resources: resourcesOf(c.cloudwatchExporter),
        // The busybox-based image's wget; /healthz answers once the server runs (cmd/yace/main.go:307).
        healthCheck: wgetHealth(port, "/healthz"),
        runAs: { uid: 65534, gid: 65534 },
        readOnlyRootFilesystem: true,
        // CloudWatch, the tagging API and RDS over HTTPS, with the role of its ServiceAccount.
        internetEgress: true,
        awsIdentity: managed.identity,
        waitFor: managed.identityReady,
        observe: { metrics: { port, path: "/metrics" } },
    };
}
