#!/usr/bin/env bash
# The project's test command (the README's): installs what the tests need
# when it is missing, then runs the whole workspace's tests with every
# feature, so the PostgreSQL tests run against real servers and the browser
# tests against a real headless Chromium.
#
# Usage: scripts/test.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib/prerequisites.sh
ensure_postgresql
ensure_redis
ensure_chromium
ensure_patroni

echo "==> cargo test --workspace --all-features $*"
cargo test --workspace --all-features "$@"
