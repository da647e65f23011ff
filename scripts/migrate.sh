#!/usr/bin/env bash
# Runs a stack's schema migrations by hand, with the engine, plan, target and credentials of
# each store's migrate step (docs/migrations.md):
#   npm run migrate -- [<stack>] status|plan|verify [<store>] [--to <change>]
#   npm run migrate -- [<stack>] deploy [<store>] [--to <change>]
#   npm run migrate -- [<stack>] revert <store> [--to <change>] [--yes]
# plan is the dry run: the SQL a deploy would run. deploy and revert take a fresh backup of the
# store first where the stack has backups; revert asks before it runs unless --yes.
# Docker stacks: the migrate step's container, as it ended, runs again with the command.
# Kubernetes stacks: a Job from the step's suspended CronJob <store>-migrate (kubectl must
# point at the stack's cluster; the namespace is the stack file's kubernetes.namespace).
set -euo pipefail
export LLM_COMMAND="npm run migrate"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# The stores with migrations (components/migrations/stores.ts; tests/migrate-script.test.ts holds the two lists equal).
stores="timescale sqlserver app-database"
export LLM_USAGE="npm run migrate -- [<stack>] status|plan|deploy|verify|revert [<store>] [--to <change>] [--yes]   (stores: ${stores// /, })"

llm_pick_stack if-stack "$@"
shift "$llm_stack_shift"
stack="$llm_stack"
[[ $# -ge 1 ]] || llm_usage_fail "name the command: status, plan, deploy, verify or revert"
verb="$1"
shift
case "$verb" in status | plan | deploy | verify | revert) ;; *) llm_usage_fail "unknown command '$verb'" ;; esac
store=""
to=""
yes=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --to)
            [[ $# -ge 2 ]] || llm_usage_fail "--to needs a change"
            to="$2"
            shift 2
            ;;
        --yes | -y)
            yes=1
            shift
            ;;
        -*) llm_refuse_arg "$1" ;;
        *)
            [[ -z "$store" && " $stores " == *" $1 "* ]] || llm_usage_fail "unknown store '$1': the stores are ${stores// /, }"
            store="$1"
            shift
            ;;
    esac
done
[[ -n "$store" || -z "$to" ]] || llm_usage_fail "--to names a change of one store: name the store too"
[[ -n "$store" || "$verb" != revert ]] || llm_usage_fail "revert one store at a time: name it"

if [[ "$verb" == revert && -z "$yes" ]]; then
    printf '%s: revert %s of stack %s%s. What the reverted changes made is dropped, with its data (a backup is taken first where the stack has backups). Type the store name to go on: ' \
        "$LLM_COMMAND" "$store" "$stack" "${to:+ to $to}" >&2
    read -r answer || true
    [[ "$answer" == "$store" ]] || llm_fail "not reverted"
fi
# The runner inside the step: components/migrations/<engine>.sh.
runner=("$verb")
[[ -z "$to" ]] || runner+=(--to "$to")
[[ "$verb" != revert ]] || runner+=(--yes)
changes_schema() { [[ "$verb" == deploy || "$verb" == revert ]]; }

platform="$(llm_stack_platform "$stack")"

migrate_docker() {
    local store="$1" prefix="llm-platform-$stack" container image network rc=0 scheduler
    container="$prefix-$store-migrate"
    if ! docker container inspect "$container" >/dev/null 2>&1; then
        [[ -z "$only" ]] || llm_fail "stack '$stack' has no $store migrate step ($container): is it up ('npm run up')?"
        return 0
    fi
    if changes_schema; then
        scheduler="$(docker ps --filter "label=llm-platform.stack=$prefix" --filter "label=llm-platform.role=backup" \
            --filter "label=llm-platform.service=$store" --filter "label=llm-platform.backup-job=full" --format '{{.Names}}' | head -n 1)"
        if [[ -n "$scheduler" ]]; then
            llm_say "$store: a fresh backup first"
            docker exec "$scheduler" sh /opt/llm-platform/backup.sh backup full || llm_fail "$store: the backup failed, so nothing was migrated"
        else
            llm_say "$store: no backup scheduler runs (backup.enabled false): migrating without a fresh backup"
        fi
    fi
    network="$(docker network ls --filter "label=llm-platform.stack=$prefix" --filter "label=llm-platform.role=network" --format '{{.Name}}' | head -n 1)"
    [[ -n "$network" ]] || llm_fail "stack '$stack' has no network: is it up ('npm run up')?"
    # The step's container as it ended, as an image: its plan, runner, target and credentials.
    image="$(docker container commit "$container" "$container:manual")"
    llm_say "$store: ${runner[*]}"
    docker run --rm --network "$network" --entrypoint /bin/sh "$image" /opt/llm-platform/migrate.sh "${runner[@]}" || rc=$?
    docker image rm "$container:manual" >/dev/null || true
    return "$rc"
}

migrate_kubernetes() {
    local store="$1" suffix name
    if ! kubectl_ns get cronjob "$store-migrate" >/dev/null 2>&1; then
        [[ -z "$only" ]] || llm_fail "stack '$stack' has no $store migrate step in namespace $llm_namespace (kubectl get cronjob $store-migrate): is it up, and is kubectl pointing at its cluster?"
        return 0
    fi
    suffix="$(date -u +%Y%m%d%H%M%S)"
    if changes_schema && kubectl_ns get cronjob "$store-backup-full" >/dev/null 2>&1; then
        llm_say "$store: a fresh backup first (job $store-backup-before-$verb-$suffix)"
        kubectl_ns create job --from="cronjob/$store-backup-full" "$store-backup-before-$verb-$suffix" >/dev/null
        wait_job "$store-backup-before-$verb-$suffix" || llm_fail "$store: the backup failed (logs above), so nothing was migrated"
    fi
    name="$store-migrate-$verb-$suffix"
    llm_say "$store: ${runner[*]} (job $name)"
    # The template's pod with the command asked for; a read-only command skips a pod's own backup (RDS's snapshot).
    kubectl_ns create job --from="cronjob/$store-migrate" "$name" --dry-run=client -o json |
        RUNNER="$(printf '%s\n' "${runner[@]}")" READ_ONLY="$(changes_schema || echo 1)" node -e '
            const job = JSON.parse(require("fs").readFileSync(0, "utf8"));
            const pod = job.spec.template.spec;
            pod.containers[0].args = process.env.RUNNER.split("\n");
            if (process.env.READ_ONLY) pod.initContainers = (pod.initContainers || []).filter((c) => c.name !== "backup-first");
            process.stdout.write(JSON.stringify(job));' |
        kubectl_ns create -f - >/dev/null
    wait_job "$name"
}

only="$store"
if [[ "$platform" == kubernetes ]]; then
    llm_kube_env "$stack"
else
    llm_docker_only_env
fi
failed=0
for s in ${store:-$stores}; do
    if [[ "$platform" == kubernetes ]]; then migrate_kubernetes "$s" || failed=1; else migrate_docker "$s" || failed=1; fi
done
exit "$failed"
