#!/usr/bin/env bash
# Writes an app's credentials as an env file (KEY=value lines, the form of `docker run --env-file`
# and Compose's env_file), readable by its owner only (0600), from the stack's secret output
# credentials.apps.<app>.env: the variables an app the platform runs is given.
#   npm run app-env -- [<stack>] <app> [<file>]      # default file: ./app-<app>.env
# For an app the platform only routes to (upstream.address) on a Docker stack; on Kubernetes an
# app given as upstream.service has them as the Secret app-<app>-env in its namespace.
set -euo pipefail
export LLM_COMMAND="npm run app-env"
export LLM_USAGE="npm run app-env -- [<stack>] <app> [<file>]"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

llm_pick_stack if-stack "$@"
shift "$llm_stack_shift"
[[ $# -ge 1 && $# -le 2 ]] || llm_usage_fail "name the app (and, optionally, the file to write)"
app="$1"
[[ "$app" =~ ^[a-z]([a-z0-9-]*[a-z0-9])?$ ]] || llm_usage_fail "'$app' is not an app's name (apps[].name: a DNS label)"
file="${2:-app-$app.env}"

llm_check_pulumi
llm_pulumi_env "$llm_stack"
llm_stop_on_problems
credentials="$(cd "$llm_project_dir" && pulumi stack output --stack "$llm_stack" --show-secrets --json credentials)"
# Created 0600 before anything is written into it; replaced whole, never half-written.
umask 077
tmp="$(mktemp "$(dirname "$file")/.app-env.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
printf '%s' "$credentials" | APP="$app" node -e '
    const credentials = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const app = (credentials.apps || {})[process.env.APP];
    if (!app || !app.env) {
        console.error(`the stack gives app ${process.env.APP} no credentials: it has no databases, or it is not one of the stack apps (${Object.keys(credentials.apps || {}).join(", ") || "none"})`);
        process.exit(3);
    }
    for (const [k, v] of Object.entries(app.env)) {
        if (/[\n\r]/.test(v)) { console.error(`${k} holds a line break, which an env file cannot carry`); process.exit(3); }
        process.stdout.write(`${k}=${v}\n`);
    }' > "$tmp" || llm_fail "no env file written (above)"
chmod 0600 "$tmp"
mv "$tmp" "$file"
trap - EXIT
llm_say "wrote $file (mode 0600): $(cut -d= -f1 "$file" | tr '\n' ' ')"
