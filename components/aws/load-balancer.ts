import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AwsSettings } from "./settings";
import { Network } from "./network";
import { PROXY_DEREGISTRATION_DELAY_SECONDS } from "../proxy-draining";

const HTTPS = 443;
const HTTP = 80;
/** A request with this header set to `always` goes to the canary alone (the smoke checks' way to test it). */
export const CANARY_HEADER = "X-LLM-Platform-Canary";
const CANARY_RULE_PRIORITY = 10;

export interface LoadBalancerArgs {
    /** Stack-scoped; ALB and target-group names are at most 32 characters. */
    readonly namePrefix: string;
    readonly config: AwsSettings["loadBalancer"];
    readonly network: Network;
    /** An issued certificate's ARN (imported, or the DNS validation's). */
    readonly certificateArn: pulumi.Input<string>;
    /** What must exist before the HTTPS listener: the certificate's validation. */
    readonly certificateReady: pulumi.Resource[];
    readonly accessLogs: { readonly bucket: pulumi.Input<string>; readonly prefix: string; readonly ready: pulumi.Resource[] };
    /**
     * The proxy's Kubernetes Service (NGINX terminates TLS again on its port) and, while a release is
     * canaried, the canary proxy's Service and its percent of the requests (proxy.canary).
     */
    readonly proxy: { readonly serviceName: string; readonly port: number; readonly canary?: { readonly serviceName: string; readonly weight: number } };
    readonly kubernetes: { readonly provider: k8s.Provider; readonly namespace: pulumi.Input<string> };
}

/**
 * The public entry: an internet-facing ALB in the public subnets, HTTPS with a TLS 1.2+
 * policy and HTTP that only redirects, forwarding over HTTPS to the proxy pods (IP
 * targets registered by the AWS Load Balancer Controller from a TargetGroupBinding).
 */
export class LoadBalancer extends pulumi.ComponentResource {
    readonly arn: pulumi.Output<string>;
    readonly dnsName: pulumi.Output<string>;
    readonly zoneId: pulumi.Output<string>;
    readonly targetGroupArn: pulumi.Output<string>;
    readonly canaryTargetGroupArn?: pulumi.Output<string>;

    constructor(name: string, args: LoadBalancerArgs, opts: pulumi.ComponentResourceOptions & { provider: aws.Provider }) {
        super("llm-platform:aws:LoadBalancer", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const c = args.config;
        const n = args.network;
        const lbName = loadBalancerName(args.namePrefix);

        const securityGroup = new aws.ec2.SecurityGroup(`${name}-sg`, { name: `${args.namePrefix}-alb`, description: `ALB ${lbName}: HTTPS and HTTP in, the proxy out`, vpcId: n.vpcId }, child);
        const sources = c.allowedCidrs.length > 0 ? c.allowedCidrs : ["0.0.0.0/0"];
        for (const port of [HTTPS, HTTP]) {
            sources.forEach((cidr, i) =>
                new aws.vpc.SecurityGroupIngressRule(
                    `${name}-in-${port}-${i}`,
                    { securityGroupId: securityGroup.id, cidrIpv4: cidr, ipProtocol: "tcp", fromPort: port, toPort: port, description: `${port === HTTPS ? "HTTPS" : "HTTP (redirect)"} from ${cidr}` },
                    child,
                ),
            );
        }
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-to-proxy`,
            { securityGroupId: securityGroup.id, referencedSecurityGroupId: n.clusterSecurityGroupId, ipProtocol: "tcp", fromPort: args.proxy.port, toPort: args.proxy.port, description: "HTTPS to the proxy pods" },
            child,
        );
        // Pods use the cluster security group: the proxy's port is opened to the ALB's group, nothing else.
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-proxy-from-alb`,
            { securityGroupId: n.clusterSecurityGroupId, referencedSecurityGroupId: securityGroup.id, ipProtocol: "tcp", fromPort: args.proxy.port, toPort: args.proxy.port, description: `proxy pods from ALB ${lbName}` },
            child,
        );

        const lb = new aws.lb.LoadBalancer(
            name,
            {
                name: lbName,
                loadBalancerType: "application",
                internal: false,
                subnets: [...n.publicSubnetIds],
                securityGroups: [securityGroup.id],
                dropInvalidHeaderFields: true,
                // AWS refuses to delete the ALB while this is on (DeleteLoadBalancer: OperationNotPermitted),
                // which fails `pulumi destroy`: aws.loadBalancer.deletionProtection off, `pulumi up`, then destroy.
                enableDeletionProtection: c.deletionProtection,
                idleTimeout: c.idleTimeoutSeconds,
                desyncMitigationMode: "defensive",
                accessLogs: { bucket: args.accessLogs.bucket, prefix: args.accessLogs.prefix, enabled: true },
            },
            // ELB checks it may write the access logs when the ALB is created.
            { ...child, dependsOn: args.accessLogs.ready },
        );
        // A target group per proxy Deployment, its pods registered by the controller from a TargetGroupBinding.
        const proxyTargets = (resourceName: string, bindingResourceName: string, groupName: string, serviceName: string) => {
            const group = new aws.lb.TargetGroup(
                resourceName,
                {
                    name: truncateName(groupName, 32),
                    targetType: "ip",
                    protocol: "HTTPS",
                    protocolVersion: "HTTP1",
                    port: args.proxy.port,
                    vpcId: n.vpcId,
                    deregistrationDelay: PROXY_DEREGISTRATION_DELAY_SECONDS,
                    healthCheck: { enabled: true, protocol: "HTTPS", path: "/healthz", port: "traffic-port", matcher: "200", interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
                },
                child,
            );
            new k8s.apiextensions.CustomResource(
                bindingResourceName,
                {
                    apiVersion: "elbv2.k8s.aws/v1beta1",
                    kind: "TargetGroupBinding",
                    metadata: { name: `${serviceName}-alb`, namespace: args.kubernetes.namespace },
                    spec: { serviceRef: { name: serviceName, port: args.proxy.port }, targetGroupARN: group.arn, targetType: "ip" },
                },
                { parent: this, provider: args.kubernetes.provider },
            );
            return group;
        };
        const targetGroup = proxyTargets(`${name}-proxy`, `${name}-binding`, `${args.namePrefix}-proxy`, args.proxy.serviceName);
        const canary = args.proxy.canary;
        const canaryGroup = canary && proxyTargets(`${name}-proxy-canary`, `${name}-canary-binding`, `${args.namePrefix}-proxy-canary`, canary.serviceName);
        // Without a canary: one plain forward (as before canaries existed, so enabling none changes nothing).
        // With one: the ALB's weighted forward. No stickiness block: the provider reads a forward's
        // stickiness back as {enabled: false, duration: 0} and plans no change (terraform-provider-aws
        // internal/service/elbv2/listener_test.go TestAccELBV2Listener_forwardWeighted and
        // _ActionForward_ForwardBlock_RemoveStickiness); targetGroupArn stays unset, as the forward block
        // reads back with target_group_arn "" (same file, _TargetGroupARNToForwardBlock_NoChanges).
        const defaultAction: aws.types.input.lb.ListenerDefaultAction = canaryGroup
            ? {
                  type: "forward",
                  forward: {
                      targetGroups: [
                          { arn: targetGroup.arn, weight: 100 - canary.weight },
                          { arn: canaryGroup.arn, weight: canary.weight },
                      ],
                  },
              }
            : { type: "forward", targetGroupArn: targetGroup.arn };
        const https = new aws.lb.Listener(
            `${name}-https`,
            {
                loadBalancerArn: lb.arn,
                port: HTTPS,
                protocol: "HTTPS",
                sslPolicy: c.sslPolicy,
                certificateArn: args.certificateArn,
                defaultActions: [defaultAction],
            },
            { ...child, dependsOn: args.certificateReady },
        );
        if (canaryGroup) {
            // The smoke checks reach the canary alone through the public entry with this header.
            new aws.lb.ListenerRule(
                `${name}-canary-by-header`,
                {
                    listenerArn: https.arn,
                    priority: CANARY_RULE_PRIORITY,
                    conditions: [{ httpHeader: { httpHeaderName: CANARY_HEADER, values: ["always"] } }],
                    actions: [{ type: "forward", targetGroupArn: canaryGroup.arn }],
                },
                child,
            );
        }
        new aws.lb.Listener(
            `${name}-http`,
            {
                loadBalancerArn: lb.arn,
                port: HTTP,
                protocol: "HTTP",
                defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: String(HTTPS), statusCode: "HTTP_301" } }],
            },
            child,
        );
        this.arn = lb.arn;
        this.dnsName = lb.dnsName;
        this.zoneId = lb.zoneId;
        this.targetGroupArn = targetGroup.arn;
        this.canaryTargetGroupArn = canaryGroup?.arn;
        this.registerOutputs({ dnsName: this.dnsName, targetGroupArn: this.targetGroupArn });
    }
}

/** The ALB's name: the stack prefix, cut to AWS's limit. */
export const loadBalancerName = (namePrefix: string) => truncateName(namePrefix, 32);

/** AWS load-balancer and target-group names: at most 32 characters, no trailing hyphen. */
export function truncateName(name: string, max: number): string {
    return name.slice(0, max).replace(/-+$/, "");
}
