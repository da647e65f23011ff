#!/usr/bin/env bash
# Removes a Docker stack's containers, network and images and KEEPS its data: volumes are
# retained on delete and the database passwords are protected.
#   npm run down                             # dev
#   npm run down -- <stack> --yes            # --yes skips Pulumi's confirmation
#   npm run down -- dev -- <pulumi destroy options>
# Deleting the data too is a separate command: npm run delete-data.
# Refuses every stack that does not run on Docker (prod and any other Kubernetes stack):
# there `pulumi destroy --exclude-protected` would strip the retained buckets' hardening.
set -euo pipefail
export LLM_COMMAND="npm run down"
export LLM_USAGE="npm run down -- [<stack>] [--yes] [-- <pulumi destroy options>]"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

llm_parse_pulumi_command --yes "$@"
llm_require_docker_stack "There, 'pulumi destroy --exclude-protected' (what npm run down runs) would delete the hardening of the retained S3 buckets (public-access block, TLS-only policy, encryption, versioning, logging) and then stop at the load balancer's deletion protection. Change the stack with 'npm run preview -- $llm_stack' and 'npm run up -- $llm_stack'; taking it down is a deliberate, reviewed change: docs/prod.md, 'Taking prod down'."

llm_env "$llm_stack"
pulumi destroy --stack "$llm_stack" --exclude-protected ${llm_pulumi_args[@]+"${llm_pulumi_args[@]}"}
llm_say "data kept: volumes labelled llm-platform.stack=llm-platform-$llm_stack and the protected passwords; 'npm run up -- $llm_stack' brings the stack back onto them, 'npm run delete-data -- $llm_stack' deletes them"
