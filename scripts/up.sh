#!/usr/bin/env bash
# Brings a stack up (default: dev) with nothing to set up by hand:
#   npm run up                 # dev stack on the local Docker engine
#   npm run up -- dev --yes    # extra arguments go to `pulumi up`
# State goes to a project-local file backend unless PULUMI_BACKEND_URL says otherwise;
# the dev stack's secrets use a fixed passphrase unless you set your own.
set -euo pipefail

project_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stack="dev"
if [[ $# -gt 0 && "$1" != -* ]]; then
    stack="$1"
    shift
fi

fail() {
    printf 'npm run up: %s\n' "$*" >&2
    exit 1
}

command -v pulumi >/dev/null 2>&1 ||
    fail "the Pulumi CLI is not installed. Install it (https://www.pulumi.com/docs/install/: 'curl -fsSL https://get.pulumi.com | sh' on Linux, 'brew install pulumi/tap/pulumi' on macOS), open a new shell and run 'npm run up' again."

if [[ "$stack" == "dev" ]]; then
    command -v docker >/dev/null 2>&1 ||
        fail "the Docker CLI is not installed. Install Docker Engine (https://docs.docker.com/engine/install/) or Docker Desktop, then run 'npm run up' again."
    docker info >/dev/null 2>&1 ||
        fail "the Docker engine is not reachable ('docker info' failed). Start it ('sudo systemctl start docker', or open Docker Desktop) and make sure your user may use it ('sudo usermod -aG docker \$USER', then log in again)."
fi

if [[ -z "${PULUMI_BACKEND_URL:-}" ]]; then
    mkdir -p "$project_dir/.pulumi-state"
    export PULUMI_BACKEND_URL="file://$project_dir/.pulumi-state"
    echo "npm run up: state in $project_dir/.pulumi-state (set PULUMI_BACKEND_URL to use another backend)"
fi

if [[ -z "${PULUMI_CONFIG_PASSPHRASE:-}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
    [[ "$stack" == "dev" ]] ||
        fail "stack '$stack' needs a secrets passphrase: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE (the built-in one is for the dev stack only)."
    # Dev secrets are generated on this machine for local containers; the passphrase only guards the local state file.
    export PULUMI_CONFIG_PASSPHRASE="llm-platform-dev"
    echo "npm run up: dev stack secrets use the built-in dev passphrase (set PULUMI_CONFIG_PASSPHRASE to choose your own)"
fi

cd "$project_dir"
[[ -d node_modules ]] || npm ci

pulumi stack select --create --secrets-provider passphrase "$stack"

if [[ "$stack" == "dev" ]] && ! pulumi config get --path ollama.gpu >/dev/null 2>&1; then
    gpu=false
    if docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q nvidia; then gpu=true; fi
    echo "npm run up: NVIDIA container runtime $([[ $gpu == true ]] && echo found || echo not found): setting ollama.gpu=$gpu in Pulumi.dev.yaml"
    pulumi config set --path ollama.gpu "$gpu"
fi

exec pulumi up --stack "$stack" "$@"
