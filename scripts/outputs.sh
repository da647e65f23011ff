#!/usr/bin/env bash
# The stack's endpoints and how to read its secrets.
#   npm run outputs [-- <stack>] [-- <pulumi stack output options>]
set -euo pipefail
export LLM_COMMAND="npm run outputs"
export LLM_USAGE="npm run outputs -- [<stack>] [-- <pulumi stack output options>]"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

llm_parse_pulumi_command "" "$@"

llm_check_pulumi
llm_pulumi_env "$llm_stack"
llm_stop_on_problems
cd "$llm_project_dir"
pulumi stack output --stack "$llm_stack" ${llm_pulumi_args[@]+"${llm_pulumi_args[@]}"}
on=""
[[ "$llm_stack" == "dev" ]] || on="$llm_stack "
cat <<HELP

Secrets (shown only when asked):
  npm run pulumi -- ${on}stack output --show-secrets apiKeys        # proxy API keys, one per client (proxy.clients)
  npm run pulumi -- ${on}stack output --show-secrets credentials    # database passwords, Qdrant key
  npm run pulumi -- ${on}stack output caCertificatePem > ca.pem     # the CA to trust for the proxy
Call a model:
  curl --cacert ca.pem -H "Authorization: Bearer \$(npm run -s pulumi -- ${on}stack output --show-secrets apiKeys | jq -r .default)" \$(npm run -s pulumi -- ${on}stack output proxyUrl)/api/tags
HELP
