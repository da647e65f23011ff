/**
 * Exposure beyond the ALB: Services with externalIPs, Ingresses of any controller without
 * TLS (Polaris tlsSettingsMissing), ALB listener rules that serve cleartext next to a
 * redirecting default action and Gateway Load Balancer listeners (Checkov CKV_AWS_2 reads
 * the default action only), on the shapes @pulumi/kubernetes and @pulumi/aws 7 send.
 */
import { strict as assert } from "assert";
import { kubernetesNoExternalIps } from "../../policies/rules/external-ips";
import { loadBalancerListenerTls } from "../../policies/rules/load-balancers";
import { OfflineResource } from "../../policies/rules/offline";
import { INGRESS, k8sService, NAMESPACE } from "./helpers/kubernetes-fixtures";
import { check, messages, resource } from "./helpers/run";

describe("policy kubernetes-no-external-ips", () => {
    it("passes Services without externalIPs, and an address the config allows", async () => {
        const lb = k8sService("proxy", "LoadBalancer", [{ name: "https", port: 443, targetPort: "https" }]);
        assert.deepEqual(await check(kubernetesNoExternalIps, lb), []);
        lb.props.spec.externalIPs = ["203.0.113.10"];
        assert.deepEqual(await check(kubernetesNoExternalIps, lb, { allowedExternalIPs: ["203.0.113.10"] }), []);
    });

    it("fails a Service or ServicePatch that claims an address (CVE-2020-8554)", async () => {
        const svc = k8sService("grafana", "ClusterIP", [{ name: "http", port: 3000, targetPort: "http" }]);
        svc.props.spec.externalIPs = ["8.8.8.8"];
        assert.deepEqual(messages(await check(kubernetesNoExternalIps, svc)), [
            'kubernetes:core/v1:Service "grafana": spec.externalIPs claims 8.8.8.8, which intercepts that address\'s traffic on every node; required: no externalIPs (a LoadBalancer Service or an Ingress), or the address in allowedExternalIPs',
        ]);
        const patch = resource("kubernetes:core/v1:ServicePatch", "grafana-ips", { apiVersion: "v1", kind: "Service", metadata: { name: "grafana", namespace: NAMESPACE }, spec: { externalIPs: ["10.0.0.5"] } }, "prod");
        assert.equal((await check(kubernetesNoExternalIps, patch)).length, 1);
    });
});

describe("policy load-balancer-listener-tls on Ingresses of any controller", () => {
    const ingress = (spec: Record<string, any>, annotations: Record<string, string> = {}, className = "nginx") =>
        resource(INGRESS, "grafana", { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "grafana", namespace: NAMESPACE, annotations }, spec: { ingressClassName: className, ...spec } }, "prod");
    const rule = (host?: string) => ({ ...(host ? { host } : {}), http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "grafana", port: { number: 3000 } } } }] } });

    it("passes every host covered by a TLS entry, by name or by wildcard", async () => {
        const ok = [
            ingress({ tls: [{ hosts: ["grafana.example.com"], secretName: "grafana-tls" }], rules: [rule("grafana.example.com")] }),
            ingress({ tls: [{ hosts: ["*.example.com"], secretName: "wildcard-tls" }], rules: [rule("grafana.example.com"), rule("kibana.example.com")] }, {}, "traefik"),
            ingress({ tls: [{ secretName: "default-tls" }], rules: [rule()] }),
        ];
        for (const i of ok) assert.deepEqual(await check(loadBalancerListenerTls, i), [], JSON.stringify(i.props.spec));
    });

    it("fails an Ingress without spec.tls, a host left out, a wildcard one label too short, and ssl-redirect false", async () => {
        assert.deepEqual(messages(await check(loadBalancerListenerTls, ingress({ rules: [rule("grafana.example.com")] }))), [
            'kubernetes:networking.k8s.io/v1:Ingress "grafana": spec.tls is not set, so the controller serves grafana.example.com over plain HTTP; required: spec.tls entries (hosts and secretName) for every host',
        ]);
        const partial = ingress({ tls: [{ hosts: ["grafana.example.com"], secretName: "grafana-tls" }], rules: [rule("grafana.example.com"), rule("kibana.example.com")] });
        assert.match(messages(await check(loadBalancerListenerTls, partial))[0], /no spec.tls entry covers kibana.example.com, which the controller serves over plain HTTP/);
        const deep = ingress({ tls: [{ hosts: ["*.example.com"], secretName: "wildcard-tls" }], rules: [rule("a.grafana.example.com")] });
        assert.match(messages(await check(loadBalancerListenerTls, deep))[0], /no spec.tls entry covers a.grafana.example.com/);
        const open = ingress({ tls: [{ hosts: ["grafana.example.com"], secretName: "grafana-tls" }], rules: [rule("grafana.example.com")] }, { "nginx.ingress.kubernetes.io/ssl-redirect": "false" });
        assert.match(messages(await check(loadBalancerListenerTls, open))[0], /ssl-redirect is "false", so ingress-nginx keeps serving plain HTTP next to TLS/);
    });
});

describe("policy load-balancer-listener-tls on listener rules and Gateway Load Balancers, as @pulumi/aws 7 registers them", () => {
    const ACCOUNT = "arn:aws:elasticloadbalancing:eu-west-1:123456789012";
    /** A resource with the ARN AWS gives it (stack policies see outputs). */
    const withArn = (type: string, name: string, props: Record<string, any>, arn: string): OfflineResource => ({ ...resource(type, name, props, "prod"), outputs: { ...props, arn, id: arn } });
    const alb = withArn("aws:lb/loadBalancer:LoadBalancer", "alb", { name: "llm-prod", loadBalancerType: "application" }, `${ACCOUNT}:loadbalancer/app/llm-prod/50dc6c495c0c9188`);
    const tg = withArn("aws:lb/targetGroup:TargetGroup", "proxy", { name: "proxy", port: 443, protocol: "HTTPS", targetType: "ip" }, `${ACCOUNT}:targetgroup/proxy/73e2d6bc24d8a067`);
    const http = withArn("aws:lb/listener:Listener", "http", {
        loadBalancerArn: alb.outputs!.arn,
        port: 80,
        protocol: "HTTP",
        defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
    }, `${ACCOUNT}:listener/app/llm-prod/50dc6c495c0c9188/f2f7dc8efc522ab2`);
    const listenerRule = (actions: Record<string, any>[]) =>
        resource("aws:lb/listenerRule:ListenerRule", "health", { listenerArn: http.outputs!.arn, priority: 10, conditions: [{ pathPattern: { values: ["/healthz"] } }], actions }, "prod");

    it("passes a rule on the redirecting HTTP listener that redirects too", async () => {
        assert.deepEqual(await check(loadBalancerListenerTls, [alb, tg, http, listenerRule([{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_302" } }])]), []);
    });

    it("fails a rule that forwards (or answers) in cleartext while the default action redirects", async () => {
        for (const action of [{ type: "forward", targetGroupArn: tg.outputs!.arn }, { type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "200", messageBody: "ok" } }]) {
            const found = await check(loadBalancerListenerTls, [alb, tg, http, listenerRule([action])]);
            assert.equal(found.length, 1, action.type);
            assert.equal(found[0].resource?.name, "health");
            assert.match(found[0].message, new RegExp(`rule on the plain HTTP listener "http" \\(port 80\\) does ${action.type}, serving cleartext`));
        }
    });

    it("does not read a Gateway Load Balancer's listener (no protocol: GENEVE to appliances) as HTTP", async () => {
        const gwlb = withArn("aws:lb/loadBalancer:LoadBalancer", "inspection", { name: "inspection", loadBalancerType: "gateway" }, `${ACCOUNT}:loadbalancer/gwy/inspection/1a2b3c4d5e6f7a8b`);
        const appliances = withArn("aws:lb/targetGroup:TargetGroup", "appliances", { name: "appliances", port: 6081, protocol: "GENEVE", vpcId: "vpc-0a1b2c3d" }, `${ACCOUNT}:targetgroup/appliances/0f1e2d3c4b5a6978`);
        const listener = (lb: string) => resource("aws:lb/listener:Listener", "inspection", { loadBalancerArn: lb, defaultActions: [{ type: "forward", targetGroupArn: appliances.outputs!.arn }] }, "prod");
        assert.deepEqual(await check(loadBalancerListenerTls, [gwlb, appliances, listener(gwlb.outputs!.arn)]), []);
        // The load balancer made elsewhere: its GENEVE target group tells.
        assert.deepEqual(await check(loadBalancerListenerTls, [appliances, listener(`${ACCOUNT}:loadbalancer/gwy/shared/0000000000000000`)]), []);
        // An ALB listener without a protocol is still HTTP.
        const albListener = resource("aws:lb/listener:Listener", "plain", { loadBalancerArn: alb.outputs!.arn, defaultActions: [{ type: "forward", targetGroupArn: tg.outputs!.arn }] }, "prod");
        assert.match(messages(await check(loadBalancerListenerTls, [alb, tg, albListener]))[0], /plain HTTP listener on port \(not set\) does forward/);
    });
});
