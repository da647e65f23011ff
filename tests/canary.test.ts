import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../components/config/load";
import { CANARY_HEADER } from "../components/aws/load-balancer";
import { policyResources } from "../harness/policy-report";
import { runStack, StackRun } from "../harness/run-stack";
import { runPolicyPack } from "../policies/rules/offline";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const TARGET_GROUP = "aws:lb/targetGroup:TargetGroup";
const LISTENER = "aws:lb/listener:Listener";
const RULE = "aws:lb/listenerRule:ListenerRule";
const BINDING = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding";
const CANARY_IMAGE = "nginx:1.30.6-alpine";

/** The Deployments that run the NGINX proxy (not its exporter). */
const proxyDeployments = (run: StackRun) =>
    run.ofType(DEPLOYMENT).filter((d) => String(d.inputs.spec.template.spec.containers[0].image).startsWith("nginx:")).map((d) => d.name).sort();
const httpsListener = (run: StackRun) => run.named(LISTENER, "aws-alb-https").inputs;
const canaryRun = (weight: number, image?: string) =>
    runStack("prod", { exampleUserValues: true, overrides: { "llm-platform:proxy": { canary: { weight, ...(image ? { image } : {}) } } } });

describe("proxy canary at the entry (prod under mocks)", function () {
    this.timeout(120000);
    let stable: StackRun;
    let canary: StackRun;
    before(async () => {
        stable = await canaryRun(0);
        canary = await canaryRun(10, CANARY_IMAGE);
    });

    it("weight 0 declares one proxy, one target group and a plain forward, no weighted action", () => {
        assert.deepEqual(proxyDeployments(stable), ["proxy"]);
        assert.deepEqual(stable.ofType(TARGET_GROUP).map((t) => t.inputs.name), ["llm-platform-prod-proxy"]);
        assert.equal(stable.ofType(BINDING).length, 1);
        const [action] = httpsListener(stable).defaultActions;
        assert.equal(action.type, "forward");
        assert.equal(action.targetGroupArn, stable.named(TARGET_GROUP, "aws-alb-proxy").state.arn);
        assert.equal(action.forward, undefined);
        assert.deepEqual(stable.ofType(RULE), []);
    });

    it("weight 10 declares two Deployments, two target groups and a weighted forward of 90/10", () => {
        assert.deepEqual(proxyDeployments(canary), ["proxy", "proxy-canary"]);
        const groups = canary.ofType(TARGET_GROUP);
        assert.deepEqual(groups.map((t) => t.inputs.name).sort(), ["llm-platform-prod-proxy", "llm-platform-prod-proxy-canary"]);
        const arnOf = (name: string) => canary.named(TARGET_GROUP, name).state.arn;
        assert.match(arnOf("aws-alb-proxy-canary"), /^arn:aws:elasticloadbalancing:/);
        const [action] = httpsListener(canary).defaultActions;
        assert.equal(action.type, "forward");
        assert.equal(action.targetGroupArn, undefined, "the forward block alone: the provider reads target_group_arn back as empty");
        assert.deepEqual(action.forward.targetGroups, [
            { arn: arnOf("aws-alb-proxy"), weight: 90 },
            { arn: arnOf("aws-alb-proxy-canary"), weight: 10 },
        ]);
        assert.equal(action.forward.stickiness, undefined, "no stickiness block: read back as disabled without a diff");
        // Each target group is fed by its own Deployment's Service.
        const bindings = Object.fromEntries(canary.ofType(BINDING).map((b) => [b.inputs.spec.serviceRef.name, b.inputs.spec.targetGroupARN]));
        assert.deepEqual(bindings, { proxy: arnOf("aws-alb-proxy"), "proxy-canary": arnOf("aws-alb-proxy-canary") });
    });

    it("pins the canary's image and keeps the stable proxy's; both select only their own pods", () => {
        const image = (name: string) => canary.named(DEPLOYMENT, name).inputs.spec.template.spec.containers[0].image;
        assert.equal(image("proxy"), canary.config.proxy.image);
        assert.equal(image("proxy-canary"), CANARY_IMAGE);
        const selector = (name: string) => canary.named(DEPLOYMENT, name).inputs.spec.selector.matchLabels["app.kubernetes.io/name"];
        assert.notEqual(selector("proxy"), selector("proxy-canary"));
        const service = (name: string) => canary.ofType("kubernetes:core/v1:Service").find((s) => s.inputs.metadata.name === name)!.inputs.spec.selector;
        assert.deepEqual(service("proxy-canary"), canary.named(DEPLOYMENT, "proxy-canary").inputs.spec.selector.matchLabels);
    });

    it("lets the smoke checks reach the canary alone through the entry: a header rule on the HTTPS listener", () => {
        const [rule] = canary.ofType(RULE);
        assert.equal(rule.inputs.listenerArn, canary.named(LISTENER, "aws-alb-https").state.arn);
        assert.deepEqual(rule.inputs.conditions, [{ httpHeader: { httpHeaderName: CANARY_HEADER, values: ["always"] } }]);
        assert.deepEqual(rule.inputs.actions, [{ type: "forward", targetGroupArn: canary.named(TARGET_GROUP, "aws-alb-proxy-canary").state.arn }]);
    });

    it("scrapes the canary's own NGINX exporter beside the stable one's, to compare the two", () => {
        assert.ok(canary.named(DEPLOYMENT, "proxy-canary-exporter"));
        const prometheus = canary.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.name === "prometheus-files")!;
        const conf = Object.values(prometheus.inputs.data as Record<string, string>).join("\n");
        assert.match(conf, /- job_name: proxy-canary\n +metrics_path: \/metrics\n +static_configs:\n +- targets:\n +- proxy-canary-exporter\.llm-platform\.svc\.cluster\.local:9113/);
        assert.match(conf, /- job_name: proxy\n/);
    });

    it("passes the policy pack with the canary", async () => {
        const violations = await runPolicyPack(policyResources(canary));
        assert.deepEqual(violations.filter((v) => v.enforcementLevel === "mandatory"), []);
    });
});

describe("proxy.canary validation", () => {
    const errorOf = (raw: Record<string, unknown>) => {
        try {
            parseConfig(raw);
        } catch (e) {
            assert.ok(e instanceof ConfigError);
            return e.problems.join("\n");
        }
        return "";
    };
    it("refuses a canary on a stack without the ALB, and a weight outside 0-100", () => {
        assert.match(errorOf({ proxy: { canary: { weight: 10 } } }), /llm-platform:proxy\.canary\.weight = 10: .*needs the ALB's weighted forward/);
        assert.match(errorOf({ proxy: { canary: { weight: 101 } } }), /llm-platform:proxy\.canary\.weight = 101/);
        assert.match(errorOf({ proxy: { canary: { image: "nginx:latest" } } }), /llm-platform:proxy\.canary\.image/);
        assert.equal(parseConfig({}).proxy.canary.weight, 0);
    });
});
