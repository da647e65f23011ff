#!/usr/bin/env bash
# Ends a proxy canary (proxy.canary, docs/releases.md), in the stack file and then in the stack:
#   npm run release -- prod promote [--yes]   # the stable proxy takes the canary's image; the canary goes
#   npm run release -- prod abort [--yes]     # the canary goes, its image with it; traffic back to the stable proxy
# Either way proxy.canary.weight becomes 0, so `pulumi up` sends the ALB's plain forward to the stable
# target group and removes the canary's Deployment and target group. Commit Pulumi.<stack>.yaml after.
# The stack: scripts/stack-arg.sh. Anything after a second -- goes to `pulumi up`.
set -euo pipefail
export LLM_COMMAND="npm run release"
export LLM_USAGE="npm run release -- [<stack>] promote|abort [--yes] [-- <pulumi up options>]"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

llm_pick_stack if-stack "$@"
shift "$llm_stack_shift"
action="${1:-}"
case "$action" in
    promote | abort) shift ;;
    "") llm_usage_fail "name what to do with the canary: promote or abort" ;;
    *) llm_refuse_arg "$action" ;;
esac
llm_pulumi_args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --) shift; llm_pulumi_args+=("$@"); break ;;
        --yes | -y) llm_pulumi_args+=(--yes) ;;
        *) llm_refuse_arg "$1" ;;
    esac
    shift
done
llm_refuse_stack_flag ${llm_pulumi_args[@]+"${llm_pulumi_args[@]}"}

llm_env "$llm_stack"
llm_select_stack "$llm_stack"

weight="$(pulumi config get --path proxy.canary.weight 2>/dev/null || true)"
[[ -n "$weight" && "$weight" != "0" ]] ||
    llm_fail "stack '$llm_stack' has no canary to $action: proxy.canary.weight is ${weight:-not set} (0)."
canary_image="$(pulumi config get --path proxy.canary.image 2>/dev/null || true)"

if [[ "$action" == promote && -n "$canary_image" ]]; then
    llm_say "promote: proxy.image becomes the canary's $canary_image"
    pulumi config set --path proxy.image "$canary_image"
fi
if [[ -n "$canary_image" ]]; then
    pulumi config rm --path proxy.canary.image
fi
llm_say "$action: proxy.canary.weight $weight -> 0 (every request to the stable proxy)"
# With --path an integer is stored as a number (`pulumi config set --help`).
pulumi config set --path proxy.canary.weight 0

pulumi up --stack "$llm_stack" --policy-pack policies ${llm_pulumi_args[@]+"${llm_pulumi_args[@]}"}
llm_say "done: commit Pulumi.$llm_stack.yaml, which now says what the stack runs."
