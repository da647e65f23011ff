#!/usr/bin/env bash
# What `npm run up` would change, without changing it: `pulumi preview` with the policy pack,
# in the same environment as `npm run up` (scripts/env.sh), for any stack:
#   npm run preview                          # dev
#   npm run preview -- prod                  # prod (needs its passphrase and cluster access)
#   npm run preview -- dev -- --diff         # anything after a second -- goes to `pulumi preview`
# Offline, without the Pulumi CLI or a cluster: npm run render, npm run policy:check.
set -euo pipefail
export LLM_COMMAND="npm run preview"
export LLM_USAGE="npm run preview -- [<stack>] [-- <pulumi preview options>]"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

llm_parse_pulumi_command "" "$@"

llm_env "$llm_stack"
llm_select_stack "$llm_stack"
pulumi preview --stack "$llm_stack" --policy-pack policies ${llm_pulumi_args[@]+"${llm_pulumi_args[@]}"}
