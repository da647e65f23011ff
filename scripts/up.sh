#!/usr/bin/env bash
# Brings a stack up with nothing to set up by hand:
#   npm run up                              # dev, on the local Docker engine
#   npm run up -- prod --yes                # another stack; --yes skips Pulumi's confirmation
#   npm run up -- dev -- --target '<urn>'   # anything after a second -- goes to `pulumi up`
# The stack: scripts/stack-arg.sh. Environment: scripts/env.sh. Before `pulumi up`,
# scripts/preflight.ts checks the config, the engine's CPUs and memory and the host ports,
# and says what ollama.gpu=auto became.
set -euo pipefail
export LLM_COMMAND="npm run up"
export LLM_USAGE="npm run up -- [<stack>] [--yes] [-- <pulumi up options>]"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

llm_pick_stack first "$@"
shift "$llm_stack_shift"
pulumi_args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --yes | -y) pulumi_args+=(--yes) ;;
        --) shift; pulumi_args+=("$@"); break ;;
        *) llm_refuse_arg "$1" ;;
    esac
    shift
done
llm_refuse_stack_flag ${pulumi_args[@]+"${pulumi_args[@]}"}

llm_env "$llm_stack"
llm_select_stack "$llm_stack"
npx ts-node --transpile-only scripts/preflight.ts "$llm_stack"
# The policy pack CI enforces holds here too.
pulumi up --stack "$llm_stack" --policy-pack policies ${pulumi_args[@]+"${pulumi_args[@]}"}
