import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT_DIR } from "../harness/run-stack";

const workflow = (name: string) => parse(fs.readFileSync(path.join(PROJECT_DIR, ".github", "workflows", name), "utf8"));
const steps = (job: any): any[] => job.steps;
const pulumiStep = (job: any) => steps(job).find((s) => String(s.uses).startsWith("pulumi/actions@"));

describe("GitHub workflows for users' repositories", () => {
    it("checks policies offline on pull requests without any secret", () => {
        const job = workflow("pull-request.yml").jobs["policy-offline"];
        assert.ok(steps(job).some((s) => s.run === "npm run policy:check -- dev"));
        assert.ok(steps(job).some((s) => s.run === "npm run policy:check -- prod"));
        assert.doesNotMatch(JSON.stringify(job), /secrets\./);
    });

    it("previews every stack with the policy pack and comments on the PR", () => {
        const job = workflow("pull-request.yml").jobs.preview;
        const step = pulumiStep(job);
        assert.equal(step.with.command, "preview");
        assert.equal(step.with.policyPacks, "policies");
        assert.equal(step.with["comment-on-pr"], true);
        assert.equal(step.with["stack-name"], "${{ matrix.stack }}");
        assert.deepEqual(job.strategy.matrix.stack, ["dev", "prod"]);
        assert.equal(job.permissions["id-token"], "write");
        const aws = steps(job).find((s) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"));
        assert.equal(aws.if, "matrix.stack == 'prod'");
        assert.ok(aws.with["role-to-assume"]);
        assert.ok(steps(job).some((s) => s["working-directory"] === "policies" && /npm ci/.test(s.run)), "installs the pack's dependencies");
    });

    it("runs pulumi up on merge, prod behind the production environment", () => {
        const { jobs } = workflow("deploy.yml");
        assert.equal(pulumiStep(jobs.dev).with.command, "up");
        assert.equal(pulumiStep(jobs.prod).with.command, "up");
        assert.equal(pulumiStep(jobs.prod).with.policyPacks, "policies");
        assert.equal(jobs.prod.environment, "production");
        assert.equal(jobs.prod.needs, "dev");
    });

    it("gets prod's AWS credentials through OIDC by assuming a role, never from stored keys", () => {
        const { jobs } = workflow("deploy.yml");
        assert.equal(jobs.prod.permissions["id-token"], "write");
        const aws = steps(jobs.prod).find((s) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"));
        assert.ok(aws, "configure-aws-credentials step");
        assert.equal(aws.with["role-to-assume"], "${{ vars.AWS_DEPLOY_ROLE_ARN }}");
        assert.ok(steps(jobs.prod).indexOf(aws) < steps(jobs.prod).indexOf(pulumiStep(jobs.prod)), "credentials before pulumi up");
        assert.doesNotMatch(JSON.stringify(workflow("deploy.yml")), /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
    });
});
