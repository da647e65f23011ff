#!/usr/bin/env bash
# The smoke checks (docs/releases.md) against a stack, through the entry a client uses:
#   npm run smoke                          # dev, from this machine
#   npm run smoke -- dev --report smoke.json
#   npm run smoke -- prod [--canary]       # a Kubernetes stack: as a Job in its cluster
# Prints a table of the checks (each timed) and their JSON report; exits 1 naming what failed.
# The stack: scripts/stack-arg.sh. Docker: llm_run_smoke (scripts/env.sh). Kubernetes: a Job
# from the stack's CronJob template smoke (or smoke-canary: the canary proxy's Service alone),
# waited for (scripts/kube.sh); the secrets stay in the cluster, only the report comes back.
set -euo pipefail
export LLM_COMMAND="npm run smoke"
export LLM_USAGE="npm run smoke -- [<stack>] [--canary] [--report <file>]"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

llm_pick_stack first "$@"
shift "$llm_stack_shift"
report=()
canary=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --canary) canary=1 ;;
        --report)
            [[ $# -ge 2 ]] || llm_usage_fail "--report needs a file"
            report=(--report "$(cd "$(dirname "$2")" && pwd)/$(basename "$2")")
            shift
            ;;
        *) llm_refuse_arg "$1" ;;
    esac
    shift
done

# The line before the JSON report in the Job's log (scripts/smoke/in-cluster.ts REPORT_MARKER).
marker="--- smoke report (JSON) ---"

smoke_kubernetes() {
    local template=smoke job status=0 log json
    [[ -z "$canary" ]] || template=smoke-canary
    llm_kube_env "$llm_stack"
    kubectl_ns get cronjob "$template" >/dev/null 2>&1 ||
        llm_fail "stack '$llm_stack' has no smoke Job template $template in namespace $llm_namespace${canary:+ (a canary runs only while proxy.canary.weight is above 0)}: is it up, and is kubectl pointing at its cluster?"
    job="$(llm_job_name "$template")"
    llm_say "the smoke checks as Job $job in namespace $llm_namespace (from cronjob/$template)"
    kubectl_ns create job --from="cronjob/$template" "$job" >/dev/null
    wait_job_end "$job" || status=1
    log="$(kubectl_ns logs "job/$job" --container checks 2>/dev/null || true)"
    if [[ "$log" != *"$marker"* ]]; then
        json="{\"passed\": false, \"error\": \"Job $job ended before the checks reported (kubectl -n $llm_namespace describe job $job)\"}"
        printf '%s\n' "$log" >&2
        status=1
    else
        printf '%s\n' "${log%%"$marker"*}" >&2
        json="${log#*"$marker"}"
        json="$(printf '%s\n' "$json" | sed -e '/^smoke checks failed: /d' -e '/^$/d')"
    fi
    if [[ ${#report[@]} -gt 0 ]]; then printf '%s\n' "$json" >"${report[1]}"; else printf '%s\n' "$json"; fi
    if [[ "$status" -ne 0 ]]; then
        printf '%s\n' "$log" | grep '^smoke checks failed: ' >&2 || llm_say "the smoke Job $job failed before the checks reported: kubectl -n $llm_namespace describe job $job"
    fi
    return "$status"
}

if [[ "$(llm_stack_platform "$llm_stack")" == kubernetes ]]; then
    smoke_kubernetes || exit 1
    exit 0
fi
[[ -z "$canary" ]] || llm_usage_fail "--canary: stack '$llm_stack' runs on Docker, where there is no canary (proxy.canary needs the ALB: a Kubernetes stack with aws)"

llm_env "$llm_stack"
llm_select_stack "$llm_stack"
llm_run_smoke "$llm_stack" ${report[@]+"${report[@]}"}
