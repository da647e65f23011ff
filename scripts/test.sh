#!/usr/bin/env bash
# The whole test suite: type checks, then every mocha test (unit, whole stacks under
# mocks, policies, generated configs under the real nginx and redis-server).
# On a fresh clone it installs the npm dependencies first (scripts/ensure-deps.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/ensure-deps.sh
ensure_deps

echo "== tsc --noEmit (program, harness, tests, policy pack)"
npx tsc --noEmit -p .
echo "== tsc --noEmit -p policies (the policy pack as Pulumi loads it)"
npx tsc --noEmit -p policies

echo "== mocha"
npx mocha "$@"
