import type { PolicyConfigSchema, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { eachKnown } from "./support/unknowns";
import { asArray, asRecord, isRecord, nonEmptyString } from "./support/values";

const LISTENER_TYPES = ["aws:lb/listener:Listener", "aws:alb/listener:Listener"];
const CLASSIC_ELB = "aws:elb/loadBalancer:LoadBalancer";

// The digits after TLS13-/TLS-/FS- name the lowest TLS version a policy accepts:
// ELBSecurityPolicy-TLS13-1-2-2021-06 (recommended), ...-TLS13-1-2-Res-PQ-2025-09, ...-TLS-1-2-2017-01,
// ...-FS-1-2-Res-2020-10. ELBSecurityPolicy-2016-08, the API default, still accepts TLS 1.0.
const TLS12_POLICY_PATTERN = "^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)-";

const sslPolicyPattern = {
    type: "string" as const,
    default: TLS12_POLICY_PATTERN,
    description: "Regular expression an ELB security policy name must match (TLS 1.2 or newer only).",
};

const listenerSchema: PolicyConfigSchema = {
    properties: {
        sslPolicyPattern,
        tcpPassthroughPorts: {
            type: "array",
            items: { type: "number" },
            default: [],
            description: "Ports where a plain TCP listener is allowed because the target terminates TLS itself (e.g. the proxy on 443).",
        },
    },
};

interface ListenerConfig {
    sslPolicyPattern: string;
    tcpPassthroughPorts: number[];
}

export const loadBalancerListenerTls: ResourceValidationPolicy = {
    name: "load-balancer-listener-tls",
    description:
        "Load-balancer listeners serve HTTPS/TLS with a certificate and a TLS 1.2+ security policy (e.g. " +
        "ELBSecurityPolicy-TLS13-1-2-2021-06); a plain HTTP listener only redirects to HTTPS. Applies to " +
        "aws.lb/aws.alb listeners and classic ELB listeners.",
    enforcementLevel: "mandatory",
    configSchema: listenerSchema,
    validateResource: (args, reportViolation) => {
        const config = configOf<ListenerConfig>(listenerSchema, args);
        const where = describeResource(args.type, args.name);
        if (LISTENER_TYPES.includes(args.type)) checkListener(where, args.props, config, reportViolation);
        else if (args.type === CLASSIC_ELB) checkClassicListeners(where, args.props, config, reportViolation);
    },
};

function checkListener(where: string, props: Record<string, any>, config: ListenerConfig, report: (m: string) => void) {
    // Application load balancers default to HTTP when no protocol is given.
    const protocol = String(props.protocol ?? "HTTP").toUpperCase();
    const port = props.port;
    switch (protocol) {
        case "HTTPS":
        case "TLS":
            if (!nonEmptyString(props.certificateArn)) {
                report(`${where}: ${protocol} listener on port ${port} has no certificateArn; required: an ACM certificate ARN`);
            }
            if (!nonEmptyString(props.sslPolicy)) {
                report(`${where}: ${protocol} listener on port ${port} sets no sslPolicy, so AWS applies ELBSecurityPolicy-2016-08 (TLS 1.0); required: a policy matching ${config.sslPolicyPattern}, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06`);
            } else if (!new RegExp(config.sslPolicyPattern).test(props.sslPolicy)) {
                report(`${where}: sslPolicy is ${props.sslPolicy}, which allows TLS older than 1.2; required: a policy matching ${config.sslPolicyPattern}, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06`);
            }
            return;
        case "HTTP": {
            const actions = asArray(props.defaultActions).filter(isRecord);
            const redirectsToHttps = (a: Record<string, any>) => a.type === "redirect" && String(asRecord(a.redirect).protocol ?? "").toUpperCase() === "HTTPS";
            if (actions.length === 0 || !actions.every(redirectsToHttps)) {
                const found = actions.map((a) => (a.type === "redirect" ? `redirect to ${asRecord(a.redirect).protocol ?? "#{protocol}"}` : a.type)).join(", ");
                report(`${where}: plain HTTP listener on port ${port} does ${found || "nothing"}; required: every default action a redirect with protocol HTTPS`);
            }
            return;
        }
        default:
            if (!config.tcpPassthroughPorts.includes(port)) {
                report(`${where}: ${protocol} listener on port ${port} carries traffic without TLS at the load balancer; required: HTTPS or TLS (or the port in tcpPassthroughPorts when the target terminates TLS)`);
            }
    }
}

function checkClassicListeners(where: string, props: Record<string, any>, config: ListenerConfig, report: (m: string) => void) {
    for (const listener of asArray(props.listeners).filter(isRecord)) {
        const protocol = String(listener.lbProtocol ?? "").toUpperCase();
        const port = listener.lbPort;
        if (protocol === "HTTPS" || protocol === "SSL") {
            if (!nonEmptyString(listener.sslCertificateId)) {
                report(`${where}: ${protocol} listener on port ${port} has no sslCertificateId; required: a certificate ARN`);
            }
        } else if (protocol === "HTTP") {
            report(`${where}: plain HTTP listener on port ${port}; a classic ELB cannot redirect to HTTPS; required: HTTPS (or an application load balancer with a redirect)`);
        } else if (!config.tcpPassthroughPorts.includes(port)) {
            report(`${where}: ${protocol || "unknown"} listener on port ${port} carries traffic without TLS at the load balancer; required: HTTPS or SSL (or the port in tcpPassthroughPorts)`);
        }
    }
}

const classicSchema: PolicyConfigSchema = { properties: { sslPolicyPattern } };

// Protocols an SSL negotiation policy must not enable.
const LEGACY_PROTOCOLS = ["Protocol-SSLv2", "Protocol-SSLv3", "Protocol-TLSv1", "Protocol-TLSv1.1"];

export const classicElbTlsPolicy: StackValidationPolicy = {
    name: "classic-elb-tls-policy",
    description:
        "HTTPS/SSL listeners of a classic ELB get an SSL negotiation policy (aws.elb.LoadBalancerPolicy + ListenerPolicy) " +
        "that allows only TLS 1.2+, e.g. Reference-Security-Policy ELBSecurityPolicy-TLS-1-2-2017-01; without one the " +
        "listener uses ELBSecurityPolicy-2016-08, which accepts TLS 1.0.",
    enforcementLevel: "mandatory",
    configSchema: classicSchema,
    validateStack: (args, reportViolation) => {
        const { sslPolicyPattern: pattern } = configOf<{ sslPolicyPattern: string }>(classicSchema, args);
        const ofType = (type: string) => args.resources.filter((r) => r.type === type);
        const policies = ofType("aws:elb/loadBalancerPolicy:LoadBalancerPolicy");
        const listenerPolicies = ofType("aws:elb/listenerPolicy:ListenerPolicy");
        eachKnown(ofType(CLASSIC_ELB), (elb) => {
            const names = elbNames(elb);
            for (const listener of asArray(elb.props.listeners).filter(isRecord)) {
                const protocol = String(listener.lbProtocol ?? "").toUpperCase();
                if (protocol !== "HTTPS" && protocol !== "SSL") continue;
                const attached = listenerPolicies
                    .filter((lp) => names.has(lp.props.loadBalancerName) && lp.props.loadBalancerPort === listener.lbPort)
                    .flatMap((lp) => asArray(lp.props.policyNames));
                const negotiation = policies.filter(
                    (p) => names.has(p.props.loadBalancerName) && attached.includes(p.props.policyName) && p.props.policyTypeName === "SSLNegotiationPolicyType",
                );
                const where = `${describeResource(elb.type, elb.name)} listener on port ${listener.lbPort}`;
                if (negotiation.length === 0) {
                    reportViolation(`${where}: no SSL negotiation policy attached, so ELBSecurityPolicy-2016-08 (TLS 1.0) applies; required: a policy allowing TLS 1.2+ only`, elb.urn);
                }
                for (const p of negotiation) {
                    const problem = negotiationProblem(p, pattern);
                    if (problem) reportViolation(`${where}: ${problem}`, elb.urn);
                }
            }
        });
    },
};

function elbNames(elb: PolicyResource): Set<unknown> {
    return new Set([elb.props.name, elb.props.id, elb.name].filter((n) => n !== undefined));
}

function negotiationProblem(policy: PolicyResource, pattern: string): string | undefined {
    const attributes = new Map(asArray(policy.props.policyAttributes).filter(isRecord).map((a) => [a.name, String(a.value)]));
    const reference = attributes.get("Reference-Security-Policy");
    if (reference !== undefined) {
        return new RegExp(pattern).test(reference) ? undefined : `policy ${policy.props.policyName} references ${reference}; required: a security policy matching ${pattern}`;
    }
    const enabled = LEGACY_PROTOCOLS.filter((p) => attributes.get(p) === "true");
    if (enabled.length > 0) return `policy ${policy.props.policyName} enables ${enabled.join(", ")}; required: TLS 1.2+ only`;
    if (attributes.get("Protocol-TLSv1.2") !== "true") return `policy ${policy.props.policyName} does not enable Protocol-TLSv1.2; required: Protocol-TLSv1.2 "true"`;
    return undefined;
}
