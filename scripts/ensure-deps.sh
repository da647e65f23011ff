#!/usr/bin/env bash
# Installs the project's and the policy pack's npm dependencies when they are missing or
# older than their lockfile (npm records the installed tree in node_modules/.package-lock.json).
# Sourced by test.sh and env.sh; `ensure_deps` is idempotent and quiet when nothing changed.

ensure_deps() {
    local root dir
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    for dir in "$root" "$root/policies"; do
        if [[ ! -f "$dir/node_modules/.package-lock.json" || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
            echo "== npm ci in ${dir#"$root"}/ (dependencies missing or older than package-lock.json)" >&2
            (cd "$dir" && npm ci --no-audit --no-fund >&2)
        fi
    done
}
