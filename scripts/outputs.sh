#!/usr/bin/env bash
# The stack's endpoints and how to read its secrets (default stack: dev).
set -euo pipefail
export LLM_COMMAND="npm run outputs"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

stack="${LLM_PLATFORM_STACK:-dev}"
llm_pulumi_env "$stack"
cd "$llm_project_dir"
pulumi stack output --stack "$stack" "$@"
cat <<HELP

Secrets (shown only when asked):
  npm run pulumi -- stack output --show-secrets apiKeys        # proxy API keys, one per client (proxy.clients)
  npm run pulumi -- stack output --show-secrets credentials    # database passwords, Qdrant key
  npm run pulumi -- stack output caCertificatePem > ca.pem     # the CA to trust for https://localhost:8443
Call a model:
  curl --cacert ca.pem -H "Authorization: Bearer \$(npm run -s pulumi -- stack output --show-secrets apiKeys | jq -r .default)" https://localhost:8443/api/tags
HELP
