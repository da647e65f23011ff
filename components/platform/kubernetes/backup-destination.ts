import * as pulumi from "@pulumi/pulumi";

// Apart from backups.ts: CloudNativePG's object store names it too, and backups.ts imports cloudnative-pg.ts.
/** Where the backups go: the S3 bucket and the role of the AwsProduction component. */
export interface BackupDestination {
    readonly bucket: pulumi.Input<string>;
    /** Ends in `/`. */
    readonly prefix: string;
    readonly region: string;
    /** The ServiceAccount the role trusts (Pod Identity association or IRSA trust). */
    readonly serviceAccount: string;
    readonly identity: "pod-identity" | "irsa";
    readonly roleArn: pulumi.Input<string>;
    /** The role and its Pod Identity association: a pod created before them gets no credentials. */
    readonly ready: pulumi.Resource[];
    /** The Pushgateway's base URL when metrics are on: the jobs push their last-success metric there. */
    readonly pushgatewayUrl?: string;
    /** Longest a backup job may run (a periodic one: at most its period). */
    readonly jobDeadlineMinutes: number;
    /** How long S3 may take to bring an archived backup back (0: nothing is archived out of reach): a restore Job waits that much longer. */
    readonly archiveRestoreHours: number;
    /**
     * Private ranges where S3 and STS may answer: with interface endpoints and private DNS, their
     * names resolve to the endpoints' addresses in the VPC, which the internet rule excludes.
     */
    readonly privateEndpointCidrs?: readonly string[];
}
