/**
 * scripts/app-env.sh (`npm run app-env`): an app's credentials from the secret stack output as an
 * env file of KEY=value lines, mode 0600, under the real bash with a stub `pulumi` that answers
 * `stack output --show-secrets --json credentials` as the stack would.
 */
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../harness/run-stack";

const CREDENTIALS = {
    apps: {
        reports: {
            postgresPassword: "Gen-erated_Pass.word~1",
            env: {
                PGHOST: "timescale",
                PGPORT: "5432",
                PGPASSWORD: "Gen-erated_Pass.word~1",
                MSSQL_CONNECTION_STRING: "Server=sqlserver,1433;Database=reports;User Id=reports;Password=x;Encrypt=True;TrustServerCertificate=True",
            },
        },
        plain: {},
        search: {
            qdrantApiKey: "eyJ.token.sig",
            env: {
                QDRANT_URL: "https://qdrant:6333",
                QDRANT_CA_PEM: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
                QDRANT_API_KEY: "eyJ.token.sig",
            },
        },
        broken: { env: { NOTE: "two\nlines" } },
    },
};

function appEnv(args: string[]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-app-env-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(dir, "credentials.json"), JSON.stringify(CREDENTIALS));
    fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\necho "$*" >> "${dir}/calls.log"\ncat "${dir}/credentials.json"\n`, { mode: 0o755 });
    const r = spawnSync("bash", [path.join(PROJECT_DIR, "scripts", "app-env.sh"), ...args], {
        cwd: dir,
        encoding: "utf8",
        env: { PATH: `${bin}:${process.env.PATH}`, HOME: dir, PULUMI_BACKEND_URL: `file://${dir}`, PULUMI_CONFIG_PASSPHRASE: "test" },
    });
    const calls = fs.existsSync(path.join(dir, "calls.log")) ? fs.readFileSync(path.join(dir, "calls.log"), "utf8") : "";
    return { status: r.status, err: r.stderr, dir, calls };
}

describe("npm run app-env: an app's credentials as an env file", function () {
    this.timeout(60000);

    it("writes every variable of the app as KEY=value, readable by its owner only, from the secret output", () => {
        const r = appEnv(["dev", "reports", "reports.env"]);
        assert.equal(r.status, 0, r.err);
        const file = path.join(r.dir, "reports.env");
        assert.equal(
            fs.readFileSync(file, "utf8"),
            "PGHOST=timescale\nPGPORT=5432\nPGPASSWORD=Gen-erated_Pass.word~1\nMSSQL_CONNECTION_STRING=Server=sqlserver,1433;Database=reports;User Id=reports;Password=x;Encrypt=True;TrustServerCertificate=True\n",
        );
        assert.equal(fs.statSync(file).mode & 0o777, 0o600);
        assert.match(r.calls, /stack output --stack dev --show-secrets --json credentials/);
        assert.deepEqual(fs.readdirSync(r.dir).filter((f) => f.startsWith(".app-env")), [], "no temporary file left");
    });

    it("writes a certificate (several lines) into a file of its own beside the env file, and refuses any other multi-line value", () => {
        const r = appEnv(["dev", "search", "search.env"]);
        assert.equal(r.status, 0, r.err);
        assert.equal(fs.readFileSync(path.join(r.dir, "search.env"), "utf8"), "QDRANT_URL=https://qdrant:6333\nQDRANT_API_KEY=eyJ.token.sig\n");
        assert.equal(fs.readFileSync(path.join(r.dir, "search.env.QDRANT_CA_PEM"), "utf8"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
        assert.match(r.err, /search\.env\.QDRANT_CA_PEM/);
        assert.deepEqual(fs.readdirSync(r.dir).filter((f) => f.startsWith(".app-env")), [], "no temporary file left");
        const broken = appEnv(["dev", "broken", "broken.env"]);
        assert.notEqual(broken.status, 0);
        assert.match(broken.err, /NOTE holds a line break/);
        assert.ok(!fs.existsSync(path.join(broken.dir, "broken.env")));
    });

    it("names the file after the app unless told, and refuses an app the stack gives nothing", () => {
        const ok = appEnv(["reports"]);
        assert.equal(ok.status, 0, ok.err);
        assert.ok(fs.existsSync(path.join(ok.dir, "app-reports.env")));
        const none = appEnv(["plain"]);
        assert.notEqual(none.status, 0);
        assert.match(none.err, /gives app plain no credentials/);
        assert.ok(!fs.existsSync(path.join(none.dir, "app-plain.env")));
        const bad = appEnv(["Not_An_App"]);
        assert.notEqual(bad.status, 0);
        assert.match(bad.err, /is not an app's name/);
    });
});
