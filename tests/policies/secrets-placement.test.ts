/**
 * Secrets where they do not belong: env values and names (Polaris sensitiveContainerEnvVar),
 * ConfigMap data and binaryData (Polaris sensitiveConfigmapContent), with the exemption
 * mechanism of policies/exemptions.ts.
 */
import { strict as assert } from "assert";
import { generateKeyPairSync } from "crypto";
import { kubernetesSecretsNotInConfigMaps } from "../../policies/rules/config-map-secrets";
import { dockerSecretsInEnv, kubernetesSecretsNotInEnv } from "../../policies/rules/secret-env";
import { withExemptions } from "../../policies/rules/support/exemptions";
import { runPolicies } from "../../policies/rules/support/evaluate";
import { container } from "./helpers/docker-fixtures";
import { CONFIG_MAP, k8sContainer, NAMESPACE, podSpec, sqlServerStatefulSet, STATEFUL_SET, workload } from "./helpers/kubernetes-fixtures";
import { check, messages, resource } from "./helpers/run";

const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const PEM_KEY = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const DER_KEY = privateKey.export({ type: "pkcs8", format: "der" });
// Made-up values in the shapes of real ones: nothing here was ever a credential.
const JWT = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from('{"sub":"llm-platform-test"}').toString("base64url")}.c2lnbmF0dXJlLW5vdC1yZWFs`;
const GITHUB_TOKEN = `ghp_${"A1b2C3d4E5".repeat(4)}`;

const withEnv = (env: Record<string, any>[]) => workload(STATEFUL_SET, "qdrant", podSpec([k8sContainer("qdrant", { image: "qdrant/qdrant:v1.19.2-unprivileged", env })]));
const configMap = (data: Record<string, string>, binaryData: Record<string, string> = {}, type = CONFIG_MAP) =>
    resource(type, "app-config", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "app-config", namespace: NAMESPACE }, data, ...(Object.keys(binaryData).length > 0 ? { binaryData } : {}) }, "prod");

describe("policy kubernetes-secrets-not-literal-env: names and values", () => {
    it("passes references, paths, key IDs and values that only look like URLs or headers", async () => {
        const ok = withEnv([
            { name: "DATABASE_URL", value: "postgres://llm@timescale:5432/llm?sslmode=verify-full" },
            { name: "REDIS_URL", value: "redis://:$(REDIS_PASSWORD)@redis:6379/0" },
            { name: "AUTH_HEADER", value: "Authorization" },
            { name: "OPENAI_API_KEY_FILE", value: "/run/secrets/openai" },
            { name: "TOKENIZER", value: "cl100k_base" },
            { name: "dbPasswordSecretName", value: "timescale-credentials" },
            { name: "QDRANT__SERVICE__API_KEY", valueFrom: { secretKeyRef: { name: "qdrant", key: "api-key" } } },
        ]);
        assert.deepEqual(await check(kubernetesSecretsNotInEnv, ok), []);
    });

    it("fails names the peers list (AZURE_*_KEY, *_KEY_CONTENT, BEARER, camelCase) given literally", async () => {
        for (const name of ["AZURE_BATCH_KEY", "OCI_CLI_KEY_CONTENT", "BEARER", "dbPassword", "client.secret", "REDISCLI_AUTH", "AWS_SECRET_ACCESS_KEY"]) {
            const found = messages(await check(kubernetesSecretsNotInEnv, withEnv([{ name, value: "x7Tq-not-a-real-value" }])));
            assert.deepEqual(found, [`kubernetes:apps/v1:StatefulSet "qdrant" container "qdrant": env ${name} is a literal value; required: valueFrom.secretKeyRef to a Secret key`], name);
        }
    });

    it("fails a value that is a secret whatever its name: private key, URL or connection-string password, bearer token, JWT, provider token", async () => {
        const cases: [string, RegExp][] = [
            [PEM_KEY, /holds a PEM private key/],
            ["---BEGIN OPENSSH PRIVATE KEY---\nb3BlbnNzaC1rZXktdjE=\n---END OPENSSH PRIVATE KEY---", /holds a PEM private key/],
            ["postgres://llm:Aa1-Bb2_0c2e7d1f@timescale:5432/llm", /holds a password in a URL/],
            ["Server=sqlserver,1433;User Id=sa;Password=Aa1-Bb2_0c2e7d1f;TrustServerCertificate=false", /holds a password or account key in a connection string/],
            ["Bearer 7f9c2ba4e88f827d616045507605853e", /holds a bearer token/],
            [JWT, /holds a JSON Web Token/],
            [GITHUB_TOKEN, /holds an API token of a known provider/],
            ["AKIAIOSFODNN7EXAMPLE", /holds an AWS access key ID/],
        ];
        for (const [value, expected] of cases) {
            const found = messages(await check(kubernetesSecretsNotInEnv, withEnv([{ name: "UPSTREAM", value }])));
            assert.equal(found.length, 1, value);
            assert.match(found[0], expected);
            assert.match(found[0], /env UPSTREAM holds .* as a literal value; required: valueFrom.secretKeyRef/);
        }
    });

    it("lists Docker env whose value is a secret too, as advisory", async () => {
        const [v] = await check(dockerSecretsInEnv, container("ollama", { envs: ["OLLAMA_HOST=0.0.0.0", `UPSTREAM=${JWT}`] }));
        assert.equal(v.enforcementLevel, "advisory");
        assert.match(v.message, /env UPSTREAM carries a secret/);
    });
});

describe("policy kubernetes-secrets-not-in-config-maps", () => {
    it("passes configuration, CA certificates and settings about secrets", async () => {
        const ok = configMap(
            { "nginx.conf": "events {}\n", "token-ttl": "3600", "ca.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", PASSWORD_FILE: "/run/secrets/db", "api-key-header": "X-Api-Key", DB_PASSWORD: "", GF_DATABASE_PASSWORD: "$__env{GF_DATABASE_PASSWORD}", "client.secret": "${CLIENT_SECRET}" },
            { "logo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]).toString("base64") },
        );
        assert.deepEqual(await check(kubernetesSecretsNotInConfigMaps, ok), []);
    });

    it("fails keys named like secrets and values that are secrets, in data and binaryData (PEM or DER)", async () => {
        const found = messages(await check(kubernetesSecretsNotInConfigMaps, configMap(
            { DB_PASSWORD: "Aa1-Bb2_0c2e7d1f", "tls.key": PEM_KEY, "exporter.yml": "data_source_name: sqlserver://llm_monitor:Aa1-Bb2_0c2e7d1f@sqlserver:1433\n" },
            { "signing.der": DER_KEY.toString("base64"), "api-token": Buffer.from("t0k3n").toString("base64") },
        )));
        assert.deepEqual(found, [
            'kubernetes:core/v1:ConfigMap "app-config": data["DB_PASSWORD"] is named like a secret and has a value; required: the value in a Secret (mounted or secretKeyRef)',
            'kubernetes:core/v1:ConfigMap "app-config": data["tls.key"] holds a PEM private key; required: the value in a Secret (mounted or secretKeyRef)',
            'kubernetes:core/v1:ConfigMap "app-config": data["exporter.yml"] holds a password in a URL (scheme://user:password@host); required: the value in a Secret (mounted or secretKeyRef)',
            'kubernetes:core/v1:ConfigMap "app-config": binaryData["signing.der"] holds a DER-encoded private key (PKCS8); required: the value in a Secret (mounted or secretKeyRef)',
            'kubernetes:core/v1:ConfigMap "app-config": binaryData["api-token"] is named like a secret and has a value; required: the value in a Secret (mounted or secretKeyRef)',
        ]);
        assert.equal((await check(kubernetesSecretsNotInConfigMaps, configMap({ password: "hunter2" }, {}, "kubernetes:core/v1:ConfigMapPatch"))).length, 1);
        // A masked value marks where the real one will go (Polaris sensitiveConfigmapContent fails these keys too).
        assert.equal((await check(kubernetesSecretsNotInConfigMaps, configMap({ AZURE_BATCH_KEY: "xxxxx", OCI_CLI_KEY_CONTENT: "****" }))).length, 2);
    });

    it("lets one ConfigMap off with an exemption of policies/exemptions.ts, listed in every preview", async () => {
        const pack = withExemptions([kubernetesSecretsNotInConfigMaps], [{ policy: "kubernetes-secrets-not-in-config-maps", resource: "app-config", reason: "a public test key of the vendor's documentation" }]);
        const found = await runPolicies(pack, [configMap({ "tls.key": PEM_KEY })]);
        assert.deepEqual(found.map((v) => [v.policy, v.enforcementLevel]), [["policy-exemptions", "advisory"]]);
        assert.deepEqual(messages(await check(kubernetesSecretsNotInEnv, sqlServerStatefulSet())), []);
    });
});
