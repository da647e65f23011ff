#!/usr/bin/env bash
# Brings a stack up with nothing to set up by hand:
#   npm run up                              # dev, on the local Docker engine
#   npm run up -- prod --yes                # another stack; --yes skips Pulumi's confirmation
#   npm run up -- dev -- --target '<urn>'   # anything after a second -- goes to `pulumi up`
# The stack: scripts/stack-arg.sh. Environment: scripts/env.sh. Before `pulumi up`,
# scripts/preflight.ts checks the config (the whole stack against the engine's memory and
# CPUs) and the host ports, and says what size=auto and ollama.gpu=auto became. A Docker
# stack's `up` ends with the smoke checks (llm_run_smoke, docs/releases.md): their table,
# and a failure if one fails.
set -euo pipefail
export LLM_COMMAND="npm run up"
export LLM_USAGE="npm run up -- [<stack>] [--yes] [-- <pulumi up options>]"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

llm_parse_pulumi_command --yes "$@"

llm_env "$llm_stack"
llm_select_stack "$llm_stack"
npx ts-node --swc scripts/preflight.ts "$llm_stack"
# The policy pack CI enforces holds here too.
pulumi up --stack "$llm_stack" --policy-pack policies ${llm_pulumi_args[@]+"${llm_pulumi_args[@]}"}
if [[ "$(llm_stack_platform "$llm_stack")" == "docker" ]]; then
    llm_say "the smoke checks against what was just deployed (npm run smoke):"
    llm_run_smoke "$llm_stack"
fi
