#!/usr/bin/env bash
# Brings a stack up (default: dev) with nothing to set up by hand:
#   npm run up                 # dev stack on the local Docker engine
#   npm run up -- dev --yes    # extra arguments go to `pulumi up`
# Environment: scripts/env.sh. Before `pulumi up`, scripts/preflight.ts checks the config,
# the engine's CPUs and memory and the host ports, and says what ollama.gpu=auto became.
set -euo pipefail
export LLM_COMMAND="npm run up"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

stack="dev"
if [[ $# -gt 0 && "$1" != -* ]]; then
    stack="$1"
    shift
fi

llm_env "$stack"
pulumi stack select --create --secrets-provider passphrase "$stack"
llm_salt_stash "$stack"
llm_salt_restore "$stack"
npx ts-node --transpile-only scripts/preflight.ts "$stack"
# The policy pack CI enforces holds here too.
pulumi up --stack "$stack" --policy-pack policies "$@"
