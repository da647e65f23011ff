#!/usr/bin/env bash
# Deletes a Docker stack AND its data: destroys everything, protected passwords included, then
# removes the retained Docker volumes. Asks for the stack name unless --yes is given.
#   npm run delete-data [-- <stack>] [--yes]
set -euo pipefail
export LLM_COMMAND="npm run delete-data"
export LLM_USAGE="npm run delete-data -- [<stack>] [--yes]"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

llm_pick_stack first "$@"
shift "$llm_stack_shift"
confirmed=false
while [[ $# -gt 0 ]]; do
    case "$1" in
        --yes | -y) confirmed=true ;;
        *) llm_refuse_arg "$1" ;;
    esac
    shift
done
llm_require_docker_stack "Its data (claims, databases, buckets) is deleted by hand, deliberately: docs/prod.md, 'Taking prod down'."
if [[ "$confirmed" != true ]]; then
    read -r -p "This deletes every database, model and index of stack '$llm_stack'. Type the stack name to go on: " answer || answer=""
    [[ "$answer" == "$llm_stack" ]] || llm_fail "nothing deleted."
fi
llm_env "$llm_stack"
pulumi state unprotect --stack "$llm_stack" --all --yes
pulumi destroy --stack "$llm_stack" --yes
volumes="$(docker volume ls --quiet --filter "label=llm-platform.stack=llm-platform-$llm_stack")"
if [[ -n "$volumes" ]]; then
    # shellcheck disable=SC2086
    docker volume rm $volumes
fi
llm_say "stack '$llm_stack' and its data are deleted."
