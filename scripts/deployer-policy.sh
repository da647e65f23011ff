#!/usr/bin/env bash
# Offline: the IAM policy whoever runs `pulumi up` for a stack with the aws object needs,
# generated from what the stack declares (scripts/deployer-policy.ts); the JSON on stdout.
#   npm run -s deployer-policy [-- <stack>] > deployer-policy.json
set -euo pipefail
export LLM_COMMAND="npm run deployer-policy"
export LLM_USAGE="npm run deployer-policy -- [<stack>]"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

llm_parse_stack_only "$@"
llm_node_env
npx ts-node --swc scripts/deployer-policy.ts "$llm_stack"
