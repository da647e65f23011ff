import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { addChange } from "../../components/migrations/add";
import { migrationStep } from "../../components/migrations/step";
import { podInputs } from "../../components/platform/kubernetes/pod";
import { InitStep } from "../../components/platform/types";
import { SQLSERVER_MIGRATIONS } from "../../components/sqlserver/migration-plan";
import { TIMESCALE_MIGRATIONS } from "../../components/timescale/migration-plan";
import { runStack } from "../../harness/run-stack";
import { copyPlan } from "../helpers/migrations";
import { settle, useMocks } from "../helpers/mocks";

const CONTAINER = "docker:index/container:Container";
const target = { host: "timescale", port: 5432, database: "llm_observatory", user: "postgres", password: "pw" };

/** Every file of a step, path to content. */
async function files(step: InitStep): Promise<Map<string, string>> {
    return new Map(await Promise.all((step.files ?? []).map(async (f) => [f.path, await settle(f.content)] as [string, string])));
}

/**
 * A step's inputs are its plan's files. Docker replaces a container whose uploads change
 * (`upload` is ForceNew: terraform-provider-docker v4.5.0, internal/provider/
 * resource_docker_container.go:987-991) and Kubernetes a Job whose pod template changes (the
 * content hash of its files): the same plan runs no step, a plan with one more change runs the
 * step, and the engine then deploys that change only (tests/migrations/timescale.test.ts).
 */
describe("migrate steps: their inputs are the plan", () => {
    beforeEach(async () => {
        await useMocks();
    });

    it("carries every file of the plan and the engine's runner, nothing else of the repository", async () => {
        for (const plan of [TIMESCALE_MIGRATIONS, SQLSERVER_MIGRATIONS]) {
            const step = migrationStep({ plan, target });
            const paths = [...(await files(step)).keys()];
            const planned = paths.filter((p) => p.startsWith("/opt/llm-platform/migrations/")).map((p) => p.slice("/opt/llm-platform/migrations/".length));
            const onDisk = (dir: string, sub = ""): string[] =>
                fs.readdirSync(path.join(dir, sub), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? onDisk(dir, path.join(sub, e.name)) : [path.join(sub, e.name)]));
            const generated = plan.engine === "liquibase" ? ["liquibase.properties"] : [];
            assert.deepEqual(planned.sort(), [...onDisk(plan.dir), ...generated].sort());
            assert.ok(paths.includes("/opt/llm-platform/migrate.sh"));
        }
    });

    it("is the same for the same plan, and differs by exactly the new change for a plan with one more", async () => {
        const same = [await files(migrationStep({ plan: TIMESCALE_MIGRATIONS, target })), await files(migrationStep({ plan: TIMESCALE_MIGRATIONS, target }))];
        assert.deepEqual(same[0], same[1]);
        const scratch = copyPlan(TIMESCALE_MIGRATIONS);
        try {
            addChange(scratch.plan, { name: "llm_traces_user_id", note: "Who made each call", requires: ["llm_traces"], at: new Date("2026-12-05T00:00:00Z") });
            const grown = await files(migrationStep({ plan: scratch.plan, target }));
            const changed = [...new Set([...grown.keys(), ...same[0].keys()])].filter((p) => grown.get(p) !== same[0].get(p)).sort();
            assert.deepEqual(changed, [
                "/opt/llm-platform/migrations/deploy/llm_traces_user_id.sql",
                "/opt/llm-platform/migrations/revert/llm_traces_user_id.sql",
                "/opt/llm-platform/migrations/sqitch.plan",
                "/opt/llm-platform/migrations/verify/llm_traces_user_id.sql",
            ]);
            // Kubernetes: the Job's pod template carries the hash of its files.
            const place = (base: string) => ({ base, namespace: "llm-platform", labels: {}, opts: {} });
            const hash = (step: InitStep, base: string) => settle(podInputs(place(base), step.env, step.secretEnv, step.files).contentHash);
            const before = await hash(migrationStep({ plan: TIMESCALE_MIGRATIONS, target }), "a");
            assert.equal(await hash(migrationStep({ plan: TIMESCALE_MIGRATIONS, target }), "b"), before);
            assert.notEqual(await hash(migrationStep({ plan: scratch.plan, target }), "c"), before);
        } finally {
            scratch.cleanup();
        }
    });
});

describe("migrate steps in the dev stack, twice (a second `pulumi up` under mocks)", function () {
    this.timeout(120000);

    it("sends the same inputs to the migrate containers again: no migration runs", async () => {
        const [first, second] = [await runStack("dev"), await runStack("dev")];
        for (const name of ["timescale-migrate", "sqlserver-migrate"]) {
            const inputs = (run: typeof first) => {
                const c = run.named(CONTAINER, name).inputs;
                return { image: c.image, entrypoints: c.entrypoints, command: c.command, envs: c.envs, uploads: c.uploads };
            };
            assert.deepEqual(inputs(second), inputs(first), name);
            assert.ok(inputs(first).uploads.some((u: any) => u.file === "/opt/llm-platform/migrations/sqitch.plan" || u.file === "/opt/llm-platform/migrations/changelog.yaml"));
        }
    });
});
