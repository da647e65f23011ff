#!/usr/bin/env bash
# Any other Pulumi command, in the project's environment (backend, passphrase, Docker host):
#   npm run pulumi -- config set --path redis.memoryMb 1024
#   npm run pulumi -- stack output --show-secrets credentials
#   LLM_PLATFORM_STACK=prod npm run pulumi -- preview
set -euo pipefail
export LLM_COMMAND="npm run pulumi"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

stack="${LLM_PLATFORM_STACK:-dev}"
[[ $# -gt 0 ]] || llm_fail "usage: npm run pulumi -- <pulumi arguments>   (stack: \$LLM_PLATFORM_STACK, default dev)"
llm_env "$stack"
pulumi stack select "$stack" >/dev/null
pulumi "$@"
