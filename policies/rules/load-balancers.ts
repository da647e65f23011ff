import type { PolicyConfigSchema, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { K8S_INGRESS } from "./support/kubernetes";
import { ALB_ANNOTATION, isAlbIngress, LOAD_BALANCER_TYPES } from "./support/load-balancers";
import { eachKnown } from "./support/unknowns";
import { asArray, asRecord, isRecord, nonEmptyString } from "./support/values";

const LISTENER_TYPES = ["aws:lb/listener:Listener", "aws:alb/listener:Listener"];
const LISTENER_RULE_TYPES = ["aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule"];
const TARGET_GROUP_TYPES = ["aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup"];
const CLASSIC_ELB = "aws:elb/loadBalancer:LoadBalancer";

// The digits after TLS13-/TLS-/FS- name the lowest TLS version a policy accepts:
// ELBSecurityPolicy-TLS13-1-2-2021-06 (recommended), ...-TLS13-1-2-Res-PQ-2025-09, ...-TLS-1-2-2017-01,
// ...-FS-1-2-Res-2020-10. ELBSecurityPolicy-2016-08, the API default, still accepts TLS 1.0.
const TLS12_POLICY_PATTERN = "^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)-";

const schema: PolicyConfigSchema = {
    properties: {
        sslPolicyPattern: {
            type: "string",
            default: TLS12_POLICY_PATTERN,
            description:
                "Regular expression every ELB security policy must match (TLS 1.2 or newer only): listeners' sslPolicy, classic ELB " +
                "negotiation policies and the AWS Load Balancer Controller's ssl-policy annotation.",
        },
        tcpPassthroughPorts: {
            type: "array",
            items: { type: "number" },
            default: [],
            description: "Ports where a plain TCP listener is allowed because the target terminates TLS itself (e.g. the proxy on 443).",
        },
        ingressClassNames: {
            type: "array",
            items: { type: "string" },
            default: ["alb"],
            description: "Ingress classes served by the AWS Load Balancer Controller (an Ingress with alb.ingress.kubernetes.io/ annotations counts too).",
        },
    },
};

interface Config {
    sslPolicyPattern: string;
    tcpPassthroughPorts: number[];
    ingressClassNames: string[];
}

type Report = (message: string) => void;

export const loadBalancerListenerTls: StackValidationPolicy = {
    name: "load-balancer-listener-tls",
    description:
        "Load balancers serve clients over TLS 1.2+ only (sslPolicyPattern, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06): " +
        "aws.lb listeners are HTTPS/TLS with a certificate and a matching sslPolicy, or plain HTTP whose default actions " +
        "and listener rules only redirect to HTTPS; classic ELB listeners are HTTPS/SSL with a certificate and an SSL " +
        "negotiation policy allowing TLS 1.2+ only; Ingresses of the AWS Load Balancer Controller listen on HTTPS with a " +
        "matching ssl-policy annotation and redirect HTTP (ssl-redirect); Ingresses of any other controller list every host " +
        "in spec.tls. Gateway Load Balancer listeners (no protocol: GENEVE to appliances) carry no TLS and are not judged.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateStack: (args, reportViolation) => {
        const config = configOf<Config>(schema, args);
        const ofTypes = (types: readonly string[]) => args.resources.filter((r) => types.includes(r.type));
        const listeners = ofTypes(LISTENER_TYPES);
        const gateway = gatewayListeners(listeners, ofTypes(LOAD_BALANCER_TYPES), ofTypes(TARGET_GROUP_TYPES));
        eachKnown(listeners, (l) => {
            if (!gateway.has(l)) checkListener(describeResource(l.type, l.name), l.props, config, (m) => reportViolation(m, l.urn));
        });
        eachKnown(ofTypes(LISTENER_RULE_TYPES), (rule) => checkListenerRule(rule, listeners, (m) => reportViolation(m, rule.urn)));
        eachKnown(ofTypes([CLASSIC_ELB]), (elb) => checkClassicElb(elb, args.resources, config, (m) => reportViolation(m, elb.urn)));
        eachKnown(args.resources.filter((r) => K8S_INGRESS.test(r.type)), (ingress) => checkIngress(ingress, config, (m) => reportViolation(m, ingress.urn)));
    },
};

const redirectsToHttps = (a: Record<string, any>) => a.type === "redirect" && String(asRecord(a.redirect).protocol ?? "").toUpperCase() === "HTTPS";
const describeActions = (actions: Record<string, any>[]) =>
    actions.map((a) => (a.type === "redirect" ? `redirect to ${asRecord(a.redirect).protocol ?? "#{protocol}"}` : a.type)).join(", ") || "nothing";

function checkSslPolicy(where: string, policy: unknown, config: Config, report: Report) {
    if (!nonEmptyString(policy)) {
        report(`${where} sets no sslPolicy, so AWS applies ELBSecurityPolicy-2016-08 (TLS 1.0); required: a policy matching ${config.sslPolicyPattern}, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06`);
    } else if (!new RegExp(config.sslPolicyPattern).test(policy)) {
        report(`${where}: sslPolicy is ${policy}, which allows TLS older than 1.2; required: a policy matching ${config.sslPolicyPattern}, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06`);
    }
}

function checkListener(where: string, props: Record<string, any>, config: Config, report: Report) {
    // Application load balancers default to HTTP when no protocol is given.
    const protocol = String(props.protocol ?? "HTTP").toUpperCase();
    const port = props.port ?? "(not set)";
    switch (protocol) {
        case "HTTPS":
        case "TLS":
            if (!nonEmptyString(props.certificateArn)) {
                report(`${where}: ${protocol} listener on port ${port} has no certificateArn; required: an ACM certificate ARN`);
            }
            checkSslPolicy(`${where}: ${protocol} listener on port ${port}`, props.sslPolicy, config, report);
            return;
        case "HTTP": {
            const actions = asArray(props.defaultActions).filter(isRecord);
            if (actions.length === 0 || !actions.every(redirectsToHttps)) {
                report(`${where}: plain HTTP listener on port ${port} does ${describeActions(actions)}; required: every default action a redirect with protocol HTTPS`);
            }
            return;
        }
        default:
            if (!config.tcpPassthroughPorts.includes(port)) {
                report(`${where}: ${protocol} listener on port ${port} carries traffic without TLS at the load balancer; required: HTTPS or TLS (or the port in tcpPassthroughPorts when the target terminates TLS)`);
            }
    }
}

/** What a listener, load balancer or target group is referred to by: its ARN, its id, or (with mocks) its logical name. */
function keysOf(r: PolicyResource): Set<unknown> {
    return new Set([r.props.arn, r.props.id, r.name].filter((k) => typeof k === "string" && k.length > 0));
}

/**
 * Listeners of Gateway Load Balancers: they take no protocol or port (GENEVE on 6081 is
 * implied) and hand packets to inspection appliances, so there is no TLS to terminate. Known
 * by their load balancer's loadBalancerType "gateway", or, when the load balancer is not in
 * the stack, by a default action forwarding to a GENEVE target group.
 */
function gatewayListeners(listeners: readonly PolicyResource[], balancers: readonly PolicyResource[], targetGroups: readonly PolicyResource[]): Set<PolicyResource> {
    const found = new Set<PolicyResource>();
    eachKnown(listeners, (l) => {
        if (l.props.protocol !== undefined) return;
        const balancer = balancers.find((b) => keysOf(b).has(l.props.loadBalancerArn));
        if (balancer) {
            if (balancer.props.loadBalancerType === "gateway") found.add(l);
            return;
        }
        const forwardsTo = asArray(l.props.defaultActions).filter(isRecord).map((a) => a.targetGroupArn);
        if (targetGroups.some((tg) => String(tg.props.protocol ?? "").toUpperCase() === "GENEVE" && forwardsTo.some((arn) => keysOf(tg).has(arn)))) found.add(l);
    });
    return found;
}

/** A rule on a plain HTTP listener is cleartext too: it may only redirect to HTTPS. */
function checkListenerRule(rule: PolicyResource, listeners: readonly PolicyResource[], report: Report) {
    const listener = listeners.find((l) => keysOf(l).has(rule.props.listenerArn));
    if (!listener || String(listener.props.protocol ?? "HTTP").toUpperCase() !== "HTTP") return;
    const actions = asArray(rule.props.actions).filter(isRecord);
    if (actions.length > 0 && actions.every(redirectsToHttps)) return;
    report(
        `${describeResource(rule.type, rule.name)}: rule on the plain HTTP listener "${listener.name}" (port ${listener.props.port}) does ` +
            `${describeActions(actions)}, serving cleartext; required: only redirects with protocol HTTPS`,
    );
}

// Protocols an SSL negotiation policy must not enable.
const LEGACY_PROTOCOLS = ["Protocol-SSLv2", "Protocol-SSLv3", "Protocol-TLSv1", "Protocol-TLSv1.1"];

function checkClassicElb(elb: PolicyResource, resources: readonly PolicyResource[], config: Config, report: Report) {
    const where = describeResource(elb.type, elb.name);
    const names = new Set([elb.props.name, elb.props.id, elb.name].filter((n) => n !== undefined));
    const ofType = (type: string) => resources.filter((r) => r.type === type && names.has(r.props.loadBalancerName));
    const policies = ofType("aws:elb/loadBalancerPolicy:LoadBalancerPolicy");
    const listenerPolicies = ofType("aws:elb/listenerPolicy:ListenerPolicy");
    for (const listener of asArray(elb.props.listeners).filter(isRecord)) {
        const protocol = String(listener.lbProtocol ?? "").toUpperCase();
        const port = listener.lbPort;
        if (protocol === "HTTP") {
            report(`${where}: plain HTTP listener on port ${port}; a classic ELB cannot redirect to HTTPS; required: HTTPS (or an application load balancer with a redirect)`);
            continue;
        }
        if (protocol !== "HTTPS" && protocol !== "SSL") {
            if (!config.tcpPassthroughPorts.includes(port)) {
                report(`${where}: ${protocol || "unknown"} listener on port ${port} carries traffic without TLS at the load balancer; required: HTTPS or SSL (or the port in tcpPassthroughPorts)`);
            }
            continue;
        }
        if (!nonEmptyString(listener.sslCertificateId)) {
            report(`${where}: ${protocol} listener on port ${port} has no sslCertificateId; required: a certificate ARN`);
        }
        const attached = listenerPolicies.filter((lp) => lp.props.loadBalancerPort === port).flatMap((lp) => asArray(lp.props.policyNames));
        const negotiation = policies.filter((p) => attached.includes(p.props.policyName) && p.props.policyTypeName === "SSLNegotiationPolicyType");
        if (negotiation.length === 0) {
            report(`${where} listener on port ${port}: no SSL negotiation policy attached, so ELBSecurityPolicy-2016-08 (TLS 1.0) applies; required: a policy allowing TLS 1.2+ only`);
        }
        for (const p of negotiation) {
            const problem = negotiationProblem(p, config.sslPolicyPattern);
            if (problem) report(`${where} listener on port ${port}: ${problem}`);
        }
    }
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

/** Whether a TLS entry's hosts cover a rule's host (`*.example.com` covers one label); an entry without hosts covers any. */
function tlsCovers(tlsHosts: unknown[], host: string | undefined): boolean {
    if (tlsHosts.length === 0) return true;
    if (host === undefined) return false;
    return tlsHosts.some((h) => typeof h === "string" && (h === host || (h.startsWith("*.") && host.endsWith(h.slice(1)) && !host.slice(0, -h.length + 1).includes("."))));
}

/**
 * An Ingress of any other controller (ingress-nginx, Traefik, ...): the controller serves TLS
 * for the hosts listed in spec.tls and plain HTTP for the rest, so every rule's host (and a
 * default backend) needs a TLS entry; ingress-nginx's ssl-redirect "false" keeps HTTP open.
 */
function checkControllerIngress(ingress: PolicyResource, report: Report) {
    const spec = asRecord(ingress.props.spec);
    const where = describeResource(ingress.type, ingress.name);
    const tls = asArray(spec.tls).filter(isRecord).map((t) => asArray(t.hosts));
    const hosts: (string | undefined)[] = asArray(spec.rules).filter(isRecord).map((r) => (typeof r.host === "string" && r.host !== "" ? r.host : undefined));
    if (spec.defaultBackend !== undefined || hosts.length === 0) hosts.push(undefined);
    const uncovered = [...new Set(hosts)].filter((h) => !tls.some((t) => tlsCovers(t, h)));
    if (tls.length === 0) {
        report(`${where}: spec.tls is not set, so the controller serves ${uncovered.map((h) => h ?? "every host").join(", ")} over plain HTTP; required: spec.tls entries (hosts and secretName) for every host`);
    } else if (uncovered.length > 0) {
        report(`${where}: no spec.tls entry covers ${uncovered.map((h) => h ?? "the rules without a host (and the default backend)").join(", ")}, which the controller serves over plain HTTP; required: each host in a spec.tls entry`);
    }
    const redirect = asRecord(asRecord(ingress.props.metadata).annotations)[NGINX_SSL_REDIRECT];
    if (tls.length > 0 && String(redirect).toLowerCase() === "false") {
        report(`${where}: ${NGINX_SSL_REDIRECT} is "false", so ingress-nginx keeps serving plain HTTP next to TLS; required: the annotation removed (it redirects to HTTPS by default)`);
    }
}

const NGINX_SSL_REDIRECT = "nginx.ingress.kubernetes.io/ssl-redirect";

/** An Ingress the AWS Load Balancer Controller turns into an ALB (its class, or its annotations); any other controller's otherwise. */
function checkIngress(ingress: PolicyResource, config: Config, report: Report) {
    if (!isAlbIngress(ingress.props, config.ingressClassNames)) {
        checkControllerIngress(ingress, report);
        return;
    }
    const annotations = asRecord(asRecord(ingress.props.metadata).annotations);
    const where = describeResource(ingress.type, ingress.name);
    const annotation = (key: string) => annotations[`${ALB_ANNOTATION}${key}`];
    let ports: { protocol: string; port: unknown }[];
    const listen = annotation("listen-ports");
    if (typeof listen === "string") {
        try {
            ports = asArray(JSON.parse(listen)).filter(isRecord).flatMap((entry) => Object.entries(entry).map(([protocol, port]) => ({ protocol: protocol.toUpperCase(), port })));
        } catch {
            report(`${where}: ${ALB_ANNOTATION}listen-ports is not JSON (${listen}); required: e.g. '[{"HTTPS": 443}]'`);
            return;
        }
    } else {
        // The controller's default: HTTPS 443 with a certificate, else HTTP 80.
        ports = [nonEmptyString(annotation("certificate-arn")) ? { protocol: "HTTPS", port: 443 } : { protocol: "HTTP", port: 80 }];
    }
    const http = ports.filter((p) => p.protocol === "HTTP");
    if (http.length > 0 && !nonEmptyString(annotation("ssl-redirect"))) {
        report(`${where}: the ALB listens on plain HTTP (port ${http.map((p) => p.port).join(", ")}) without ${ALB_ANNOTATION}ssl-redirect; required: ssl-redirect "443" or only HTTPS in listen-ports`);
    }
    if (!ports.some((p) => p.protocol === "HTTPS")) return;
    const policy = annotation("ssl-policy");
    if (!nonEmptyString(policy)) {
        report(`${where}: no ${ALB_ANNOTATION}ssl-policy, so the controller's default (ELBSecurityPolicy-2016-08, TLS 1.0) applies; required: a policy matching ${config.sslPolicyPattern}`);
    } else if (!new RegExp(config.sslPolicyPattern).test(policy)) {
        report(`${where}: ${ALB_ANNOTATION}ssl-policy is ${policy}, which allows TLS older than 1.2; required: a policy matching ${config.sslPolicyPattern}`);
    }
}
