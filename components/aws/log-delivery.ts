import * as pulumi from "@pulumi/pulumi";
import { partitionOf } from "./names";

/**
 * The Elastic Load Balancing account that writes ALB access logs, for the regions opened
 * before August 2022: the AWS "Enable access logs for your Application Load Balancer"
 * page, as terraform-provider-aws encodes it in internal/service/elb/service_account_data_source.go
 * (accountIDPerRegionMap, lines 20-48 at 01f43111). Every region opened since (me-central-1,
 * eu-central-2, ap-south-2, il-central-1, ca-west-1, ...) has no such account:
 * `aws.elb.getServiceAccount` fails there with "unsupported AWS Region" (line 89), and the
 * bucket grants the `logdelivery.elasticloadbalancing.amazonaws.com` service principal instead.
 */
export const ELB_LOG_ACCOUNTS: Readonly<Record<string, string>> = {
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-south-1": "718504428378",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-southeast-3": "589379963580",
    "ca-central-1": "985666609251",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
    "eu-central-1": "054676820928",
    "eu-north-1": "897822967062",
    "eu-south-1": "635631232127",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-gov-east-1": "190560391635",
    "us-gov-west-1": "048591011584",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
};

export const ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com";

/**
 * The grant for one ALB's access logs under `<prefix>/AWSLogs/<account>/`: the region's ELB
 * account where one exists, else the log-delivery service principal, bound to this account
 * and this load balancer (aws:SourceAccount, aws:SourceArn; the ARN's name part is known
 * before the ALB exists, so the ALB can wait for this policy).
 */
export function albAccessLogGrant(bucketArn: pulumi.Input<string>, prefix: string, accountId: string, region: string, loadBalancerName: string) {
    const resource = pulumi.interpolate`${bucketArn}/${prefix}/AWSLogs/${accountId}/*`;
    const account = ELB_LOG_ACCOUNTS[region];
    if (account !== undefined) {
        return { Sid: "AlbAccessLogs", Effect: "Allow", Principal: { AWS: `arn:${partitionOf(region)}:iam::${account}:root` }, Action: "s3:PutObject", Resource: resource };
    }
    return {
        Sid: "AlbAccessLogs",
        Effect: "Allow",
        Principal: { Service: ELB_LOG_DELIVERY_SERVICE },
        Action: "s3:PutObject",
        Resource: resource,
        Condition: {
            StringEquals: { "aws:SourceAccount": accountId },
            ArnLike: { "aws:SourceArn": `arn:${partitionOf(region)}:elasticloadbalancing:${region}:${accountId}:loadbalancer/app/${loadBalancerName}/*` },
        },
    };
}

/** Where S3 server access logs go in a log bucket (each source bucket below it). */
export const S3_ACCESS_LOG_PREFIX = "s3-access/";

/**
 * The grant for S3 server access logs under `s3-access/`, from exactly these source buckets
 * of this account (aws:SourceArn, aws:SourceAccount: the S3 user guide's "Enable server
 * access logging" bucket policy).
 */
export function serverAccessLogGrant(bucketArn: pulumi.Input<string>, sourceBuckets: readonly string[], accountId: string, partition: string) {
    return {
        Sid: "S3ServerAccessLogs",
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: pulumi.interpolate`${bucketArn}/${S3_ACCESS_LOG_PREFIX}*`,
        Condition: {
            StringEquals: { "aws:SourceAccount": accountId },
            ArnLike: { "aws:SourceArn": sourceBuckets.map((b) => `arn:${partition}:s3:::${b}`) },
        },
    };
}
