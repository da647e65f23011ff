import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { DOCKER_CONTAINER } from "./support/docker";
import { dockerEnv } from "./support/env";
import { describeContainer, podContainers, podTemplateOf } from "./support/kubernetes";
import { looksSecret, secretInText, SecretNameConfig, secretNameProperties } from "./support/secret-values";
import { asArray, isRecord } from "./support/values";

const schema: PolicyConfigSchema = { properties: secretNameProperties };

export const kubernetesSecretsNotInEnv: ResourceValidationPolicy = {
    name: "kubernetes-secrets-not-literal-env",
    description:
        "Kubernetes containers get secrets from Secrets: an env var whose name says it holds one (PASSWORD, SECRET, TOKEN, " +
        "API_KEY, BEARER, AZURE_*_KEY, *_KEY_CONTENT, ...; camelCase too) uses valueFrom.secretKeyRef (or envFrom a Secret, " +
        "or a mounted file), never a literal `value`, which lands in the workload's spec, its history and every " +
        "`kubectl get -o yaml`; and no literal value, whatever its name, is a secret (a private key, a password in a URL or " +
        "connection string, a bearer token, a JWT, a provider's API token). *Patch resources are judged on the env they set.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const template = podTemplateOf(args.type, args.props, { patches: true });
        if (!template) return;
        const config = configOf<SecretNameConfig>(schema, args);
        for (const c of podContainers(template.spec)) {
            for (const entry of asArray(c.container.env).filter(isRecord)) {
                if (typeof entry.name !== "string" || typeof entry.value !== "string" || entry.value === "") continue;
                const where = `${describeResource(args.type, args.name)} ${describeContainer(c)}: env ${entry.name}`;
                if (looksSecret(entry.name, config)) {
                    reportViolation(`${where} is a literal value; required: valueFrom.secretKeyRef to a Secret key`);
                    continue;
                }
                const found = secretInText(entry.value);
                if (found) reportViolation(`${where} holds ${found} as a literal value; required: valueFrom.secretKeyRef to a Secret key`);
            }
        }
    },
};

export const dockerSecretsInEnv: ResourceValidationPolicy = {
    name: "docker-secrets-in-env",
    description:
        "Advisory: Docker containers that take secrets through env (names such as PASSWORD, SECRET, TOKEN, API_KEY, or values " +
        "that are secrets whatever the name). Docker has no other way for most images, so this only lists them: make sure each " +
        "is a Pulumi secret (pulumi.secret) so the state encrypts it, and prefer a *_FILE variable with an uploaded file where " +
        "the image supports one.",
    enforcementLevel: "advisory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        if (args.type !== DOCKER_CONTAINER) return;
        const config = configOf<SecretNameConfig>(schema, args);
        const names = [...dockerEnv(args.props.envs)]
            .filter(([name, value]) => value !== "" && (looksSecret(name, config) || secretInText(value) !== undefined))
            .map(([name]) => name);
        if (names.length > 0) {
            reportViolation(`${describeResource(args.type, args.name)}: env ${names.join(", ")} carr${names.length === 1 ? "ies a secret" : "y secrets"}; keep ${names.length === 1 ? "it" : "them"} a Pulumi secret, or pass a file (*_FILE) where the image allows`);
        }
    },
};
