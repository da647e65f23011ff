#!/usr/bin/env bash
# Rotates one generated secret of a stack (docs/operations.md › Rotating a generated secret says
# what happens to each):
#   npm run rotate -- <secret>                        # dev: a new value, in the service and every consumer
#   npm run rotate -- prod <secret> [--yes]           # another stack (scripts/stack-arg.sh)
#   npm run rotate -- [<stack>] <api key> --revoke    # an API key's previous value: refused from now on
#   npm run rotate -- --kind <secret>                 # how it rotates: api-key, stored, configured, replaced, managed
# A secret's name is its resource's: timescale-password, proxy-api-key-<client>, tls-server-key...
# A name the stack does not generate stops at the config check of `npm run up`, which lists them.
set -euo pipefail
export LLM_COMMAND="npm run rotate"
export LLM_USAGE="npm run rotate -- [<stack>] <secret> [--revoke] [--yes]   (e.g. npm run rotate -- dev proxy-api-key-default)"

# How a secret rotates, by its name (components/config/rotation.ts rotatableSecrets; tests/rotation.test.ts holds them equal).
kind_of() {
    case "$1" in
        proxy-api-key-*) echo api-key ;;
        sqlserver-sa-password | sqlserver-master-key-password | timescale-password | grafana-admin-password | logs-elastic-password) echo stored ;;
        tls-ca-key | tls-server-key | elasticsearch-tls-key | qdrant-tls-key | timescale-tls-key | redis-tls-key | logs-kibana-*-key) echo replaced ;;
        rds-master-password) echo managed ;;
        *) echo configured ;;
    esac
}

if [[ "${1:-}" == --kind ]]; then
    [[ $# -eq 2 ]] || { echo "usage: npm run rotate -- --kind <secret>" >&2; exit 2; }
    kind_of "$2"
    exit 0
fi
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

llm_pick_stack if-stack "$@"
shift "$llm_stack_shift"
[[ $# -gt 0 && "$1" != -* ]] || llm_usage_fail "name the secret to rotate"
secret="$1"
shift
[[ "$secret" =~ ^[A-Za-z0-9-]+$ ]] || llm_usage_fail "'$secret' is not a secret's name (letters, digits and dashes)"
revoke=""
yes=()
for arg in "$@"; do
    case "$arg" in
        --revoke) revoke=1 ;;
        --yes | -y) yes=(--yes) ;;
        *) llm_refuse_arg "$arg" ;;
    esac
done
kind="$(kind_of "$secret")"
[[ -z "$revoke" || "$kind" == api-key ]] || llm_usage_fail "--revoke is for API keys: $secret ($kind) has one valid value at a time"

llm_env "$llm_stack"
llm_select_stack "$llm_stack"
# The update itself goes through npm run up: the same preflight and policy pack as any other.
up() { bash "$llm_project_dir/scripts/up.sh" "$llm_stack" ${yes[@]+"${yes[@]}"} "$@"; }
urn_of() { pulumi stack --stack "$llm_stack" --show-urns | grep -oE "urn:pulumi:[^ ]*::$1\$" | head -n 1 || true; }

case "$kind" in
    managed)
        arn="$(pulumi stack output --stack "$llm_stack" aws --json | jq -r '.database.masterUserSecretArn // empty')"
        [[ -n "$arn" ]] || llm_fail "stack $llm_stack reports no RDS master secret (output aws.database.masterUserSecretArn)"
        llm_say "RDS keeps its master password in Secrets Manager and rotates it there (also every 7 days by itself): aws secretsmanager rotate-secret --secret-id $arn"
        aws secretsmanager rotate-secret --secret-id "$arn"
        exit 0
        ;;
    replaced)
        # A key is replaced with everything it signs or encrypts (docs/operations.md says what that costs).
        urn="$(urn_of "$secret")"
        [[ -n "$urn" ]] || llm_fail "stack $llm_stack has no resource named $secret (pulumi stack --show-urns)"
        # Kibana's keys are protected as the saved objects they encrypt: a replacement must unprotect the old one.
        [[ "$secret" != logs-kibana-* ]] || pulumi state unprotect --stack "$llm_stack" --yes "$urn"
        llm_say "$secret: replaced in this update, with everything that depends on it"
        up -- --replace "$urn"
        exit 0
        ;;
esac

key="rotation.$secret"
generation="$(pulumi config get --stack "$llm_stack" --path "$key.generation" 2>/dev/null || true)"
generation="${generation:-0}"
[[ "$generation" =~ ^[0-9]+$ ]] || llm_fail "$key.generation is '$generation', not a whole number"

if [[ -n "$revoke" ]]; then
    pulumi config set --stack "$llm_stack" --path "$key.previousAccepted" false
    llm_say "$secret: the previous key is refused once this update is applied"
    up
    exit 0
fi

next=$((generation + 1))
# Each generation is a resource of its own (<name>, then <name>-r<n>). A stored secret keeps the
# generation before it for the step that logs in with it, protected like the data it opens: the
# one before that leaves the state with this update, so it is unprotected first.
if [[ "$kind" == stored && "$generation" -ge 1 ]]; then
    retired="$secret"
    [[ "$generation" -lt 2 ]] || retired="$secret-r$((generation - 1))"
    urn="$(urn_of "$retired")"
    [[ -z "$urn" ]] || pulumi state unprotect --stack "$llm_stack" --yes "$urn"
fi
pulumi config set --stack "$llm_stack" --path "$key.generation" "$next"
case "$kind" in
    api-key)
        pulumi config set --stack "$llm_stack" --path "$key.previousAccepted" true
        llm_say "$secret: generation $next; the previous key stays accepted. Hand out the new one (npm run outputs -- $llm_stack), then: npm run rotate -- $llm_stack $secret --revoke" ;;
    stored) llm_say "$secret: generation $next; a step logs in with the previous value and sets the new one, and every consumer gets it in this update" ;;
    configured) llm_say "$secret: generation $next; the service and every consumer get it in this update" ;;
esac
# From here the rotation is in the stack's config: a failed update is finished by npm run up, not by rotating again.
up || llm_fail "the rotation of $secret is configured (generation $next) but the update did not finish: fix the cause, then npm run up -- $llm_stack (not npm run rotate again, which would start another generation)"
