import { strict as assert } from "assert";
import { loadBalancerListenerTls } from "../../policies/rules/load-balancers";
import { INGRESS } from "./helpers/kubernetes-fixtures";
import { check, messages, resource } from "./helpers/run";

const CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/6c3e2a54-1f0e-4b8e-9a51-0e2f3b1d7c11";
const LB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/llm-platform/50dc6c495c0c9188";
const TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/proxy/73e2d6bc24d8a067";

const listener = (props: Record<string, any>, type = "aws:lb/listener:Listener") =>
    resource(type, `listener-${props.port}`, { loadBalancerArn: LB, ...props }, "prod");
const https = (overrides: Record<string, any> = {}) =>
    listener({ port: 443, protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06", certificateArn: CERT, defaultActions: [{ type: "forward", targetGroupArn: TG }], ...overrides });
const httpRedirect = (redirect: Record<string, any> = { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" }) =>
    listener({ port: 80, protocol: "HTTP", defaultActions: [{ type: "redirect", redirect }] });

describe("policy load-balancer-listener-tls", () => {
    it("passes HTTPS with a TLS 1.2+ policy and a certificate, TLS on an NLB, and HTTP that redirects to HTTPS", async () => {
        const listeners = [
            https(),
            https({ sslPolicy: "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09" }),
            listener({ port: 443, protocol: "TLS", sslPolicy: "ELBSecurityPolicy-TLS-1-2-2017-01", certificateArn: CERT, defaultActions: [{ type: "forward", targetGroupArn: TG }] }),
            httpRedirect(),
            { ...https(), type: "aws:alb/listener:Listener" },
        ];
        assert.deepEqual(await check(loadBalancerListenerTls, listeners), []);
    });

    it("fails HTTPS with a policy that allows TLS 1.0/1.1", async () => {
        for (const policy of ["ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-1-2021-06", "ELBSecurityPolicy-FS-1-1-2019-08"]) {
            const [v] = await check(loadBalancerListenerTls, https({ sslPolicy: policy }));
            assert.match(v.message, new RegExp(`Listener "listener-443": HTTPS listener on port 443: sslPolicy is ${policy}, which allows TLS older than 1.2`));
        }
    });

    it("fails HTTPS without an sslPolicy (AWS would apply ELBSecurityPolicy-2016-08) or without a certificate", async () => {
        assert.match(messages(await check(loadBalancerListenerTls, https({ sslPolicy: undefined })))[0], /sets no sslPolicy, so AWS applies ELBSecurityPolicy-2016-08/);
        assert.match(messages(await check(loadBalancerListenerTls, https({ certificateArn: undefined })))[0], /HTTPS listener on port 443 has no certificateArn/);
    });

    it("fails plain HTTP that forwards, redirects to HTTP, or sets no protocol", async () => {
        const forward = listener({ port: 80, protocol: "HTTP", defaultActions: [{ type: "forward", targetGroupArn: TG }] });
        assert.match(messages(await check(loadBalancerListenerTls, forward))[0], /plain HTTP listener on port 80 does forward; required: every default action a redirect with protocol HTTPS/);
        assert.equal((await check(loadBalancerListenerTls, httpRedirect({ port: "8080", statusCode: "HTTP_301" }))).length, 1);
        const partly = listener({ port: 80, protocol: "HTTP", defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", statusCode: "HTTP_301" } }, { type: "forward", targetGroupArn: TG }] });
        assert.match(messages(await check(loadBalancerListenerTls, partly))[0], /does redirect to HTTPS, forward;/);
        assert.equal((await check(loadBalancerListenerTls, listener({ port: 80, defaultActions: [{ type: "forward", targetGroupArn: TG }] }))).length, 1);
    });

    it("fails plain TCP unless its port is configured as TLS passthrough", async () => {
        const tcp = listener({ port: 443, protocol: "TCP", defaultActions: [{ type: "forward", targetGroupArn: TG }] });
        assert.match(messages(await check(loadBalancerListenerTls, tcp))[0], /TCP listener on port 443 carries traffic without TLS/);
        assert.deepEqual(await check(loadBalancerListenerTls, tcp, { tcpPassthroughPorts: [443] }), []);
    });

    it("checks classic ELB listeners: HTTPS needs a certificate, HTTP is refused", async () => {
        const elb = (listeners: Record<string, any>[]) => resource("aws:elb/loadBalancer:LoadBalancer", "classic", { name: "classic", availabilityZones: ["eu-west-1a"], listeners }, "prod");
        const tls = [
            resource("aws:elb/loadBalancerPolicy:LoadBalancerPolicy", "classic-tls", { loadBalancerName: "classic", policyName: "tls", policyTypeName: "SSLNegotiationPolicyType", policyAttributes: [{ name: "Reference-Security-Policy", value: "ELBSecurityPolicy-TLS-1-2-2017-01" }] }, "prod"),
            resource("aws:elb/listenerPolicy:ListenerPolicy", "classic-443", { loadBalancerName: "classic", loadBalancerPort: 443, policyNames: ["tls"] }, "prod"),
        ];
        assert.deepEqual(await check(loadBalancerListenerTls, [elb([{ instancePort: 443, instanceProtocol: "https", lbPort: 443, lbProtocol: "https", sslCertificateId: CERT }]), ...tls]), []);
        const found = messages(await check(loadBalancerListenerTls, [elb([{ instancePort: 80, instanceProtocol: "http", lbPort: 80, lbProtocol: "http" }, { instancePort: 443, instanceProtocol: "http", lbPort: 443, lbProtocol: "https" }]), ...tls]));
        assert.equal(found.length, 2);
        assert.match(found[0], /LoadBalancer "classic": plain HTTP listener on port 80; a classic ELB cannot redirect/);
        assert.match(found[1], /HTTPS listener on port 443 has no sslCertificateId/);
    });
});

describe("policy load-balancer-listener-tls on listener rules and Ingress-made ALBs", () => {
    const rule = (actions: Record<string, any>[], listenerArn = "listener-80") =>
        resource("aws:lb/listenerRule:ListenerRule", "api-rule", { listenerArn, priority: 100, conditions: [{ pathPattern: { values: ["/api/*"] } }], actions }, "prod");

    it("passes rules that redirect on the HTTP listener, and forwarding rules on the HTTPS listener", async () => {
        assert.deepEqual(await check(loadBalancerListenerTls, [httpRedirect(), https(), rule([{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }]), rule([{ type: "forward", targetGroupArn: TG }], "listener-443")]), []);
    });

    it("fails a rule that forwards cleartext on the redirecting HTTP listener", async () => {
        const found = await check(loadBalancerListenerTls, [httpRedirect(), rule([{ type: "forward", targetGroupArn: TG }])]);
        assert.equal(found.length, 1);
        assert.equal(found[0].resource?.name, "api-rule");
        assert.match(found[0].message, /ListenerRule "api-rule": rule on the plain HTTP listener "listener-80" \(port 80\) does forward, serving cleartext/);
    });

    const ingress = (annotations: Record<string, string>) =>
        resource(INGRESS, "proxy", { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "proxy", namespace: "llm-platform", annotations }, spec: { ingressClassName: "alb", rules: [] } }, "prod");
    const good = {
        "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
        "alb.ingress.kubernetes.io/ssl-redirect": "443",
        "alb.ingress.kubernetes.io/certificate-arn": CERT,
        "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    };

    it("passes an ALB Ingress on HTTPS with a TLS 1.2+ policy and an HTTP redirect", async () => {
        assert.deepEqual(await check(loadBalancerListenerTls, ingress(good)), []);
    });

    it("fails an ALB Ingress without ssl-policy, with an old one, or with plain HTTP not redirected", async () => {
        assert.match(messages(await check(loadBalancerListenerTls, ingress({ ...good, "alb.ingress.kubernetes.io/ssl-policy": "" })))[0], /no alb.ingress.kubernetes.io\/ssl-policy/);
        assert.match(messages(await check(loadBalancerListenerTls, ingress({ ...good, "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-2016-08" })))[0], /ssl-policy is ELBSecurityPolicy-2016-08, which allows TLS older than 1.2/);
        assert.match(messages(await check(loadBalancerListenerTls, ingress({ "alb.ingress.kubernetes.io/scheme": "internet-facing" })))[0], /listens on plain HTTP \(port 80\) without alb.ingress.kubernetes.io\/ssl-redirect/);
    });
});

describe("policy load-balancer-listener-tls on classic ELB negotiation policies", () => {
    const elb = resource("aws:elb/loadBalancer:LoadBalancer", "classic", {
        name: "llm-classic",
        availabilityZones: ["eu-west-1a"],
        listeners: [{ instancePort: 443, instanceProtocol: "https", lbPort: 443, lbProtocol: "https", sslCertificateId: CERT }],
    }, "prod");
    const negotiation = (attributes: { name: string; value: string }[]) =>
        resource("aws:elb/loadBalancerPolicy:LoadBalancerPolicy", "classic-tls", { loadBalancerName: "llm-classic", policyName: "llm-tls", policyTypeName: "SSLNegotiationPolicyType", policyAttributes: attributes }, "prod");
    const attach = resource("aws:elb/listenerPolicy:ListenerPolicy", "classic-443", { loadBalancerName: "llm-classic", loadBalancerPort: 443, policyNames: ["llm-tls"] }, "prod");

    it("passes an HTTPS listener with a TLS 1.2 reference policy or custom TLS 1.2-only attributes", async () => {
        assert.deepEqual(await check(loadBalancerListenerTls, [elb, attach, negotiation([{ name: "Reference-Security-Policy", value: "ELBSecurityPolicy-TLS-1-2-2017-01" }])]), []);
        assert.deepEqual(await check(loadBalancerListenerTls, [elb, attach, negotiation([{ name: "Protocol-TLSv1.2", value: "true" }, { name: "ECDHE-RSA-AES128-GCM-SHA256", value: "true" }])]), []);
    });

    it("fails an HTTPS listener without a negotiation policy, reported on the load balancer", async () => {
        const [v] = await check(loadBalancerListenerTls, [elb]);
        assert.equal(v.resource?.name, "classic");
        assert.match(v.message, /LoadBalancer "classic" listener on port 443: no SSL negotiation policy attached, so ELBSecurityPolicy-2016-08 \(TLS 1.0\) applies/);
    });

    it("fails a reference policy or attributes that allow TLS 1.0", async () => {
        assert.match(messages(await check(loadBalancerListenerTls, [elb, attach, negotiation([{ name: "Reference-Security-Policy", value: "ELBSecurityPolicy-2016-08" }])]))[0], /references ELBSecurityPolicy-2016-08/);
        assert.match(messages(await check(loadBalancerListenerTls, [elb, attach, negotiation([{ name: "Protocol-TLSv1", value: "true" }, { name: "Protocol-TLSv1.2", value: "true" }])]))[0], /enables Protocol-TLSv1; required: TLS 1.2\+ only/);
    });
});
