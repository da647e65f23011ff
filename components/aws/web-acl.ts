import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface WebAclArgs {
    readonly aclName: string;
    readonly loadBalancerArn: pulumi.Input<string>;
    readonly rateLimitPer5Minutes: number;
}

const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true });

/**
 * AWS WAF in front of the ALB: the managed common rule set and a per-IP rate rule. The
 * common set's 8 KB body limit would block embedding and chat requests, so that one rule
 * only counts.
 */
export class WebAcl extends pulumi.ComponentResource {
    readonly arn: pulumi.Output<string>;

    constructor(name: string, args: WebAclArgs, opts: pulumi.ComponentResourceOptions & { provider: aws.Provider }) {
        super("llm-platform:aws:WebAcl", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const acl = new aws.wafv2.WebAcl(
            name,
            {
                name: args.aclName,
                scope: "REGIONAL",
                defaultAction: { allow: {} },
                visibilityConfig: visibility(args.aclName),
                rules: [
                    {
                        name: "aws-common-rule-set",
                        priority: 0,
                        overrideAction: { none: {} },
                        statement: {
                            managedRuleGroupStatement: {
                                vendorName: "AWS",
                                name: "AWSManagedRulesCommonRuleSet",
                                ruleActionOverrides: [{ name: "SizeRestrictions_BODY", actionToUse: { count: {} } }],
                            },
                        },
                        visibilityConfig: visibility(`${args.aclName}-common`),
                    },
                    {
                        name: "rate-per-ip",
                        priority: 1,
                        action: { block: {} },
                        statement: { rateBasedStatement: { limit: args.rateLimitPer5Minutes, aggregateKeyType: "IP", evaluationWindowSec: 300 } },
                        visibilityConfig: visibility(`${args.aclName}-rate`),
                    },
                ],
            },
            child,
        );
        new aws.wafv2.WebAclAssociation(`${name}-association`, { resourceArn: args.loadBalancerArn, webAclArn: acl.arn }, child);
        this.arn = acl.arn;
        this.registerOutputs({ arn: this.arn });
    }
}
