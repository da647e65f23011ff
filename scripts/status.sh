#!/usr/bin/env bash
# Each container of the stack with its state and health as Docker reports it (default stack: dev).
set -euo pipefail
export LLM_COMMAND="npm run status"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

stack="${LLM_PLATFORM_STACK:-dev}"
[[ "$stack" == "dev" ]] || llm_fail "shows the Docker stack (dev); for '$stack' use kubectl."
llm_docker_env
docker ps --all --filter "label=llm-platform.stack=llm-platform-$stack" \
    --format 'table {{.Label "llm-platform.service"}}\t{{.Label "llm-platform.role"}}\t{{.Names}}\t{{.State}}\t{{.Status}}\t{{.Ports}}'
