#!/usr/bin/env bash
# The whole test suite: one type check of everything, then every mocha test (unit, whole
# stacks under mocks, policies, generated configs under the real nginx and redis-server),
# each test file in a worker process, as many at once as the machine has CPUs (.mocharc.js).
# On a fresh clone it installs the npm dependencies first (scripts/ensure-deps.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/ensure-deps.sh
ensure_deps

# One tsc for both projects: the program with its harness, tests and the policy pack, and the
# policy pack on its own as Pulumi loads it (policies/tsconfig.json, policies/node_modules).
# Incremental: each project's build info (bin/tsconfig.tsbuildinfo, git-ignored) lets a warm run
# check only what changed. tsc -b trusts it while no source file is newer, and misjudges two
# cases: types that change under node_modules alone (an npm install), and a tsconfig.json newer
# than the build info (then it checks everything on every run, never rewriting the file).
# Either way, one full check (--force) sets the build info right.
force=""
for changed in node_modules/.package-lock.json policies/node_modules/.package-lock.json tsconfig.json policies/tsconfig.json; do
    for info in bin/tsconfig.tsbuildinfo policies/bin/tsconfig.tsbuildinfo; do
        if [[ -f "$info" && "$changed" -nt "$info" ]]; then force="--force"; fi
    done
done
# The project's own tsc and mocha, not through npx: each npx is an npm CLI start (about a second).
echo "== tsc --noEmit (program, harness, tests, policy pack; and the policy pack as Pulumi loads it)"
node_modules/.bin/tsc --build . policies --noEmit --incremental $force

echo "== mocha"
node_modules/.bin/mocha "$@"
