#!/usr/bin/env bash
# Deletes the stack AND its data: destroys everything, protected passwords included, then
# removes the retained Docker volumes. Asks for the stack name unless --yes is given.
#   npm run delete-data [-- --yes]
set -euo pipefail
export LLM_COMMAND="npm run delete-data"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

stack="${LLM_PLATFORM_STACK:-dev}"
[[ "$stack" == "dev" ]] || llm_fail "deletes data of the dev stack only; for '$stack' use pulumi destroy deliberately."
if [[ "${1:-}" != "--yes" ]]; then
    read -r -p "This deletes every database, model and index of stack '$stack'. Type the stack name to go on: " answer || answer=""
    [[ "$answer" == "$stack" ]] || llm_fail "nothing deleted."
fi
llm_env "$stack"
pulumi state unprotect --stack "$stack" --all --yes
pulumi destroy --stack "$stack" --yes
volumes="$(docker volume ls --quiet --filter "label=llm-platform.stack=llm-platform-$stack")"
if [[ -n "$volumes" ]]; then
    # shellcheck disable=SC2086
    docker volume rm $volumes
fi
llm_say "stack '$stack' and its data are deleted."
