#!/usr/bin/env bash
# The whole test suite: type checks, then every mocha test (unit, whole stacks under
# mocks, policies, generated configs under the real nginx and redis-server).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== tsc --noEmit (program, harness, tests, policy pack)"
npx tsc --noEmit -p .

echo "== mocha"
npx mocha "$@"
