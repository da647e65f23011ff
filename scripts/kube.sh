# Kubernetes stacks' commands (migrate, restore) run Jobs from the stack's suspended CronJobs
# with kubectl, which must point at the stack's cluster. Sourced after env.sh.

# llm_kube_setup <stack>: needs kubectl; sets llm_namespace from the stack file's kubernetes.namespace.
llm_kube_setup() {
    command -v kubectl >/dev/null 2>&1 || llm_fail "kubectl is not installed: install it (https://kubernetes.io/docs/tasks/tools/) and point it at the stack's cluster"
    llm_namespace="$(sed -n '/^[[:space:]]*llm-platform:kubernetes:/,/^[[:space:]]*llm-platform:[a-z]/s/^[[:space:]]*namespace:[[:space:]]*"\{0,1\}\([a-z0-9-]*\).*/\1/p' "$llm_project_dir/Pulumi.$1.yaml" | head -n 1)"
    llm_namespace="${llm_namespace:-llm-platform}"
}

llm_kubectl() { kubectl --namespace "$llm_namespace" "$@"; }

# llm_wait_job <job>: waits for it to succeed or fail; prints its logs either way.
llm_wait_job() {
    local job="$1" state
    while true; do
        state="$(llm_kubectl get job "$job" -o jsonpath='{.status.succeeded}/{.status.failed}')"
        case "$state" in
            [1-9]*/*) break ;;
            */[1-9]*) break ;;
        esac
        sleep "${LLM_PLATFORM_POLL_SECONDS:-5}"
    done
    llm_kubectl logs "job/$job" --all-containers --prefix || true
    [[ "$state" == [1-9]*/* ]]
}
