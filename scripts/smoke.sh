#!/usr/bin/env bash
# The smoke checks (docs/releases.md) against a stack, through the entry a client uses:
#   npm run smoke                          # dev
#   npm run smoke -- dev --report smoke.json
# Prints a table of the checks (each timed) and their JSON report; exits 1 naming what failed.
# The stack: scripts/stack-arg.sh. The run itself: llm_run_smoke (scripts/env.sh).
set -euo pipefail
export LLM_COMMAND="npm run smoke"
export LLM_USAGE="npm run smoke -- [<stack>] [--report <file>]"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

llm_pick_stack first "$@"
shift "$llm_stack_shift"
report=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --report)
            [[ $# -ge 2 ]] || llm_usage_fail "--report needs a file"
            report=(--report "$(cd "$(dirname "$2")" && pwd)/$(basename "$2")")
            shift
            ;;
        *) llm_refuse_arg "$1" ;;
    esac
    shift
done

if [[ "$(llm_stack_platform "$llm_stack")" != "docker" ]]; then
    llm_fail "stack '$llm_stack' runs on Kubernetes, where the smoke checks must run inside the cluster (its stores publish no port); that Job is not part of this version yet (docs/releases.md)."
fi

llm_env "$llm_stack"
llm_select_stack "$llm_stack"
llm_run_smoke "$llm_stack" ${report[@]+"${report[@]}"}
