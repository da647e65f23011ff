#!/usr/bin/env bash
# The one place that sets up the environment every Pulumi command of this project runs in:
# Node.js, backend, secrets passphrase, Docker host, the facts of the Docker engine,
# dependencies. Sourced by every npm script that acts on a stack; the stack itself comes from
# scripts/stack-arg.sh (`llm_pick_stack`), and `llm_env <stack>` does the rest.
# Before anything runs, every missing piece is reported in one go (Node.js, Pulumi, Docker).

llm_project_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/ensure-deps.sh
source "$llm_project_dir/scripts/ensure-deps.sh"
# shellcheck source=scripts/stack-arg.sh
source "$llm_project_dir/scripts/stack-arg.sh"
# shellcheck source=scripts/kube.sh
source "$llm_project_dir/scripts/kube.sh"

llm_fail() {
    printf '%s: %s\n' "${LLM_COMMAND:-llm-platform}" "$*" >&2
    exit 1
}

llm_say() {
    printf '%s: %s\n' "${LLM_COMMAND:-llm-platform}" "$*" >&2
}

# Problems found by the checks below, reported together by llm_stop_on_problems.
llm_problems=0
llm_problem() {
    printf '%s: %s\n' "${LLM_COMMAND:-llm-platform}" "$*" >&2
    llm_problems=$((llm_problems + 1))
}

llm_stop_on_problems() {
    [[ "$llm_problems" -eq 0 ]] || llm_fail "stopped before changing anything: $llm_problems problem(s) above."
}

# Node.js within package.json's engines.node (scripts/check-node.js).
llm_check_node() {
    local problem
    problem="$(node "$llm_project_dir/scripts/check-node.js" 2>&1)" || llm_problem "${problem:-Node.js could not run scripts/check-node.js}"
}

llm_check_pulumi() {
    command -v pulumi >/dev/null 2>&1 ||
        llm_problem "the Pulumi CLI is not installed. Install it (https://www.pulumi.com/docs/install/: 'curl -fsSL https://get.pulumi.com | sh' on Linux, 'brew install pulumi/tap/pulumi' on macOS), open a new shell and try again."
}

# Backend and passphrase: the user's if set; else project-local state and, for dev only, a fixed passphrase.
llm_pulumi_env() {
    local stack="$1"
    if [[ -z "${PULUMI_BACKEND_URL:-}" ]]; then
        mkdir -p "$llm_project_dir/.pulumi-state"
        export PULUMI_BACKEND_URL="file://$llm_project_dir/.pulumi-state"
        llm_say "state in $llm_project_dir/.pulumi-state (set PULUMI_BACKEND_URL to use another backend)"
    fi
    if [[ -z "${PULUMI_CONFIG_PASSPHRASE:-}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
        if [[ "$stack" == "dev" ]]; then
            # Dev secrets are generated on this machine for local containers; the passphrase only guards the local state file.
            export PULUMI_CONFIG_PASSPHRASE="llm-platform-dev"
        else
            llm_problem "stack '$stack' needs a secrets passphrase: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE (the built-in one is for the dev stack only)."
        fi
    fi
}

# The provider talks to DOCKER_HOST or /var/run/docker.sock, never the docker CLI's current
# context: name the context's endpoint, so both talk to the same engine (Docker Desktop on
# Linux, colima, rootless Docker). Then record what that engine offers for the program.
llm_docker_env() {
    if ! command -v docker >/dev/null 2>&1; then
        llm_problem "the Docker CLI is not installed. Install Docker Engine (https://docs.docker.com/engine/install/) or Docker Desktop, then try again."
        return 0
    fi
    if [[ -z "${DOCKER_HOST:-}" ]]; then
        local endpoint
        endpoint="$(docker context inspect --format '{{.Endpoints.docker.Host}}' 2>/dev/null || true)"
        if [[ -n "$endpoint" && "$endpoint" != "unix:///var/run/docker.sock" ]]; then
            export DOCKER_HOST="$endpoint"
            llm_say "DOCKER_HOST=$endpoint (the current docker context), so Pulumi's Docker provider uses the same engine"
        fi
    fi
    local info
    if info="$(docker info --format '{{json .}}' 2>/dev/null)"; then
        export LLM_PLATFORM_DOCKER_INFO="$info"
    else
        llm_problem "the Docker engine is not reachable ('docker info' failed${DOCKER_HOST:+ for DOCKER_HOST=$DOCKER_HOST}). Start it ('sudo systemctl start docker', or open Docker Desktop) and make sure your user may use it ('sudo usermod -aG docker \$USER', then log in again)."
    fi
}

# For commands that only talk to the Docker engine (status, backup, restore).
llm_docker_only_env() {
    llm_docker_env
    llm_stop_on_problems
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

# For the offline commands (render, policy:check): Node.js and the dependencies, no Pulumi, no Docker.
llm_node_env() {
    llm_check_node
    llm_stop_on_problems
    cd "$llm_project_dir"
    ensure_deps
}

# Everything a Pulumi command on <stack> needs. The salt goes back out of the stack file when the shell exits.
llm_env() {
    local stack="$1"
    llm_check_node
    llm_check_pulumi
    llm_pulumi_env "$stack"
    [[ "$(llm_stack_platform "$stack")" != "docker" ]] || llm_docker_env
    llm_stop_on_problems
    cd "$llm_project_dir"
    ensure_deps
    llm_salt_restore "$stack"
    # shellcheck disable=SC2064
    trap "llm_salt_stash '$stack'" EXIT
}

# Selects the stack, creating it on first use (passphrase secrets; `npm run pulumi -- <stack> stack
# change-secrets-provider` moves it to a KMS), and keeps the salt out of the stack file. Says nothing
# on stdout: `$(npm run -s pulumi -- stack output ...)` reads only what Pulumi itself prints.
llm_select_stack() {
    local stack="$1"
    pulumi stack select --create --secrets-provider passphrase "$stack" >&2
    llm_salt_stash "$stack"
    llm_salt_restore "$stack"
}

# The stores with backups (the services whose ServiceSpec has `backups`; tests/up-script.test.ts
# holds this list equal to the backup schedulers of the dev stack).
llm_backup_stores="sqlserver timescale redis qdrant"

llm_is_store() {
    [[ " $llm_backup_stores " == *" $1 "* ]]
}

# The smoke checks (scripts/smoke.ts, docs/releases.md) against a selected Docker stack, inside the
# environment llm_env set up: the outputs (secrets included) go through a file only this user can
# read, removed before returning. Extra arguments (--report <file>) go to the program.
llm_run_smoke() {
    local stack="$1" outputs status=0
    shift
    outputs="$(mktemp)"
    chmod 600 "$outputs"
    pulumi stack output --stack "$stack" --json --show-secrets >"$outputs" || status=$?
    if [[ "$status" -eq 0 ]]; then
        npx ts-node --swc scripts/smoke.ts "$stack" --outputs "$outputs" "$@" || status=$?
    fi
    rm -f "$outputs"
    return "$status"
}
