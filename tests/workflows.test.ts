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
        assert.doesNotMatch(JSON.stringify(job), /secrets\./);
    });

    it("previews every stack with the policy pack and comments on the PR", () => {
        const job = workflow("pull-request.yml").jobs.preview;
        const step = pulumiStep(job);
        assert.equal(step.with.command, "preview");
        assert.equal(step.with.policyPacks, "policies");
        assert.equal(step.with["comment-on-pr"], true);
        assert.equal(step.with["stack-name"], "${{ matrix.stack }}");
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
});
