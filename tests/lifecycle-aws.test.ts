/**
 * The prod stack's AWS pieces through their life: create, a second `up`, the changes users
 * make (hostname order, a new hostname, the PostgreSQL major, the instance class), destroy
 * and `up` again, and a stack that lost its state adopting what the destroy kept. Each step
 * runs the program under mocks (harness/run-stack.ts) and plays it against the engine and
 * AWS models (harness/lifecycle/), matching resources by URN.
 */
import assert from "node:assert/strict";
import { withExampleUserValues } from "../harness/example-user-values";
import { AWS_BEHAVIOURS } from "../harness/lifecycle/aws-model";
import { Cloud, dangling, destroy, excludedByProtect, maintenanceWindow, Outcome, StateEntry, up } from "../harness/lifecycle/engine-model";
import { LookupOverride, runProgram, stackConfigValues, StackRun, withOverrides } from "../harness/run-stack";

const HOSTS = ["llm.example.com", "api.example.com"];
const AWS_KEY = "llm-platform:aws";
const RECORD = "aws:route53/record:Record";

/** The prod stack with two public hostnames and these `aws` keys on top of Pulumi.prod.yaml. */
function values(aws: Record<string, unknown> = {}, hostnames = HOSTS) {
    const base = withExampleUserValues(stackConfigValues("prod")).values;
    const a = base[AWS_KEY] as Record<string, any>;
    return withOverrides(base, {
        "llm-platform:tls": { hostnames },
        [AWS_KEY]: { ...a, ...aws, database: { ...a.database, ...((aws.database as object) ?? {}) }, loadBalancer: { ...a.loadBalancer, ...((aws.loadBalancer as object) ?? {}) } },
    });
}

const ops = (o: Outcome, type?: string) => o.steps.filter((s) => (type ? s.type === type : s.type.startsWith("aws:")) && s.op !== "same").map((s) => `${s.op} ${s.name}`);
const awsTypes = (run: StackRun) => [...new Set(run.resources.filter((r) => r.custom && r.type.startsWith("aws:")).map((r) => r.type))];

/** The account as AWS answers the adoption lookups: aliases and the database's security group, from the cloud model. */
const lookupsFrom =
    (cloud: Cloud): LookupOverride =>
    (token, inputs) => {
        const objects = [...cloud.values()];
        if (token === "aws:kms/getAlias:getAlias") {
            const alias = objects.find((o) => o.type === "aws:kms/alias:Alias" && o.id === inputs.name);
            return alias && { name: inputs.name, targetKeyId: alias.inputs.targetKeyId, targetKeyArn: "", arn: "", id: inputs.name };
        }
        if (token === "aws:ec2/getSecurityGroup:getSecurityGroup") {
            const group = objects.find((o) => o.type === "aws:ec2/securityGroup:SecurityGroup" && o.inputs.name === inputs.name && o.inputs.vpcId === inputs.vpcId);
            return group && { id: group.id, name: inputs.name, vpcId: inputs.vpcId };
        }
        return undefined;
    };

describe("prod stack's AWS lifecycle (engine and provider models, under mocks)", function () {
    this.timeout(180000);
    let base: StackRun;
    let created: Outcome;

    before(async () => {
        base = await runProgram("prod", values());
        created = up([], base, new Map());
    });

    it("has a model, read from the provider's source, for every AWS type the program declares", () => {
        for (const type of awsTypes(base)) assert.ok(AWS_BEHAVIOURS[type], `${type} is modelled`);
    });

    it("creates everything on the first up, and a second up of the same program changes nothing", async () => {
        assert.deepEqual(created.refusals, []);
        assert.ok(created.steps.filter((s) => s.type.startsWith("aws:")).every((s) => s.op === "create"));
        const again = up(created.state, await runProgram("prod", values()), created.cloud);
        assert.deepEqual([again.refusals, again.steps.filter((s) => s.op !== "same")], [[], []]);
    });

    it("keeps every DNS record when hostnames are reordered or one is added in front; only the new name's records are created", async () => {
        const reordered = up(created.state, await runProgram("prod", values({}, ["new.example.com", "api.example.com", "llm.example.com"])), created.cloud);
        assert.deepEqual(reordered.refusals, []);
        assert.deepEqual(ops(reordered, RECORD).sort(), ["create aws-certificate-validation-new.example.com", "create aws-dns-new.example.com"]);
        // A new first name is the certificate's domain: ACM issues a new one (created before the old is deleted), the listener follows.
        assert.deepEqual(ops(reordered, "aws:acm/certificate:Certificate"), ["replace aws-certificate"]);
        assert.deepEqual(dangling(reordered.state, reordered.cloud), [], "every record the state lists is in Route 53");
    });

    it("adopts records a stack made under positional names: the upgraded program changes none of them", () => {
        // The state as the program before this change wrote it: records named by their position.
        const positional: StateEntry[] = created.state.map((s) =>
            s.type === RECORD ? { ...s, urn: s.urn.replace(/::aws-(certificate-validation|dns)-[^:]+$/, (_, kind) => `::aws-${kind}-${s.inputs.name.startsWith("_") ? HOSTS.findIndex((h) => s.inputs.name.includes(h)) : HOSTS.indexOf(s.inputs.name)}`) } : s,
        );
        assert.ok(positional.some((s) => s.urn.endsWith("::aws-dns-1")));
        const upgraded = up(positional, base, created.cloud);
        assert.deepEqual(upgraded.refusals, []);
        assert.deepEqual(ops(upgraded), [], "no create, replace or delete");
        assert.ok(upgraded.steps.filter((s) => s.type === RECORD).every((s) => s.op === "same" && s.from), "each record matched through its alias");
    });

    it("upgrades PostgreSQL 17 to 18 in place: the instance and a new family's parameter group; the old group is kept while the instance runs with it", async () => {
        const upgraded = up(created.state, await runProgram("prod", values({ database: { engineVersion: "18", instanceClass: "db.m7g.xlarge", allocatedStorageGb: 200 } })), created.cloud);
        assert.deepEqual(upgraded.refusals, []);
        const instance = upgraded.steps.find((s) => s.name === "aws-postgres" && s.type === "aws:rds/instance:Instance")!;
        assert.deepEqual([instance.op, instance.keys], ["update", ["allocatedStorage", "engineVersion", "instanceClass", "parameterGroupName"]]);
        assert.deepEqual(ops(upgraded, "aws:rds/parameterGroup:ParameterGroup"), ["replace aws-postgres-parameters", "retain aws-postgres-parameters"]);
        const groups = [...upgraded.cloud.values()].filter((o) => o.type === "aws:rds/parameterGroup:ParameterGroup").map((o) => o.id).sort();
        assert.deepEqual(groups, ["llm-platform-prod-postgres-postgres17", "llm-platform-prod-postgres-postgres18"], "the old group stays for the instance until the window");
        // The window applies the upgrade; the old group is then unused and can be deleted by hand (docs/aws.md).
        const after = maintenanceWindow(upgraded.cloud);
        assert.equal([...after.values()].find((o) => o.type === "aws:rds/instance:Instance")!.running!.parameterGroupName, "llm-platform-prod-postgres-postgres18");
    });

    it("destroys with --exclude-protected once deletion protection is off, keeping the data, the keys and every bucket's hardening; up brings the rest back without a collision", async () => {
        const keptTypes = (state: readonly StateEntry[], bucket: string) => state.filter((s) => s.type.startsWith("aws:s3/") && s.inputs.bucket === bucket).map((s) => s.type.split(":")[2]).sort();
        const BUCKETS = ["llm-platform-prod-123456789012-eu-west-1-backups", "llm-platform-prod-123456789012-eu-west-1-logs"];
        const onGuard = destroy(created.state, created.cloud, { excludeProtected: true });
        assert.deepEqual(onGuard.refusals.map((r) => r.reason.split(":")[0]), ["OperationNotPermitted"], "AWS refuses to delete the ALB while deletion protection is on");
        for (const bucket of BUCKETS) assert.deepEqual(keptTypes(onGuard.state, bucket), keptTypes(created.state, bucket), `${bucket}: no setting is stripped on the way`);

        const unguardedRun = await runProgram("prod", values({ loadBalancer: { deletionProtection: false } }));
        const unguarded = up(created.state, unguardedRun, created.cloud);
        assert.deepEqual(ops(unguarded), ["update aws-alb"]);
        const destroyed = destroy(unguarded.state, unguarded.cloud, { excludeProtected: true });
        assert.deepEqual(destroyed.refusals, []);

        for (const bucket of BUCKETS) {
            const everything = keptTypes(unguarded.state, bucket);
            assert.deepEqual(keptTypes(destroyed.state, bucket), everything, `${bucket} keeps ${everything.join(", ")}`);
            for (const s of destroyed.state.filter((x) => x.type.startsWith("aws:s3/") && x.inputs.bucket === bucket)) {
                assert.ok(destroyed.cloud.has(`${s.type} ${bucket}`), `${s.type} of ${bucket} is still in S3`);
            }
        }
        const keptNames = destroyed.state.filter((s) => s.custom && s.type.startsWith("aws:")).map((s) => s.name);
        for (const name of ["aws-backups-key", "aws-backups-key-alias", "aws-database-key-alias", "aws-postgres", "aws-postgres-parameters", "aws-postgres-subnets", "aws-postgres-sg"]) {
            assert.ok(keptNames.includes(name), `${name} kept`);
        }
        for (const gone of ["aws-alb", "aws-waf", "aws-backup-role", "aws-alb-https"]) assert.ok(!keptNames.includes(gone), `${gone} destroyed`);

        // The next up finds the kept objects in the state: it creates the rest, nothing collides.
        const back = up(destroyed.state, unguardedRun, destroyed.cloud);
        assert.deepEqual(back.refusals, []);
        assert.ok(ops(back).every((o) => o.startsWith("create ")), ops(back).join("\n"));
        assert.deepEqual(dangling(back.state, back.cloud), []);
    });

    it("after a destroy whose state was lost, collides on the kept names; aws.adopt imports every kept object instead", async () => {
        const unguardedRun = await runProgram("prod", values({ loadBalancer: { deletionProtection: false } }));
        const live = up(created.state, unguardedRun, created.cloud);
        const destroyed = destroy(live.state, live.cloud, { excludeProtected: true });
        // `pulumi stack rm`, a new backend, or `pulumi state unprotect` + `pulumi destroy`: AWS keeps them, the state does not.
        const lost = up([], unguardedRun, destroyed.cloud);
        const collisions = lost.refusals.map((r) => r.reason);
        for (const name of ["s3 bucket llm-platform-prod-123456789012-eu-west-1-backups", "rds instance llm-platform-prod-postgres", "kms alias/llm-platform-prod-backups", "kms alias/llm-platform-prod-database"]) {
            assert.ok(collisions.some((c) => c.includes(`${name} already exists`)), `${name} collides:\n${collisions.join("\n")}`);
        }

        const adoptRun = await runProgram("prod", values({ adopt: true, loadBalancer: { deletionProtection: false } }), 0, [], undefined, [], lookupsFrom(destroyed.cloud));
        const adopted = up([], adoptRun, destroyed.cloud);
        assert.deepEqual(adopted.refusals, []);
        const kept = [...destroyed.cloud.values()];
        assert.equal(adopted.steps.filter((s) => s.op === "import").length, kept.length, "every object the destroy kept is imported, none created twice");
        assert.deepEqual(dangling(adopted.state, adopted.cloud), []);
        // Imported, then brought to what the program says: nothing is replaced.
        assert.ok(!adopted.steps.some((s) => s.op === "replace"), ops(adopted).join("\n"));
    });

    it("moves a replication group made with an AUTH token to RBAC in place, the old token accepted for one up; a second up changes nothing", async () => {
        const GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";
        const RBAC = ["aws:elasticache/user:User", "aws:elasticache/userGroup:UserGroup"];
        const cache = (values()[AWS_KEY] as Record<string, unknown>).cache ?? {};
        const platformPassword = base.named("aws:elasticache/user:User", "aws-valkey-user-platform").inputs.passwords[0];
        // What the program before RBAC sent (cache.ts @1f7744e): the platform's password as the AUTH token, ROTATE, no user group.
        const legacy = (i: Record<string, any>) => {
            const { userGroupIds: _, ...rest } = i;
            return { ...rest, authToken: platformPassword, authTokenUpdateStrategy: "ROTATE" };
        };
        const rbacUrns = new Set(created.state.filter((s) => RBAC.includes(s.type)).map((s) => s.urn));
        const state: StateEntry[] = created.state
            .filter((s) => !rbacUrns.has(s.urn))
            .map((s) => (s.type === GROUP ? { ...s, inputs: legacy(s.inputs), dependencies: s.dependencies.filter((d) => !rbacUrns.has(d)) } : s));
        const cloud: Cloud = new Map([...created.cloud].filter(([, o]) => !RBAC.includes(o.type)).map(([k, o]) => [k, o.type === GROUP ? { ...o, inputs: legacy(o.inputs) } : o]));

        // First up, with aws.cache.acceptAuthToken: the users and their group are created, the group is updated (the provider's
        // one ModifyReplicationGroup with UserGroupIdsToAdd and AuthTokenUpdateStrategy DELETE), never replaced.
        const handover = up(state, await runProgram("prod", values({ cache: { ...cache, acceptAuthToken: true } })), cloud);
        assert.deepEqual(handover.refusals, []);
        const group = handover.steps.find((s) => s.type === GROUP)!;
        assert.deepEqual([group.op, group.keys], ["update", ["authToken", "authTokenUpdateStrategy", "userGroupIds"]]);
        assert.deepEqual(ops(handover).filter((o) => !o.startsWith("create aws-valkey-user")), [`update ${group.name}`], "only the group changes beside the new users");
        const defaultUser = handover.state.find((s) => s.name === "aws-valkey-user-default")!;
        // Clients still sending the token log in as `default` (AUTH <token>), with the access they had.
        assert.deepEqual([defaultUser.inputs.userName, defaultUser.inputs.passwords, defaultUser.inputs.accessString], ["default", [platformPassword], "on ~* &* +@all"]);

        // Second up, without it: `default` is turned off in place; the group stays as it is.
        const settled = up(handover.state, await runProgram("prod", values({ cache })), handover.cloud);
        assert.deepEqual(settled.refusals, []);
        assert.deepEqual(ops(settled), ["update aws-valkey-user-default"]);
        assert.deepEqual(settled.steps.find((s) => s.name === "aws-valkey-user-default")!.keys, ["accessString", "passwords"]);
        const again = up(settled.state, await runProgram("prod", values({ cache })), settled.cloud);
        assert.deepEqual([again.refusals, ops(again)], [[], []]);
    });

    it("adds and removes an app's ElastiCache user in place: the user group's members change, the replication group does not", async () => {
        const withApp = await runProgram("prod", withOverrides(values(), { "llm-platform:apps": [{ name: "labs", upstream: { service: "lab-manager.labs:8006" }, routes: [{ pathPrefix: "/labs" }], databases: { redis: { keyPrefix: "labs:" } } }] }));
        const added = up(created.state, withApp, created.cloud);
        assert.deepEqual(added.refusals, []);
        assert.deepEqual(ops(added).filter((o) => o.includes("valkey")).sort(), ["create aws-valkey-user-app-labs", "update aws-valkey-users"]);
        const again = up(added.state, withApp, added.cloud);
        assert.deepEqual([again.refusals, ops(again)], [[], []], "a second up with the app changes nothing");
        const removed = up(added.state, base, added.cloud);
        assert.deepEqual(removed.refusals, []);
        assert.deepEqual(ops(removed).filter((o) => o.includes("valkey")).sort(), ["delete aws-valkey-user-app-labs", "update aws-valkey-users"]);
    });

    it("models --exclude-protected as the engine does: protected resources with their dependencies, providers and parents", () => {
        const state: StateEntry[] = [
            { urn: "p", type: "pulumi:providers:aws", name: "p", custom: true, inputs: {}, outputs: {}, dependencies: [], protect: false, retainOnDelete: false },
            { urn: "c", type: "x:C", name: "c", custom: false, inputs: {}, outputs: {}, dependencies: [], protect: false, retainOnDelete: false },
            { urn: "dep", type: "aws:x", name: "dep", custom: true, inputs: {}, outputs: {}, parent: "c", dependencies: [], provider: "p", protect: false, retainOnDelete: false },
            { urn: "data", type: "aws:y", name: "data", custom: true, inputs: {}, outputs: {}, parent: "c", dependencies: ["dep"], provider: "p", protect: true, retainOnDelete: true },
            { urn: "side", type: "aws:z", name: "side", custom: true, inputs: {}, outputs: {}, parent: "c", dependencies: ["data"], provider: "p", protect: false, retainOnDelete: false },
        ];
        // What depends on the protected resource (its policy, say) is not kept: only what it depends on.
        assert.deepEqual([...excludedByProtect(state)].sort(), ["c", "data", "dep", "p"]);
    });

    it("refuses a major upgrade without allowMajorVersionUpgrade and a downgrade, as RDS does", () => {
        const rds = AWS_BEHAVIOURS["aws:rds/instance:Instance"];
        assert.match(rds.refuseUpdate!({ engineVersion: "17" }, { engineVersion: "18" })!, /AllowMajorVersionUpgrade flag must be present/);
        assert.equal(rds.refuseUpdate!({ engineVersion: "17" }, { engineVersion: "18", allowMajorVersionUpgrade: true }), undefined);
        assert.equal(rds.refuseUpdate!({ engineVersion: "17" }, { engineVersion: "17.7" }), undefined);
        assert.match(rds.refuseUpdate!({ engineVersion: "18" }, { engineVersion: "17", allowMajorVersionUpgrade: true })!, /Cannot upgrade postgres from 18 to 17/);
    });
});
