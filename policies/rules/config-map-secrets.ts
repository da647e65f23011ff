import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./support/config";
import { describeResource } from "./support/describe";
import { K8S_CONFIG_MAP, patchedType } from "./support/kubernetes";
import { looksSecret, reference, secretInBytes, secretInText, SecretNameConfig, secretNameProperties } from "./support/secret-values";
import { asRecord } from "./support/values";

const schema: PolicyConfigSchema = { properties: secretNameProperties };

export const kubernetesSecretsNotInConfigMaps: ResourceValidationPolicy = {
    name: "kubernetes-secrets-not-in-config-maps",
    description:
        "ConfigMaps hold no secrets: no `data` or `binaryData` key named like one (password, token, secret, api-key, " +
        "credentials, ... as for env names) with a value, and no value, whatever its key, that is one (a PEM or DER private " +
        "key, a password in a URL or connection string, a bearer token, a JWT, a provider's API token). ConfigMaps are " +
        "readable by anyone who may read the namespace's configuration and are never encrypted at rest; put it in a Secret. " +
        "ConfigMapPatch resources are judged on the keys they set.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, reportViolation) => {
        if (patchedType(args.type) !== K8S_CONFIG_MAP) return;
        const config = configOf<SecretNameConfig>(schema, args);
        const where = describeResource(args.type, args.name);
        const report = (field: string, what: string) => reportViolation(`${where}: ${field} ${what}; required: the value in a Secret (mounted or secretKeyRef)`);
        for (const [key, value] of Object.entries(asRecord(args.props.data))) {
            if (typeof value !== "string") continue;
            // A masked value (xxxxx) still marks the place where the real one will go: only a reference filled in elsewhere passes.
            if (looksSecret(key, config) && value.trim() !== "" && !reference(value)) report(`data["${key}"]`, "is named like a secret and has a value");
            else {
                const found = secretInText(value);
                if (found) report(`data["${key}"]`, `holds ${found}`);
            }
        }
        for (const [key, value] of Object.entries(asRecord(args.props.binaryData))) {
            if (typeof value !== "string") continue;
            const bytes = Buffer.from(value, "base64");
            if (looksSecret(key, config) && bytes.length > 0) report(`binaryData["${key}"]`, "is named like a secret and has a value");
            else {
                const found = secretInBytes(bytes);
                if (found) report(`binaryData["${key}"]`, `holds ${found}`);
            }
        }
    },
};
