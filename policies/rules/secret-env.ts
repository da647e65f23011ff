import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { DOCKER_CONTAINER } from "./support/docker";
import { describeContainer, podContainers, podTemplateOf } from "./support/kubernetes";
import { asArray, isRecord } from "./support/values";

const schema: PolicyConfigSchema = {
    properties: {
        secretNamePattern: {
            type: "string",
            default: "(^|_)(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|CREDENTIALS?|(API|ACCESS|SECRET|PRIVATE|SIGNING|ENCRYPTION|MASTER|LICENSE)_?KEY|APIKEY)(_|$)",
            description: "Regular expression (case-insensitive) of environment variable names that carry secrets.",
        },
        notSecretPattern: {
            type: "string",
            default: "_(FILE|PATH|DIR|NAME|ID|ARN|REF|URL|HEADER|TTL|LENGTH|ENABLED)$",
            description: "Names that match secretNamePattern but hold no secret (a path to a secret file, a key's name or id).",
        },
    },
};

interface Config {
    secretNamePattern: string;
    notSecretPattern: string;
}

function looksSecret(name: string, config: Config): boolean {
    return new RegExp(config.secretNamePattern, "i").test(name) && !new RegExp(config.notSecretPattern, "i").test(name);
}

export const kubernetesSecretsNotInEnv: ResourceValidationPolicy = {
    name: "kubernetes-secrets-not-literal-env",
    description:
        "Kubernetes containers get secrets from Secrets: an env var whose name says it holds one (PASSWORD, SECRET, TOKEN, " +
        "API_KEY, ...) uses valueFrom.secretKeyRef (or envFrom a Secret, or a mounted file), never a literal `value`, which " +
        "lands in the workload's spec, its history and every `kubectl get -o yaml`.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        const template = podTemplateOf(args.type, args.props);
        if (!template) return;
        const config = configOf<Config>(schema, args);
        for (const c of podContainers(template.spec)) {
            for (const entry of asArray(c.container.env).filter(isRecord)) {
                if (typeof entry.name !== "string" || typeof entry.value !== "string" || entry.value === "" || !looksSecret(entry.name, config)) continue;
                reportViolation(
                    `${describeResource(args.type, args.name)} ${describeContainer(c)}: env ${entry.name} is a literal value; ` +
                        `required: valueFrom.secretKeyRef to a Secret key`,
                );
            }
        }
    },
};

export const dockerSecretsInEnv: ResourceValidationPolicy = {
    name: "docker-secrets-in-env",
    description:
        "Advisory: Docker containers that take secrets through env (names such as PASSWORD, SECRET, TOKEN, API_KEY). Docker " +
        "has no other way for most images, so this only lists them: make sure each is a Pulumi secret (pulumi.secret) so " +
        "the state encrypts it, and prefer a *_FILE variable with an uploaded file where the image supports one.",
    enforcementLevel: "advisory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        if (args.type !== DOCKER_CONTAINER) return;
        const config = configOf<Config>(schema, args);
        const names = asArray(args.props.envs)
            .filter((e): e is string => typeof e === "string" && e.includes("="))
            .map((e) => e.slice(0, e.indexOf("=")))
            .filter((name) => looksSecret(name, config));
        if (names.length > 0) {
            reportViolation(`${describeResource(args.type, args.name)}: env ${names.join(", ")} carr${names.length === 1 ? "ies a secret" : "y secrets"}; keep ${names.length === 1 ? "it" : "them"} a Pulumi secret, or pass a file (*_FILE) where the image allows`);
        }
    },
};
