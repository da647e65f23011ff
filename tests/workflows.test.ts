import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { spawnSync } from "child_process";
import * as os from "os";
import { defaultImages, unpinnedReason } from "../components/config/images";
import { PROJECT_DIR } from "../harness/run-stack";
import { pinnedImages } from "../scripts/images";

const workflow = (name: string) => parse(fs.readFileSync(path.join(PROJECT_DIR, ".github", "workflows", name), "utf8"));
const steps = (job: any): any[] => job.steps;
const pulumiStep = (job: any) => steps(job).find((s) => String(s.uses).startsWith("pulumi/actions@"));

describe("GitHub workflows for users' repositories", () => {
    const workflowFiles = fs.readdirSync(path.join(PROJECT_DIR, ".github", "workflows")).filter((f) => /\.ya?ml$/.test(f));

    // action-validator checks a workflow against SchemaStore's github-workflow schema (the one editors use).
    it("are valid GitHub Actions workflows by the github-workflow schema", () => {
        assert.deepEqual(workflowFiles.sort(), ["deploy.yml", "pull-request.yml"]);
        for (const file of workflowFiles) {
            const result = validateWorkflow(fs.readFileSync(path.join(PROJECT_DIR, ".github", "workflows", file), "utf8"));
            assert.deepEqual(result.errors, [], `${file}: ${JSON.stringify(result.errors, null, 1)}`);
        }
    });

    it("the schema check fails a workflow with a misspelt key", () => {
        const text = fs.readFileSync(path.join(PROJECT_DIR, ".github", "workflows", "deploy.yml"), "utf8");
        const broken = text.replace(/^(\s+)runs-on:/m, "$1run-on:");
        assert.notEqual(broken, text);
        assert.notDeepEqual(validateWorkflow(broken).errors, []);
    });

    it("checks policies offline on pull requests without any secret", () => {
        const job = workflow("pull-request.yml").jobs["policy-offline"];
        assert.ok(steps(job).some((s) => s.run === "npm run policy:check -- dev"));
        assert.ok(steps(job).some((s) => s.run === "npm run policy:check -- prod"));
        assert.ok(steps(job).some((s) => s.run === "npm run policy:check -- staging"));
        assert.doesNotMatch(JSON.stringify(job), /secrets\./);
    });

    it("checks every pinned image exists in its registry, failing the PR on a missing one", () => {
        const job = workflow("pull-request.yml").jobs["images-exist"];
        const script = steps(job).find((s) => /docker manifest inspect/.test(s.run ?? "")).run as string;
        assert.match(script, /npm run -s images/, "reads the one list of images");
        const images = pinnedImages();
        for (const image of Object.values(defaultImages)) assert.ok(images.includes(image), image);
        for (const image of images) assert.equal(unpinnedReason(image), undefined, image);

        // Run the job's script with stub docker and npm: one tag does not exist.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-images-"));
        try {
            fs.writeFileSync(path.join(dir, "npm"), `#!/bin/bash\nprintf '%s\\n' nginx:1.30.5-alpine qdrant/qdrant:v9.9.9\n`, { mode: 0o755 });
            fs.writeFileSync(path.join(dir, "docker"), `#!/bin/bash\n[ "$3" != qdrant/qdrant:v9.9.9 ]\n`, { mode: 0o755 });
            const r = spawnSync("bash", ["-c", script], { encoding: "utf8", env: { PATH: `${dir}:/usr/bin:/bin` } });
            assert.equal(r.status, 1, r.stdout + r.stderr);
            assert.match(r.stdout, /ok       nginx:1\.30\.5-alpine\nMISSING  qdrant\/qdrant:v9\.9\.9/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("runs the test suite with the same real binaries as .ci/run, a missing one failing it", () => {
        const runs = steps(workflow("pull-request.yml").jobs.test).map((s) => String(s.run ?? ""));
        const install = runs.indexOf("bash scripts/install-test-tools.sh");
        const test = steps(workflow("pull-request.yml").jobs.test).find((s) => s.run === "npm test");
        assert.ok(install >= 0 && install < runs.indexOf("npm test"), "installs the test tools before npm test");
        assert.equal(test.env.LLM_PLATFORM_REQUIRE_TOOLS, "1");
        assert.match(fs.readFileSync(path.join(PROJECT_DIR, ".ci", "run"), "utf8"), /^bash scripts\/install-test-tools\.sh$/m);
    });

    it("previews every stack with the policy pack and comments on the PR", () => {
        const job = workflow("pull-request.yml").jobs.preview;
        const step = pulumiStep(job);
        assert.equal(step.with.command, "preview");
        assert.equal(step.with.policyPacks, "policies");
        assert.equal(step.with["comment-on-pr"], true);
        assert.equal(step.with["stack-name"], "${{ matrix.stack }}");
        assert.deepEqual(job.strategy.matrix.stack, ["dev", "staging", "prod"]);
        assert.equal(job.permissions["id-token"], "write");
        const aws = steps(job).find((s) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"));
        assert.equal(aws.if, "matrix.stack != 'dev'");
        assert.ok(aws.with["role-to-assume"]);
        assert.ok(steps(job).some((s) => s["working-directory"] === "policies" && /npm ci/.test(s.run)), "installs the pack's dependencies");
    });

    it("on merge: dev's pulumi up, then the release path (scripts/deploy.sh) behind the production environment", () => {
        const { jobs } = workflow("deploy.yml");
        assert.equal(pulumiStep(jobs.dev).with.command, "up");
        assert.equal(pulumiStep(jobs.dev).with.policyPacks, "policies");
        const release = jobs.release;
        assert.equal(release.environment, "production");
        assert.equal(release.needs, "dev");
        assert.equal(Object.keys(jobs).length, 2, "no other job runs pulumi up on prod beside the release path");
        const all = steps(release);
        const deploy = all.find((s) => /^bash scripts\/deploy\.sh\b/.test(s.run ?? ""));
        assert.equal(deploy.run, "bash scripts/deploy.sh --report-dir release-report");
        assert.equal(deploy.env.PULUMI_BACKEND_URL, "${{ secrets.PULUMI_BACKEND_URL }}");
        assert.equal(deploy.env.PULUMI_CONFIG_PASSPHRASE, "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
        // The CLI installed (the action without a command), kubectl pointed at the cluster, before the script.
        const cli = pulumiStep(release);
        assert.equal(cli.with, undefined, "installs the Pulumi CLI only");
        const kubeconfig = all.findIndex((s) => /aws eks update-kubeconfig/.test(s.run ?? ""));
        assert.ok(all.indexOf(cli) < all.indexOf(deploy) && kubeconfig >= 0 && kubeconfig < all.indexOf(deploy));
        // The tags last-good-<stack> are read (full history) and written (contents: write).
        assert.equal(steps(release)[0].with["fetch-depth"], 0);
        assert.equal(release.permissions.contents, "write");
        // A failed release attaches the smoke reports the script wrote.
        const upload = all.find((s) => String(s.uses).startsWith("actions/upload-artifact@"));
        assert.equal(upload.if, "failure()");
        assert.equal(upload.with.path, "release-report/");
        assert.ok(all.indexOf(upload) > all.indexOf(deploy));
    });

    it("gets the release's AWS credentials through OIDC by assuming a role, never from stored keys", () => {
        const { jobs } = workflow("deploy.yml");
        assert.equal(jobs.release.permissions["id-token"], "write");
        const aws = steps(jobs.release).find((s) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"));
        assert.ok(aws, "configure-aws-credentials step");
        assert.equal(aws.with["role-to-assume"], "${{ vars.AWS_DEPLOY_ROLE_ARN }}");
        const deploy = steps(jobs.release).findIndex((s) => /scripts\/deploy\.sh/.test(s.run ?? ""));
        assert.ok(steps(jobs.release).indexOf(aws) < deploy, "credentials before the release");
        assert.doesNotMatch(JSON.stringify(workflow("deploy.yml")), /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
    });
});
