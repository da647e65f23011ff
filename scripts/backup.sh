#!/usr/bin/env bash
# Runs the stack's backups now, each in its scheduler container (default stack: dev):
#   npm run backup               # every store
#   npm run backup -- timescale  # one store
set -euo pipefail
export LLM_COMMAND="npm run backup"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

stack="${LLM_PLATFORM_STACK:-dev}"
[[ "$stack" == "dev" ]] || llm_fail "runs the Docker stack's backups; on Kubernetes: kubectl create job --from=cronjob/<store>-backup-full <name>"
llm_docker_env
filter=(--filter "label=llm-platform.stack=llm-platform-$stack" --filter "label=llm-platform.role=backup")
[[ $# -gt 0 ]] && filter+=(--filter "label=llm-platform.service=$1")
containers="$(docker ps "${filter[@]}" --format '{{.Names}} {{.Label "llm-platform.backup-job"}}' | sort)"
[[ -n "$containers" ]] || llm_fail "no running backup scheduler${1:+ for $1} in stack '$stack': is it up ('npm run status'), and backup.enabled true?"
failed=0
while read -r name job; do
    llm_say "$name: backup ($job)"
    docker exec "$name" sh /opt/llm-platform/backup.sh backup "$job" || { llm_say "$name: FAILED"; failed=1; }
done <<<"$containers"
exit "$failed"
