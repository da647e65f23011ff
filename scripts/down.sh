#!/usr/bin/env bash
# Removes the stack's containers, network and images (default stack: dev) and KEEPS its data:
# volumes are retained on delete and the database passwords are protected.
#   npm run down               # extra arguments go to `pulumi destroy`
# Deleting the data too is a separate command: npm run delete-data.
set -euo pipefail
export LLM_COMMAND="npm run down"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

stack="${LLM_PLATFORM_STACK:-dev}"
llm_env "$stack"
pulumi destroy --stack "$stack" --exclude-protected "$@"
llm_say "data kept: volumes labelled llm-platform.stack=llm-platform-$stack and the protected passwords; 'npm run up' brings the stack back onto them, 'npm run delete-data' deletes them"
