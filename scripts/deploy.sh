#!/usr/bin/env bash
# The release path of a merge, as the deploy workflow runs it (docs/releases.md):
#   bash scripts/deploy.sh [--report-dir <dir>]
#  1. backups: every store of staging and prod, run now and verified     npm run backup -- <stack>
#  2. staging: up, then the smoke checks                                   npm run up / npm run smoke
#  3. prod: up, then the smoke checks; when Pulumi.prod.yaml declares a proxy canary
#     (proxy.canary.weight > 0) they target the canary alone first, and a pass promotes it
#     (npm run release -- prod promote, committed as the stack file's new state), then the
#     whole stack is checked again
#  4. each stack that passed: its git tag last-good-<stack> moves to the commit it now runs (pushed)
# On a failed smoke check of a stack: its canary is aborted (traffic back to the stable proxy),
# the commit of last-good-<stack> is deployed again (from a git worktree of it), and the script
# fails naming the stack; the smoke reports stay in the report directory. Prod is not touched
# when staging fails. A failed backup or `up` stops the release with nothing rolled back: what
# failed is in its output, and the next step is a person's.
# Needs: git (the tags: `git fetch --tags` first), kubectl at the cluster, the Pulumi backend and
# passphrase in the environment, as the npm scripts do.
set -euo pipefail
export LLM_COMMAND="deploy"
export LLM_USAGE="bash scripts/deploy.sh [--report-dir <dir>]"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

report_dir="$llm_project_dir/release-report"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --report-dir)
            [[ $# -ge 2 ]] || llm_usage_fail "--report-dir needs a directory"
            report_dir="$2"
            shift
            ;;
        *) llm_usage_fail "unknown argument '$1'" ;;
    esac
    shift
done
# The rollback deploys from a worktree of another commit: its state must be the shared backend's, not a local folder's.
[[ -n "${PULUMI_BACKEND_URL:-}" ]] || llm_fail "set PULUMI_BACKEND_URL (the stacks' shared backend): a release, and its rollback from another checkout, must use the same state"
mkdir -p "$report_dir"
report_dir="$(cd "$report_dir" && pwd)"
cd "$llm_project_dir"

# The stacks a merge goes through, in order; LLM_DEPLOY_STACKS for another set (tests, a fork).
stacks="${LLM_DEPLOY_STACKS:-staging prod}"
# Where the promote commit goes: the branch the workflow runs on.
branch="${GITHUB_REF_NAME:-main}"
commit="$(git rev-parse HEAD)"
last_good_tag() { echo "last-good-$1"; }

has_canary() {
    local weight
    weight="$(pulumi config get --stack "$1" --path proxy.canary.weight 2>/dev/null || true)"
    [[ -n "$weight" && "$weight" != 0 ]]
}

# Moves last-good-<stack> to HEAD, here and on origin; a promote commit goes to the branch too.
mark_good() {
    local tag
    tag="$(last_good_tag "$1")"
    git tag --force "$tag" HEAD >/dev/null
    git push --force --quiet origin "refs/tags/$tag"
    llm_say "$1: $tag is now $(git rev-parse --short HEAD)"
    if [[ "$(git rev-parse HEAD)" != "$commit" ]]; then
        # A merge that landed meanwhile refuses the push: the commit still reached the repository with the tag.
        git push --quiet origin "HEAD:refs/heads/$branch" ||
            llm_say "$1: $branch moved, so the promote commit was not pushed to it ($tag holds it): commit Pulumi.$1.yaml as 'npm run release -- $1 promote' leaves it"
    fi
}

# The stack back on its last good commit; with a canary up, traffic goes back to the stable proxy first.
roll_back() {
    local stack="$1" canary="$2" tag good dir status=0
    tag="$(last_good_tag "$stack")"
    if [[ -n "$canary" ]]; then
        llm_say "$stack: canary aborted, every request back to the stable proxy"
        npm run release -- "$stack" abort --yes || status=1
    fi
    if ! good="$(git rev-parse --quiet --verify "refs/tags/$tag^{commit}")"; then
        llm_say "$stack: no tag $tag, so no known good commit to go back to: the stack stays as the failed release left it"
        return 1
    fi
    llm_say "$stack: rolling back to $tag ($good)"
    dir="$(mktemp -d)"
    git worktree add --quiet --detach "$dir" "$good"
    # `set -e` does not hold inside a `|| ...` list: every step chained.
    (cd "$dir" && npm ci --no-audit --no-fund && (cd policies && npm ci --no-audit --no-fund) && npm run up -- "$stack" --yes) || status=1
    git worktree remove --force "$dir"
    if [[ "$status" -ne 0 ]]; then
        llm_say "$stack: the rollback to $good FAILED (above): the stack needs a person now"
    fi
    return "$status"
}

# Promotes the canary and commits the stack file as release.sh leaves it ([skip ci]: not a release of its own).
promote() {
    local stack="$1"
    npm run release -- "$stack" promote --yes
    if ! git diff --quiet -- "Pulumi.$stack.yaml"; then
        git add "Pulumi.$stack.yaml"
        # Pushed by mark_good, once the whole stack passed its smoke checks on it.
        git commit --quiet -m "release: promote the proxy canary of $stack (deploy of ${commit:0:12}) [skip ci]"
    fi
}

# The smoke checks of a stack into the report directory; $2 names the report, the rest goes to npm run smoke.
smoke() {
    local stack="$1" name="$2"
    shift 2
    npm run smoke -- "$stack" --report "$report_dir/$name.json" "$@"
}

# A failed smoke check: back to the last good commit, then stop the release.
fail_smoke() {
    local stack="$1" canary="$2" report="$3" rolled
    rolled="rolled back to $(last_good_tag "$stack")"
    roll_back "$stack" "$canary" || rolled="NOT rolled back (above)"
    llm_fail "$stack: the smoke checks failed ($report_dir/$report.json); $rolled. Commit $commit is not released."
}

llm_say "releasing $commit through: $stacks (reports in $report_dir)"
for stack in $stacks; do
    llm_say "$stack: backups of every store, now"
    npm run backup -- "$stack" || llm_fail "$stack: a backup failed (above); nothing was deployed"
done

for stack in $stacks; do
    llm_say "$stack: up"
    npm run up -- "$stack" --yes || llm_fail "$stack: pulumi up failed (above); the release stops here"
    if has_canary "$stack"; then
        llm_say "$stack: smoke checks against the canary alone"
        smoke "$stack" "smoke-$stack-canary" --canary || fail_smoke "$stack" 1 "smoke-$stack-canary"
        promote "$stack"
    fi
    # The whole stack as its clients now reach it: after a promote, the stable proxy runs the canary's image.
    llm_say "$stack: smoke checks"
    smoke "$stack" "smoke-$stack" || fail_smoke "$stack" "" "smoke-$stack"
    mark_good "$stack"
done
llm_say "released $commit"
