#!/usr/bin/env bash
# Rotates one generated secret of a stack (docs/rotation.md says what happens to each):
#   npm run rotate -- <stack> <secret>             # a new value, in the service and every consumer
#   npm run rotate -- <stack> <api key> --revoke   # an API key's previous value: refused from now on
#   npm run rotate -- --kind <secret>              # how it rotates: api-key, stored, configured, managed
# A secret's name is the generated resource's: timescale-password, proxy-api-key-<client>, ...
# Unknown names stop at the config check of `pulumi up`, which lists the stack's secrets.
set -euo pipefail
export LLM_COMMAND="npm run rotate"

# How a secret rotates, by its name (components/config/rotation.ts rotatableSecrets; a test holds them equal).
kind_of() {
    case "$1" in
        proxy-api-key-*) echo api-key ;;
        sqlserver-sa-password | sqlserver-master-key-password | timescale-password | grafana-admin-password | logs-elastic-password) echo stored ;;
        rds-master-password) echo managed ;;
        *) echo configured ;;
    esac
}

usage="usage: npm run rotate -- <stack> <secret> [--revoke]   (e.g. npm run rotate -- dev proxy-api-key-default)"
if [[ "${1:-}" == --kind ]]; then
    [[ $# -eq 2 ]] || { echo "$usage" >&2; exit 2; }
    kind_of "$2"
    exit 0
fi
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
[[ $# -ge 2 && $# -le 3 ]] || llm_fail "$usage"
stack="$1"
secret="$2"
revoke="${3:-}"
[[ -z "$revoke" || "$revoke" == --revoke ]] || llm_fail "unknown argument $revoke; $usage"
[[ "$secret" =~ ^[A-Za-z0-9-]+$ ]] || llm_fail "$secret is not a secret's name; $usage"
kind="$(kind_of "$secret")"
[[ -z "$revoke" || "$kind" == api-key ]] || llm_fail "--revoke is for API keys: $secret ($kind) has one valid value at a time"

llm_env "$stack"
pulumi stack select "$stack" >/dev/null

if [[ "$kind" == managed ]]; then
    arn="$(pulumi stack output aws --json | jq -r '.database.masterUserSecretArn')"
    [[ -n "$arn" && "$arn" != null ]] || llm_fail "stack $stack reports no RDS master secret (output aws.database.masterUserSecretArn)"
    llm_say "RDS rotates its master password in Secrets Manager: aws secretsmanager rotate-secret --secret-id $arn"
    aws secretsmanager rotate-secret --secret-id "$arn"
    exit 0
fi

key="rotation.$secret"
generation="$(pulumi config get --path "$key.generation" 2>/dev/null || echo 0)"
[[ "$generation" =~ ^[0-9]+$ ]] || llm_fail "$key.generation is $generation, not a whole number"

if [[ -n "$revoke" ]]; then
    pulumi config set --path "$key.previousAccepted" false
    llm_say "$secret: the previous key is refused once this update is applied"
    pulumi up
    exit 0
fi

next=$((generation + 1))
# Each generation is a resource of its own (<name>, then <name>-r<n>). A stored secret keeps the
# generation before it, protected like the data it opens: the one before that leaves the state
# with this update, so it is unprotected first.
if [[ "$kind" == stored && "$generation" -ge 1 ]]; then
    retired="$secret"
    [[ "$generation" -ge 2 ]] && retired="$secret-r$((generation - 1))"
    urn="$(pulumi stack --show-urns | grep -oE "urn:pulumi:[^ ]*::$retired\$" | head -n 1 || true)"
    if [[ -n "$urn" ]]; then pulumi state unprotect --yes "$urn"; fi
fi
pulumi config set --path "$key.generation" "$next"
case "$kind" in
    api-key)
        pulumi config set --path "$key.previousAccepted" true
        llm_say "$secret: generation $next; the previous key stays accepted. Hand out the new one (npm run outputs), then: npm run rotate -- $stack $secret --revoke" ;;
    stored) llm_say "$secret: generation $next; a step logs in with the previous value and sets the new one, every consumer gets it in this update" ;;
    configured) llm_say "$secret: generation $next; the service and every consumer get it in this update" ;;
esac
pulumi up
