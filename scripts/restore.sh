#!/usr/bin/env bash
# Restores one store from a backup (default stack: dev); the backup's manifest is verified first.
#   npm run restore -- <store>                      # lists its backups
#   npm run restore -- <store> <id|latest> [args]   # e.g. sqlserver latest 2026-11-23T09:30:00 (point in time)
set -euo pipefail
export LLM_COMMAND="npm run restore"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

stack="${LLM_PLATFORM_STACK:-dev}"
[[ "$stack" == "dev" ]] || llm_fail "restores the Docker stack; on Kubernetes use the restore Job template of the store (README)"
[[ $# -ge 1 ]] || llm_fail "usage: npm run restore -- <store> [<backup id>|latest [args]]   (stores: sqlserver, timescale, redis, qdrant)"
store="$1"
shift
llm_docker_env
prefix="llm-platform-$stack"
read -r scheduler stops <<<"$(docker ps --filter "label=llm-platform.stack=$prefix" --filter "label=llm-platform.role=backup" \
    --filter "label=llm-platform.service=$store" --format '{{.Names}} {{.Label "llm-platform.restore-stops-service"}}' | sort | head -n 1)"
[[ -n "${scheduler:-}" ]] || llm_fail "no backup scheduler of '$store' is running in stack '$stack' ('npm run status')"
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
