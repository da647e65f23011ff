#!/usr/bin/env bash
# The real binaries the tests check generated files and scripts with (Debian/Ubuntu packages).
# One list for .ci/run and the pull-request workflow: with LLM_PLATFORM_REQUIRE_TOOLS=1 a
# missing one fails the tests instead of skipping them.
set -euo pipefail

TEST_TOOLS=(nginx redis-server redis-tools openssl curl ca-certificates luajit postgresql postgresql-client prometheus prometheus-alertmanager jq
    # The migration engines: Sqitch with its PostgreSQL driver; Java for Liquibase (npm's liquibase package holds its jars).
    sqitch libdbd-pg-perl default-jre-headless)

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${TEST_TOOLS[@]}" >/dev/null
