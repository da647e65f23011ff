#!/usr/bin/env bash
# Runs a stack's backups now; each takes the backup and verifies it against its manifest:
#   npm run backup                    # every store of dev
#   npm run backup -- timescale       # one store
#   npm run backup -- <stack> [<store>]
# Docker stacks: in each scheduler container. Kubernetes stacks: a Job from each scheduled backup
# CronJob (label llm-platform.role=backup), waited for (scripts/kube.sh); the deploy runs this
# before it changes a stack (scripts/deploy.sh).
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

if [[ "$(llm_stack_platform "$llm_stack")" == kubernetes ]]; then
    llm_kube_env "$llm_stack"
    selector="llm-platform.role=backup${store:+,app.kubernetes.io/name=$store}"
    cronjobs="$(kubectl_ns get cronjobs --selector "$selector" -o name)" ||
        llm_fail "could not list the backup CronJobs in namespace $llm_namespace: is kubectl pointing at the stack's cluster?"
    [[ -n "$cronjobs" ]] || llm_fail "no backup CronJob${store:+ for $store} in namespace $llm_namespace (stack '$llm_stack'): is it up, and backup.enabled true?"
    failed=0
    for cronjob in $cronjobs; do
        cronjob="${cronjob#cronjob.batch/}"
        cronjob="${cronjob#cronjob/}"
        job="$(llm_job_name "$cronjob-now")"
        llm_say "$cronjob: backup now (job $job)"
        llm_run_job_from "$cronjob" "$job" || { llm_say "$cronjob: FAILED (logs above)"; failed=1; }
    done
    exit "$failed"
fi
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
