#!/usr/bin/env bash
# Restores one store of a Docker stack from a backup; the backup's manifest is verified first.
#   npm run restore -- <store>                      # lists its backups
#   npm run restore -- <store> <id|latest> [args]   # e.g. sqlserver latest 2026-11-23T09:30:00 (point in time)
#   npm run restore -- <stack> <store> ...
set -euo pipefail
export LLM_COMMAND="npm run restore"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
export LLM_USAGE="npm run restore -- [<stack>] <store> [<backup id>|latest [<args of the store's restore>]]   (stores: ${llm_backup_stores// /, })"

llm_pick_stack if-stack "$@"
shift "$llm_stack_shift"
[[ $# -ge 1 ]] || llm_usage_fail "name the store to restore"
llm_is_store "$1" || llm_usage_fail "unknown store '$1': the stores are ${llm_backup_stores// /, } (stacks here: $(llm_stacks))"
store="$1"
shift
llm_require_docker_stack "On Kubernetes: the restore Job template of the store (docs/backups.md)"
llm_docker_only_env
prefix="llm-platform-$llm_stack"
read -r scheduler stops <<<"$(docker ps --filter "label=llm-platform.stack=$prefix" --filter "label=llm-platform.role=backup" \
    --filter "label=llm-platform.service=$store" --format '{{.Names}} {{.Label "llm-platform.restore-stops-service"}}' | sort | head -n 1)"
[[ -n "${scheduler:-}" ]] || llm_fail "no backup scheduler of '$store' is running in stack '$llm_stack' ('npm run status -- $llm_stack')"
if [[ $# -eq 0 ]]; then
    docker exec "$scheduler" sh /opt/llm-platform/backup.sh list
    exit 0
fi
if [[ "${stops:-}" == "true" ]]; then
    llm_say "stopping $prefix-$store: the restore writes its data"
    docker stop "$prefix-$store" >/dev/null
    # Started again whatever happens: the old files were moved aside, not deleted.
    trap 'docker start "$prefix-$store" >/dev/null && llm_say "started $prefix-$store"' EXIT
fi
docker exec "$scheduler" sh /opt/llm-platform/backup.sh restore "$@"
