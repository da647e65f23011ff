#!/usr/bin/env bash
# The one way the npm scripts run work inside a Kubernetes stack (migrate, backup, smoke): a Job
# created from one of the stack's suspended or scheduled CronJobs (`kubectl create job --from`),
# waited for, its logs printed. kubectl must point at the stack's cluster; the namespace is the
# stack file's kubernetes.namespace. Sourced by env.sh.

llm_project_dir="${llm_project_dir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

# The stack's namespace: kubernetes.namespace in Pulumi.<stack>.yaml, else the program's default.
llm_stack_namespace() {
    local namespace
    namespace="$(sed -n '/^[[:space:]]*llm-platform:kubernetes:/,/^[[:space:]]*llm-platform:[a-z]/s/^[[:space:]]*namespace:[[:space:]]*"\{0,1\}\([a-z0-9-]*\).*/\1/p' "$llm_project_dir/Pulumi.$1.yaml" | head -n 1)"
    echo "${namespace:-llm-platform}"
}

# Sets llm_namespace for kubectl_ns; stops when kubectl is missing.
llm_kube_env() {
    command -v kubectl >/dev/null 2>&1 || llm_fail "kubectl is not installed: install it (https://kubernetes.io/docs/tasks/tools/) and point it at the stack's cluster"
    llm_namespace="$(llm_stack_namespace "$1")"
}

kubectl_ns() { kubectl --namespace "$llm_namespace" "$@"; }

# A Job name from a CronJob's and a purpose, unique to the second, within the 63 characters of a label value.
llm_job_name() {
    local name
    name="$1-$(date -u +%Y%m%d%H%M%S)"
    printf '%s' "${name:0:63}"
}

# Waits for a Job to end; succeeds when it succeeded.
wait_job_end() {
    local job="$1" state
    while true; do
        state="$(kubectl_ns get job "$job" -o jsonpath='{.status.succeeded}/{.status.failed}')"
        case "$state" in
            [1-9]*/*) return 0 ;;
            */[1-9]*) return 1 ;;
        esac
        sleep "${LLM_PLATFORM_POLL_SECONDS:-5}"
    done
}

# Waits for a Job to succeed or fail; prints its logs either way.
wait_job() {
    local status=0
    wait_job_end "$1" || status=1
    kubectl_ns logs "job/$1" --all-containers --prefix || true
    return "$status"
}

# Runs CronJob $1 now as Job $2 and waits for it.
llm_run_job_from() {
    kubectl_ns create job --from="cronjob/$1" "$2" >/dev/null || return 1
    wait_job "$2"
}
