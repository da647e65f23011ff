import { createPrivateKey } from "crypto";
import type { PolicyConfigSchema } from "@pulumi/policy";

/**
 * Secrets where they do not belong: names that say they hold one (env vars, ConfigMap keys)
 * and values that are one whatever their name (a private key, a password in a URL or a
 * connection string, a bearer token, a JWT, a provider's API token).
 */

export const secretNameProperties: NonNullable<PolicyConfigSchema["properties"]> = {
    secretNamePattern: {
        type: "string",
        default:
            "(^|_)(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|BEARER|CREDENTIALS?|KEY_CONTENT|" +
            "(API|ACCESS|SECRET|PRIVATE|SIGNING|ENCRYPTION|MASTER|LICENSE|SSH|DEPLOY|ACCOUNT|STORAGE|CLIENT|SESSION)_?KEY|APIKEY)(_|$)|" +
            "^AZURE_.*KEY$|(^|_)AUTH$",
        description:
            "Regular expression (case-insensitive) of names (env vars, ConfigMap keys) that carry secrets; names are compared with " +
            "camelCase, '-' and '.' turned into '_' (dbPassword, api-token and client.secret match).",
    },
    notSecretPattern: {
        type: "string",
        default: "_(FILE|PATH|DIR|NAME|ID|ARN|REF|URL|HEADER|TTL|LENGTH|ENABLED|TYPE|MODE|METHOD|TIMEOUT|SECONDS|DAYS|SIZE|ALGORITHM|POLICY|VERSION|PREFIX)$",
        description: "Names that match secretNamePattern but hold no secret (a path to a secret file, a key's name or id, a setting about it).",
    },
};

export interface SecretNameConfig {
    secretNamePattern: string;
    notSecretPattern: string;
}

/** `dbPassword`, `api-token`, `client.secret` → `db_Password`, `api_token`, `client_secret`. */
function normalizedName(name: string): string {
    return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[-.]/g, "_");
}

export function looksSecret(name: string, config: SecretNameConfig): boolean {
    const normalized = normalizedName(name);
    return new RegExp(config.secretNamePattern, "i").test(normalized) && !new RegExp(config.notSecretPattern, "i").test(normalized);
}

/** A value filled in from elsewhere when the config is used: a variable or template reference. */
export function reference(value: string): boolean {
    return /^\s*(\$\(|\$\{|\$__|\{\{|%\()/.test(value);
}

/** A value that stands for a secret rather than being one: empty, a reference, a template, a mask. */
export function placeholder(value: string): boolean {
    return /^(\$\(|\$\{|\$[A-Za-z_]|%\(|\{\{|<.*>$|\*+$|x+$|\[.*\]$|redacted$)/i.test(value.trim()) || value.trim() === "";
}

interface Detector {
    readonly what: string;
    readonly find: (text: string) => boolean;
}

const matching = (re: RegExp) => (text: string) => re.test(text);

const DETECTORS: readonly Detector[] = [
    { what: "a PEM private key", find: matching(/-{3,}\s*BEGIN\s+([A-Z0-9]+\s+)*PRIVATE KEY( BLOCK)?\s*-{3,}/) },
    {
        what: "a password in a URL (scheme://user:password@host)",
        find: (text) => [...text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]*:([^\s@/'"]+)@[^\s/'"]/gi)].some((m) => !placeholder(safeDecode(m[1]))),
    },
    {
        what: "a password or account key in a connection string (Password=...;)",
        find: (text) => [...text.matchAll(/(?:^|;)\s*(?:password|pwd|accountkey|sharedaccesskey)\s*=\s*([^;\r\n]*)/gi)].some((m) => !placeholder(m[1])),
    },
    { what: "a bearer token", find: matching(/\bBearer\s+[A-Za-z0-9\-._~+/]{20,}=*(?![A-Za-z0-9\-._~+/=(])/) },
    { what: "a JSON Web Token", find: matching(/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/) },
    { what: "an AWS access key ID (a long-term key; its secret is never far)", find: matching(/\b(AKIA|ASIA)[A-Z0-9]{16}\b/) },
    {
        what: "an API token of a known provider (GitHub, GitLab, Slack, Stripe, OpenAI, Anthropic, Google, Hugging Face)",
        find: matching(/\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{16,}|sk-(proj-|ant-)?[A-Za-z0-9_-]{32,}|AIza[0-9A-Za-z_-]{35}|hf_[A-Za-z]{34})\b/),
    },
];

function safeDecode(value: string): string {
    try {
        return decodeURIComponent(value);
    } catch {
        return value;
    }
}

/** What secret a text holds (for messages), or undefined. */
export function secretInText(text: string): string | undefined {
    return DETECTORS.find((d) => d.find(text))?.what;
}

/** What secret a binary value holds: a PEM private key, or a DER-encoded one (PKCS#8, PKCS#1, SEC1). */
export function secretInBytes(bytes: Buffer): string | undefined {
    const asText = secretInText(bytes.toString("latin1"));
    if (asText) return asText;
    for (const type of ["pkcs8", "pkcs1", "sec1"] as const) {
        try {
            createPrivateKey({ key: bytes, format: "der", type });
            return `a DER-encoded private key (${type.toUpperCase()})`;
        } catch {
            // not this encoding
        }
    }
    return undefined;
}
