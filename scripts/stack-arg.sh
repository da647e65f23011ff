#!/usr/bin/env bash
# The one rule for which stack an npm script acts on, sourced (through env.sh) by every script
# that acts on a stack:
#   1. the first argument, when it is a stack:   npm run up -- prod
#   2. else the variable LLM_PLATFORM_STACK:      LLM_PLATFORM_STACK=prod npm run up
#   3. else dev.
# A stack is a Pulumi.<stack>.yaml in the project folder; any other name is refused. The first
# line a script prints names the stack and where it came from. Arguments meant for Pulumi
# itself follow a second `--` (npm run up -- prod -- --target '<urn>'); a script refuses
# any other argument it does not know, with its usage line (LLM_USAGE, set by the script).
# Written for bash 3.2 too (macOS): no associative arrays, no empty "${array[@]}" under set -u.

llm_project_dir="${llm_project_dir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

# The stacks of this project, space-separated: dev prod ...
llm_stacks() {
    local file names=""
    for file in "$llm_project_dir"/Pulumi.*.yaml; do
        [[ -f "$file" ]] || continue
        file="${file##*/Pulumi.}"
        names="${names:+$names }${file%.yaml}"
    done
    echo "$names"
}

llm_is_stack() {
    [[ "$1" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ && -f "$llm_project_dir/Pulumi.$1.yaml" ]]
}

llm_usage_fail() {
    printf '%s: %s\nusage: %s\n' "${LLM_COMMAND:-llm-platform}" "$*" "${LLM_USAGE:-}" >&2
    exit 2
}

llm_print_usage() {
    printf 'usage: %s\n%s\n' "${LLM_USAGE:-}" \
        "The stack: the first argument, else \$LLM_PLATFORM_STACK, else dev (stacks here: $(llm_stacks))." >&2
}

# Refuses an argument the script does not know: a word may be a mistyped stack.
llm_refuse_arg() {
    if [[ "$1" == -* ]]; then
        llm_usage_fail "unknown option '$1' (options for Pulumi itself go after a second '--')"
    fi
    llm_usage_fail "unknown argument '$1' (stacks here: $(llm_stacks))"
}

# Sets llm_stack and llm_stack_shift (how many arguments named it: 0 or 1) by the rule above and
# prints the first line. `first`: a first argument that is not an option must be a stack (up,
# down, render...); `if-stack`: the first argument is the stack only when it names one, else it
# is the script's own (backup <store>, pulumi <command>).
llm_pick_stack() {
    local mode="$1" origin
    shift
    case "${1:-}" in
        -h | --help)
            llm_print_usage
            exit 0
            ;;
    esac
    llm_stack_shift=0
    if [[ $# -gt 0 && "$1" != -* ]] && { [[ "$mode" == first ]] || llm_is_stack "$1"; }; then
        llm_stack="$1"
        llm_stack_shift=1
        origin="the first argument"
        if [[ -n "${LLM_PLATFORM_STACK:-}" && "$LLM_PLATFORM_STACK" != "$1" ]]; then
            origin="the first argument; LLM_PLATFORM_STACK=$LLM_PLATFORM_STACK is overridden"
        fi
    elif [[ -n "${LLM_PLATFORM_STACK:-}" ]]; then
        llm_stack="$LLM_PLATFORM_STACK"
        origin="LLM_PLATFORM_STACK"
    else
        llm_stack="dev"
        origin="the default; name another as the first argument or in LLM_PLATFORM_STACK"
    fi
    llm_is_stack "$llm_stack" ||
        llm_usage_fail "unknown stack '$llm_stack' (from $origin): there is no Pulumi.$llm_stack.yaml; stacks here: $(llm_stacks)"
    printf '%s: stack %s (%s)\n' "${LLM_COMMAND:-llm-platform}" "$llm_stack" "$origin" >&2
}

# The arguments of a command that hands options to Pulumi: [<stack>] [--yes] [-- <pulumi options>].
# Sets llm_stack and llm_pulumi_args. $1: "--yes" when the command takes it (up, down), else "".
llm_parse_pulumi_command() {
    local takes_yes="$1"
    shift
    llm_pick_stack first "$@"
    shift "$llm_stack_shift"
    llm_pulumi_args=()
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --)
                shift
                llm_pulumi_args+=("$@")
                break
                ;;
            --yes | -y)
                [[ "$takes_yes" == "--yes" ]] || llm_refuse_arg "$1"
                llm_pulumi_args+=(--yes)
                ;;
            *) llm_refuse_arg "$1" ;;
        esac
        shift
    done
    llm_refuse_stack_flag ${llm_pulumi_args[@]+"${llm_pulumi_args[@]}"}
}

# The arguments of a command that takes nothing but the stack: [<stack>].
llm_parse_stack_only() {
    llm_pick_stack first "$@"
    shift "$llm_stack_shift"
    [[ $# -eq 0 ]] || llm_refuse_arg "$1"
}

# Pulumi arguments must not name another stack than the one the environment was set up for.
llm_refuse_stack_flag() {
    local arg
    for arg in "$@"; do
        case "$arg" in
            -s | --stack | -s=* | --stack=*)
                llm_usage_fail "name the stack as the first argument, not with Pulumi's '$arg': the backend, passphrase and Docker host are set up for stack '$llm_stack'"
                ;;
        esac
    done
}

# The stack's platform from its file (`llm-platform:platform:`), else Pulumi.yaml's default, docker.
llm_stack_platform() {
    local line value="" pattern='^[[:space:]]+llm-platform:platform:[[:space:]]*["'"'"']?([a-z]+)'
    while IFS= read -r line || [[ -n "$line" ]]; do
        if [[ "$line" =~ $pattern ]]; then
            value="${BASH_REMATCH[1]}"
        fi
    done <"$llm_project_dir/Pulumi.$1.yaml"
    echo "${value:-docker}"
}

# Commands that act on containers, volumes and the Docker engine (down, delete-data, status,
# backup, restore) refuse a stack of another platform, saying what to run instead.
llm_require_docker_stack() {
    local platform
    platform="$(llm_stack_platform "$llm_stack")"
    [[ "$platform" == "docker" ]] ||
        llm_fail "stack '$llm_stack' runs on $platform (llm-platform:platform in Pulumi.$llm_stack.yaml), and this command serves Docker stacks only. $*"
}
