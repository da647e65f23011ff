#!/usr/bin/env bash
# Any other Pulumi command, in the project's environment (backend, passphrase, Docker host):
#   npm run pulumi -- config set --path redis.memoryMb 1024          # dev
#   npm run pulumi -- prod stack output --show-secrets credentials   # another stack: name it first
#   npm run pulumi -- prod -- stack ls                                # a -- after the stack is allowed
set -euo pipefail
export LLM_COMMAND="npm run pulumi"
export LLM_USAGE="npm run pulumi -- [<stack>] [--] <pulumi arguments>"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

llm_pick_stack if-stack "$@"
shift "$llm_stack_shift"
[[ "${1:-}" != "--" ]] || shift
[[ $# -gt 0 ]] || llm_usage_fail "name the Pulumi command to run"
llm_refuse_stack_flag "$@"
llm_env "$llm_stack"
llm_select_stack "$llm_stack"
pulumi "$@"
