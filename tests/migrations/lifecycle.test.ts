/**
 * The migrate steps through the stacks' life (issue #24, "What must hold"): a second `up` runs no
 * migration, and an `up` after a change was added runs that store's migrate step only (the
 * engine then deploys that change only: tests/migrations/timescale.test.ts). Each `up` runs the
 * whole program under mocks and asks the lifecycle models (harness/lifecycle/: the Docker
 * provider's ForceNew fields, pulumi-kubernetes' diff of a Job) what each resource does.
 */
import assert from "node:assert/strict";
import { addChange } from "../../components/migrations/add";
import { MigrationPlan } from "../../components/migrations/plan";
import { EngineFacts } from "../../components/machine";
import { SQLSERVER_MIGRATIONS } from "../../components/sqlserver/migration-plan";
import { TIMESCALE_MIGRATIONS } from "../../components/timescale/migration-plan";
import { withExampleUserValues } from "../../harness/example-user-values";
import { dockerModel } from "../../harness/lifecycle/docker-model";
import { kubernetesModel } from "../../harness/lifecycle/kubernetes-model";
import { Lifecycle, Plan, ProviderModel } from "../../harness/lifecycle/model";
import { runProgram, stackConfigValues, StackRun } from "../../harness/run-stack";
import { copyPlan } from "../helpers/migrations";

const ENGINE: EngineFacts = { cpus: 16, memoryMb: 64000, swapLimit: true, nvidiaRuntime: true, serverVersion: "29.1.2" };
const NAMESPACE = "llm-platform";

/** The program's plans are module constants: a test points one at a scratch copy, and back. */
function withPlanAt(plan: MigrationPlan, dir: string): () => void {
    const mutable = plan as { dir: string };
    const before = mutable.dir;
    mutable.dir = dir;
    return () => {
        mutable.dir = before;
    };
}

/** Not runStack: it runs the same inputs once per process, and here the plan on disk changes between runs. */
function run(stack: "dev" | "prod", life: Lifecycle): Promise<StackRun> {
    return stack === "dev"
        ? runProgram("dev", stackConfigValues("dev"), 0, [], ENGINE)
        : runProgram("prod", withExampleUserValues(stackConfigValues("prod")).values, 0, [], undefined, kubernetesModel.liveClaims(life.world, NAMESPACE));
}

const cases: { stack: "dev" | "prod"; model: ProviderModel; step: string }[] = [
    { stack: "dev", model: dockerModel(ENGINE), step: "docker:index/container:Container" },
    { stack: "prod", model: kubernetesModel, step: "kubernetes:batch/v1:Job" },
];

for (const { stack, model, step } of cases) {
    describe(`migrate steps through the ${stack} stack's life (mocks + the lifecycle model)`, function () {
        this.timeout(240000);
        const life = new Lifecycle([model]);
        const scratch = [copyPlan(TIMESCALE_MIGRATIONS), copyPlan(SQLSERVER_MIGRATIONS)];
        const restore: (() => void)[] = [];
        const up = async (): Promise<Plan> => life.up(await run(stack, life));

        before(async () => {
            restore.push(withPlanAt(TIMESCALE_MIGRATIONS, scratch[0].plan.dir), withPlanAt(SQLSERVER_MIGRATIONS, scratch[1].plan.dir));
            const first = life.up(await run(stack, life));
            assert.ok(first.names("create", step).includes("timescale-migrate"));
        });
        after(() => {
            for (const r of restore.reverse()) r();
            for (const s of scratch) s.cleanup();
        });

        it("runs no migration on a second up: nothing changes", async () => {
            assert.deepEqual((await up()).summary, []);
        });

        it("runs only the store's migrate step (after a fresh backup on Kubernetes) once a change was added", async () => {
            addChange(scratch[0].plan, { name: "llm_traces_user_id", note: "Who made each call", requires: ["llm_traces"], at: new Date("2026-12-05T00:00:00Z") });
            const plan = await up();
            const expected = stack === "dev" ? ["timescale-migrate"] : ["timescale-backup-before-migrate", "timescale-migrate"];
            assert.deepEqual(plan.names("replace"), expected, plan.summary.join("\n"));
            for (const name of expected) assert.equal(plan.of(name)!.type, step);
            // Nothing else runs: besides the replaced step, only what holds its files and the
            // template `npm run migrate` runs (Kubernetes) take the new plan, in place.
            const others = plan.changes.filter((c) => c.action !== "same" && !expected.includes(c.name));
            assert.deepEqual(
                others.filter((c) => c.action !== "update"),
                [],
                plan.summary.join("\n"),
            );
            for (const c of others) assert.match(c.name, /^timescale-migrate/, `${c.action} ${c.type} ${c.name}`);
            assert.equal(plan.of("sqlserver-migrate", step)!.action, "same");
        });

        it("runs nothing again on the up after that", async () => {
            assert.deepEqual((await up()).summary, []);
        });

        it("runs only SQL Server's migrate step once its changelog has a new change", async () => {
            addChange(scratch[1].plan, { name: "documents_source", note: "Where each document came from" });
            const plan = await up();
            const expected = stack === "dev" ? ["sqlserver-migrate"] : ["sqlserver-backup-before-migrate", "sqlserver-migrate"];
            assert.deepEqual(plan.names("replace"), expected, plan.summary.join("\n"));
            assert.equal(plan.of("timescale-migrate", step)!.action, "same");
            assert.equal(plan.of("sqlserver-settings", step)!.action, "same", "the settings step does not run again");
        });
    });
}
