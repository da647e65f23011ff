#!/usr/bin/env bash
# Each container of a Docker stack with its state and health as Docker reports it.
#   npm run status [-- <stack>]
set -euo pipefail
export LLM_COMMAND="npm run status"
export LLM_USAGE="npm run status -- [<stack>]"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

llm_parse_stack_only "$@"
llm_require_docker_stack "On Kubernetes: kubectl -n <kubernetes.namespace, default llm-platform> get pods,jobs,pvc"
llm_docker_only_env
docker ps --all --filter "label=llm-platform.stack=llm-platform-$llm_stack" \
    --format 'table {{.Label "llm-platform.service"}}\t{{.Label "llm-platform.role"}}\t{{.Names}}\t{{.State}}\t{{.Status}}\t{{.Ports}}'
