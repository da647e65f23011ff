#!/usr/bin/env bash
# The real binaries the tests check generated files and scripts with (Debian/Ubuntu packages).
# One list for .ci/run and the pull-request workflow: with LLM_PLATFORM_REQUIRE_TOOLS=1 a
# missing one fails the tests instead of skipping them.
set -euo pipefail

TEST_TOOLS=(nginx redis-server redis-tools openssl curl ca-certificates luajit postgresql postgresql-client prometheus prometheus-alertmanager jq
    # The migration engines: Sqitch with its PostgreSQL driver; Java for Liquibase (npm's liquibase package holds its jars).
    sqitch libdbd-pg-perl default-jre-headless
    # The point-in-time recovery drill: Barman Cloud, the archiver CloudNativePG runs in its instances.
    barman-cli-cloud)

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${TEST_TOOLS[@]}" >/dev/null

# CloudNativePG's CRDs as validators (tests/cloudnative-pg.test.ts): @kubernetes-models/cloudnative-pg 1.0.0,
# generated from the operator's cnpg-1.29.0.yaml. Its package.json asks for Node >= 22, so npm (engine-strict)
# refuses it as a dependency; its validators are plain ajv code that runs on Node 20 with the
# @kubernetes-models/validate 4 kubernetes-models brings. Fetched from the registry by exact version,
# checked against the integrity the registry published, unpacked into .test-tools/ (npm ci leaves it
# alone; its imports resolve up to the project's node_modules).
CNPG_MODELS=@kubernetes-models/cloudnative-pg@1.0.0
CNPG_MODELS_INTEGRITY=sha512-CZckCP7g0C/pqKPwFAdbXLV3YuNjarKg+D7vb/o+gHJOfwEqYCEUCKieWuusV85/M0SCgqUBgbTCVN9FV9SIgg==
install_cnpg_models() {
    local project target scratch integrity
    project="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    target="$project/.test-tools/node_modules/@kubernetes-models/cloudnative-pg"
    scratch="$(mktemp -d)"
    integrity="$(cd "$scratch" && npm pack "$CNPG_MODELS" --json --silent | jq -r '.[0].integrity')"
    if [[ "$integrity" != "$CNPG_MODELS_INTEGRITY" ]]; then
        echo "install-test-tools: $CNPG_MODELS has integrity $integrity, expected $CNPG_MODELS_INTEGRITY" >&2
        rm -rf "$scratch"
        return 1
    fi
    rm -rf "$target" && mkdir -p "$target"
    tar -xzf "$scratch"/*.tgz -C "$target" --strip-components=1
    rm -rf "$scratch"
}
install_cnpg_models
