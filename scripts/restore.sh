#!/usr/bin/env bash
# Restores one store of a stack from a backup; the backup's manifest is verified first.
#   npm run restore -- <store>                                  # Docker: lists its backups
#   npm run restore -- <store> <id|latest> [args]               # e.g. timescale latest drill_check (target database)
#   npm run restore -- sqlserver [<id>|latest] --to '<time>'    # point in time (UTC, YYYY-MM-DDTHH:MM:SS): STOPAT
#   npm run restore -- <stack> <store> ...
# Docker stacks: the store's backup scheduler runs the restore. Kubernetes stacks: a Job from
# the store's suspended CronJob <store>-restore, with BACKUP_ID and RESTORE_TO set (kubectl must
# point at the stack's cluster); it downloads the backup from S3, verifies it and restores.
set -euo pipefail
export LLM_COMMAND="npm run restore"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
export LLM_USAGE="npm run restore -- [<stack>] <store> [<backup id>|latest [<args of the store's restore>]] [--to <YYYY-MM-DDTHH:MM:SS>]   (stores: ${llm_backup_stores// /, })"

llm_pick_stack if-stack "$@"
shift "$llm_stack_shift"
[[ $# -ge 1 ]] || llm_usage_fail "name the store to restore"
llm_is_store "$1" || llm_usage_fail "unknown store '$1': the stores are ${llm_backup_stores// /, } (stacks here: $(llm_stacks))"
store="$1"
shift
args=()
to=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --to)
            [[ $# -ge 2 ]] || llm_usage_fail "--to needs a time, e.g. --to 2026-11-23T09:30:00 (UTC)"
            to="$2"
            shift 2
            ;;
        *)
            args+=("$1")
            shift
            ;;
    esac
done
if [[ -n "$to" ]]; then
    [[ "$store" == sqlserver ]] || llm_usage_fail "--to is SQL Server's point in time (its log backups); $store restores whole backups"
    [[ "$to" =~ ^[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]$ ]] || llm_usage_fail "--to must be a UTC time as YYYY-MM-DDTHH:MM:SS, e.g. 2026-11-23T09:30:00, not '$to'"
    [[ ${#args[@]} -le 1 ]] || llm_usage_fail "give the point in time once: --to, or the second argument"
    # The newest full backup before the time, unless a backup id is given; then its logs up to the time.
    args=("${args[0]:-latest}" "$to")
fi

restore_kubernetes() {
    llm_kube_env "$llm_stack"
    kubectl_ns get cronjob "$store-restore" >/dev/null 2>&1 ||
        llm_fail "stack '$llm_stack' has no restore template for $store in namespace $llm_namespace (kubectl get cronjob $store-restore): is it up, with backup.enabled, and is kubectl pointing at its cluster? (Valkey on ElastiCache restores from its snapshots: docs/backups.md)"
    if [[ ${#args[@]} -eq 0 ]]; then
        llm_say "the backups of $store are in the stack's bucket: aws s3 ls s3://\$(npm run -s outputs -- $llm_stack aws | jq -r .backups.bucket)/backups/$store/ ; restore one with 'npm run restore -- $llm_stack $store <id|latest>'"
        return 0
    fi
    [[ ${#args[@]} -le 2 ]] || llm_usage_fail "a Kubernetes restore takes a backup id and one option (RESTORE_TO)"
    local name
    name="$(llm_job_name "$store-restore")"
    llm_say "$store: restoring ${args[0]}${args[1]:+ (${args[1]})} (job $name)"
    kubectl_ns create job --from="cronjob/$store-restore" "$name" --dry-run=client -o json |
        BACKUP_ID="${args[0]}" RESTORE_TO="${args[1]:-}" node -e '
            const job = JSON.parse(require("fs").readFileSync(0, "utf8"));
            const pod = job.spec.template.spec;
            const choice = { BACKUP_ID: process.env.BACKUP_ID, RESTORE_TO: process.env.RESTORE_TO };
            for (const c of [...(pod.initContainers || []), ...pod.containers]) {
                c.env = (c.env || []).map((e) => (e.name in choice ? { name: e.name, value: choice[e.name] } : e));
            }
            process.stdout.write(JSON.stringify(job));' |
        kubectl_ns create -f - >/dev/null
    wait_job "$name" || llm_fail "$store: the restore Job $name failed (logs above); nothing is retried: read them first"
    llm_say "$store: restored; check it as docs/backups.md says"
}

if [[ "$(llm_stack_platform "$llm_stack")" == kubernetes ]]; then
    restore_kubernetes
    exit 0
fi
llm_require_docker_stack "On Kubernetes: the restore Job template of the store (docs/backups.md)"
llm_docker_only_env
prefix="llm-platform-$llm_stack"
read -r scheduler stops <<<"$(docker ps --filter "label=llm-platform.stack=$prefix" --filter "label=llm-platform.role=backup" \
    --filter "label=llm-platform.service=$store" --format '{{.Names}} {{.Label "llm-platform.restore-stops-service"}}' | sort | head -n 1)"
[[ -n "${scheduler:-}" ]] || llm_fail "no backup scheduler of '$store' is running in stack '$llm_stack' ('npm run status -- $llm_stack')"
if [[ ${#args[@]} -eq 0 ]]; then
    docker exec "$scheduler" sh /opt/llm-platform/backup.sh list
    exit 0
fi
if [[ "${stops:-}" == "true" ]]; then
    llm_say "stopping $prefix-$store: the restore writes its data"
    docker stop "$prefix-$store" >/dev/null
    # Started again whatever happens: the old files were moved aside, not deleted.
    trap 'docker start "$prefix-$store" >/dev/null && llm_say "started $prefix-$store"' EXIT
fi
docker exec "$scheduler" sh /opt/llm-platform/backup.sh restore "${args[@]}"
