#!/usr/bin/env bash
# Offline: what a stack declares and the policy pack over it (scripts/policy-check.ts), with no
# Pulumi CLI, Docker engine or cloud credentials.
#   npm run policy:check [-- <stack>]
set -euo pipefail
export LLM_COMMAND="npm run policy:check"
export LLM_USAGE="npm run policy:check -- [<stack>]"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

llm_parse_stack_only "$@"
llm_node_env
npx ts-node --swc scripts/policy-check.ts "$llm_stack"
