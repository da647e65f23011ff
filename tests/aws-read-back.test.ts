import assert from "node:assert/strict";
import { autoMinorUpgrades } from "../components/aws/database";
import { withExampleUserValues } from "../harness/example-user-values";
import { runProgram, stackConfigValues, withOverrides } from "../harness/run-stack";

/**
 * What terraform-provider-aws stores as `engine_version` after a read
 * (internal/service/rds/engine_version.go, compareActualEngineVersion): the configured value
 * when the running version only adds a minor/patch to it, else the running version.
 */
function storedEngineVersion(configured: string, running: string): string {
    const prefix = running.slice(0, configured.length + 1);
    return configured !== running && `${configured}.` === prefix ? configured : running;
}

const instanceWith = async (engineVersion: string) => {
    const values = withOverrides(withExampleUserValues(stackConfigValues("prod")).values, { "llm-platform:aws": { owner: "ops", database: { engineVersion } } });
    return (await runProgram("prod", values)).named("aws:rds/instance:Instance", "aws-postgres").inputs;
};

describe("RDS engine version read back by the provider (a second `pulumi up` changes nothing)", function () {
    this.timeout(30000);

    it("reads the rule right: a major is kept while a minor runs, a pinned minor is replaced by what runs", () => {
        assert.equal(storedEngineVersion("17", "17.6"), "17");
        assert.equal(storedEngineVersion("17", "17.7"), "17");
        assert.equal(storedEngineVersion("17.6", "17.6"), "17.6");
        assert.equal(storedEngineVersion("17.6", "17.7"), "17.7");
        assert.equal(storedEngineVersion("1", "17.6"), "17.6");
    });

    it("with a major version, lets RDS upgrade minors: the stored version still equals the configured one", async () => {
        const instance = await instanceWith("17");
        assert.equal(instance.autoMinorVersionUpgrade, true);
        for (const running of ["17.6", "17.7", "17.10"]) assert.equal(storedEngineVersion(instance.engineVersion, running), instance.engineVersion);
    });

    it("with a pinned minor version, turns automatic minor upgrades off, which would otherwise read back as a downgrade", async () => {
        const instance = await instanceWith("17.6");
        assert.equal(instance.autoMinorVersionUpgrade, false);
        assert.equal(storedEngineVersion(instance.engineVersion, "17.6"), "17.6");
        assert.equal(autoMinorUpgrades("17.6"), false);
    });
});
