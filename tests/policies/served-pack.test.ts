import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { policies } from "../../policies/rules";

const ROOT = path.resolve(__dirname, "../..");
// The Pulumi engine starts a policy pack with this runner and talks gRPC to the port it prints.
const RUN_POLICY_PACK = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
const grpc = require("@grpc/grpc-js");
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const emptyPb = require("google-protobuf/google/protobuf/empty_pb");

describe("the policy pack as the Pulumi engine loads it", function () {
    this.timeout(60000);
    let pack: ChildProcess | undefined;
    let port: number;

    before(async () => {
        pack = spawn(process.execPath, [RUN_POLICY_PACK, "127.0.0.1:1", "policies"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        port = await new Promise<number>((resolve, reject) => {
            pack!.stdout!.on("data", (d) => {
                output += d;
                const m = /^(\d+)\s*$/m.exec(output);
                if (m) resolve(Number(m[1]));
            });
            pack!.stderr!.on("data", (d) => (output += d));
            pack!.on("exit", (code) => reject(new Error(`the pack exited with ${code} before serving:\n${output}`)));
        });
    });

    // Waits for the exit, so the pack's CPU is this file's and no process outlives the file.
    after(async () => {
        if (!pack || pack.exitCode !== null || pack.signalCode !== null) return;
        const exited = new Promise((resolve) => pack!.once("exit", resolve));
        pack.kill("SIGKILL");
        await exited;
    });

    it("serves every rule with its own enforcement level over the analyzer API", async () => {
        const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        const info: any = await new Promise((resolve, reject) =>
            client.getAnalyzerInfo(new emptyPb.Empty(), (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))),
        );
        client.close();
        assert.equal(info.getName(), "llm-platform");
        assert.equal(info.getVersion(), "0.1.0");
        const served = info.getPoliciesList().map((p: any) => p.getName());
        assert.deepEqual([...served].sort(), policies.map((p) => p.name).sort());
        const levels = new Map(policies.map((p) => [p.name, p.enforcementLevel]));
        for (const p of info.getPoliciesList()) {
            const expected = levels.get(p.getName()) === "advisory" ? analyzerPb.EnforcementLevel.ADVISORY : analyzerPb.EnforcementLevel.MANDATORY;
            assert.equal(p.getEnforcementlevel(), expected, `${p.getName()} is ${levels.get(p.getName())}`);
        }
    });
});
