#!/usr/bin/env bash
# Writes an app's credentials as an env file (KEY=value lines, the form of `docker run --env-file`
# and Compose's env_file), readable by its owner only (0600), from the stack's secret output
# credentials.apps.<app>.env: the variables an app the platform runs is given. A certificate
# (QDRANT_CA_PEM: several lines) is written beside it as <file>.QDRANT_CA_PEM instead.
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
trap 'rm -f "$tmp" "$tmp".*_PEM' EXIT
printf '%s' "$credentials" | APP="$app" TMP_FILE="$tmp" node -e '
    const credentials = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const app = (credentials.apps || {})[process.env.APP];
    if (!app || !app.env) {
        console.error(`the stack gives app ${process.env.APP} no credentials: it has no databases, or it is not one of the stack apps (${Object.keys(credentials.apps || {}).join(", ") || "none"})`);
        process.exit(3);
    }
    const fs = require("fs");
    for (const [k, v] of Object.entries(app.env)) {
        if (/[\n\r]/.test(v)) {
            // A certificate (QDRANT_CA_PEM) goes into a file of its own beside the env file: an env file has no multi-line values.
            if (!/_PEM$/.test(k)) { console.error(`${k} holds a line break, which an env file cannot carry`); process.exit(3); }
            fs.writeFileSync(`${process.env.TMP_FILE}.${k}`, v.endsWith("\n") ? v : `${v}\n`, { mode: 0o600 });
            continue;
        }
        process.stdout.write(`${k}=${v}\n`);
    }' > "$tmp" || llm_fail "no env file written (above)"
chmod 0600 "$tmp"
pems=""
for pem in "$tmp".*_PEM; do
    [[ -e "$pem" ]] || continue
    mv "$pem" "$file.${pem##*.}"
    pems+=" $file.${pem##*.}"
done
mv "$tmp" "$file"
trap - EXIT
llm_say "wrote $file (mode 0600): $(cut -d= -f1 "$file" | tr '\n' ' ')"
[[ -z "$pems" ]] || llm_say "and, as files of their own (a certificate, for the app's client to verify its store with):$pems"
