#!/usr/bin/env bash
# Offline: every generated file and every Kubernetes manifest of a stack, written to a folder
# for review (scripts/render.ts), with no Pulumi CLI, Docker engine, cluster or cloud credentials.
#   npm run render                        # dev, into rendered/dev
#   npm run render -- prod [<dir>]        # default dir: rendered/<stack> (git-ignored)
set -euo pipefail
export LLM_COMMAND="npm run render"
export LLM_USAGE="npm run render -- [<stack> [<dir>]]"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

llm_pick_stack first "$@"
shift "$llm_stack_shift"
dir="$llm_project_dir/rendered/$llm_stack"
if [[ $# -gt 0 && "$1" != -* ]]; then
    # Relative to where the command was typed (npm runs scripts from the project folder).
    if [[ "$1" == /* ]]; then dir="$1"; else dir="${INIT_CWD:-$PWD}/$1"; fi
    shift
fi
[[ $# -eq 0 ]] || llm_refuse_arg "$1"
llm_node_env
npx ts-node --swc scripts/render.ts "$llm_stack" "$dir"
