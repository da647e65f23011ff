#!/usr/bin/env bash
# The one place that sets up the environment every Pulumi command of this project runs in:
# backend, secrets passphrase, Docker host, the facts of the Docker engine, dependencies.
# Sourced by up.sh, down.sh, outputs.sh, status.sh and pulumi.sh; `llm_env <stack>` does it all.

llm_project_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/ensure-deps.sh
source "$llm_project_dir/scripts/ensure-deps.sh"

llm_fail() {
    printf '%s: %s\n' "${LLM_COMMAND:-llm-platform}" "$*" >&2
    exit 1
}

llm_say() {
    printf '%s: %s\n' "${LLM_COMMAND:-llm-platform}" "$*" >&2
}

# Backend and passphrase: the user's if set; else project-local state and, for dev only, a fixed passphrase.
llm_pulumi_env() {
    local stack="$1"
    command -v pulumi >/dev/null 2>&1 ||
        llm_fail "the Pulumi CLI is not installed. Install it (https://www.pulumi.com/docs/install/: 'curl -fsSL https://get.pulumi.com | sh' on Linux, 'brew install pulumi/tap/pulumi' on macOS), open a new shell and try again."
    if [[ -z "${PULUMI_BACKEND_URL:-}" ]]; then
        mkdir -p "$llm_project_dir/.pulumi-state"
        export PULUMI_BACKEND_URL="file://$llm_project_dir/.pulumi-state"
        llm_say "state in $llm_project_dir/.pulumi-state (set PULUMI_BACKEND_URL to use another backend)"
    fi
    if [[ -z "${PULUMI_CONFIG_PASSPHRASE:-}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
        [[ "$stack" == "dev" ]] ||
            llm_fail "stack '$stack' needs a secrets passphrase: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE (the built-in one is for the dev stack only)."
        # Dev secrets are generated on this machine for local containers; the passphrase only guards the local state file.
        export PULUMI_CONFIG_PASSPHRASE="llm-platform-dev"
    fi
}

# The provider talks to DOCKER_HOST or /var/run/docker.sock, never the docker CLI's current
# context: name the context's endpoint, so both talk to the same engine (Docker Desktop on
# Linux, colima, rootless Docker). Then record what that engine offers for the program.
llm_docker_env() {
    command -v docker >/dev/null 2>&1 ||
        llm_fail "the Docker CLI is not installed. Install Docker Engine (https://docs.docker.com/engine/install/) or Docker Desktop, then try again."
    if [[ -z "${DOCKER_HOST:-}" ]]; then
        local endpoint
        endpoint="$(docker context inspect --format '{{.Endpoints.docker.Host}}' 2>/dev/null || true)"
        if [[ -n "$endpoint" && "$endpoint" != "unix:///var/run/docker.sock" ]]; then
            export DOCKER_HOST="$endpoint"
            llm_say "DOCKER_HOST=$endpoint (the current docker context), so Pulumi's Docker provider uses the same engine"
        fi
    fi
    local info
    info="$(docker info --format '{{json .}}' 2>/dev/null)" ||
        llm_fail "the Docker engine is not reachable ('docker info' failed${DOCKER_HOST:+ for DOCKER_HOST=$DOCKER_HOST}). Start it ('sudo systemctl start docker', or open Docker Desktop) and make sure your user may use it ('sudo usermod -aG docker \$USER', then log in again)."
    export LLM_PLATFORM_DOCKER_INFO="$info"
}

# The stack file stays free of machine-specific values: the passphrase provider's salt lives
# in .pulumi-state/ and is put into Pulumi.<stack>.yaml only while a Pulumi command runs.
llm_salt_file() { echo "$llm_project_dir/.pulumi-state/$1.encryptionsalt"; }

llm_salt_restore() {
    local stack="$1" file="$llm_project_dir/Pulumi.$1.yaml" saved
    saved="$(llm_salt_file "$stack")"
    [[ -f "$saved" && -f "$file" ]] || return 0
    if ! grep -q '^encryptionsalt:' "$file"; then
        cat "$saved" "$file" >"$file.tmp"
        mv "$file.tmp" "$file"
    fi
}

llm_salt_stash() {
    local stack="$1" file="$llm_project_dir/Pulumi.$1.yaml" saved
    saved="$(llm_salt_file "$stack")"
    if [[ ! -f "$file" ]] || ! grep -q '^encryptionsalt:' "$file"; then return 0; fi
    mkdir -p "$(dirname "$saved")"
    grep '^encryptionsalt:' "$file" >"$saved"
    grep -v '^encryptionsalt:' "$file" >"$file.tmp" && mv "$file.tmp" "$file"
}

# Everything a command on <stack> needs. The salt goes back out of the stack file when the shell exits.
llm_env() {
    local stack="$1"
    llm_pulumi_env "$stack"
    [[ "$stack" == "dev" ]] && llm_docker_env
    cd "$llm_project_dir"
    ensure_deps
    llm_salt_restore "$stack"
    # shellcheck disable=SC2064
    trap "llm_salt_stash '$stack'" EXIT
}
