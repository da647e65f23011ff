#!/usr/bin/env bash
# Runs a Docker stack's backups now, each in its scheduler container:
#   npm run backup                    # every store of dev
#   npm run backup -- timescale       # one store
#   npm run backup -- <stack> [<store>]
set -euo pipefail
export LLM_COMMAND="npm run backup"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
export LLM_USAGE="npm run backup -- [<stack>] [<store>]   (stores: ${llm_backup_stores// /, })"

llm_pick_stack if-stack "$@"
shift "$llm_stack_shift"
store=""
if [[ $# -gt 0 ]]; then
    llm_is_store "$1" || llm_usage_fail "unknown store '$1': the stores are ${llm_backup_stores// /, } (stacks here: $(llm_stacks))"
    store="$1"
    shift
fi
[[ $# -eq 0 ]] || llm_refuse_arg "$1"
llm_require_docker_stack "On Kubernetes: kubectl create job --from=cronjob/<store>-backup-full <name> (docs/backups.md)"
llm_docker_only_env
filter=(--filter "label=llm-platform.stack=llm-platform-$llm_stack" --filter "label=llm-platform.role=backup")
[[ -z "$store" ]] || filter+=(--filter "label=llm-platform.service=$store")
containers="$(docker ps "${filter[@]}" --format '{{.Names}} {{.Label "llm-platform.backup-job"}}' | sort)"
[[ -n "$containers" ]] || llm_fail "no running backup scheduler${store:+ for $store} in stack '$llm_stack': is it up ('npm run status -- $llm_stack'), and backup.enabled true?"
failed=0
while read -r name job; do
    llm_say "$name: backup ($job)"
    docker exec "$name" sh /opt/llm-platform/backup.sh backup "$job" || { llm_say "$name: FAILED"; failed=1; }
done <<<"$containers"
exit "$failed"
