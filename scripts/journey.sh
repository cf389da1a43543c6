#!/usr/bin/env bash
# The scaling journey: installs what the three stages need when it is missing
# (PostgreSQL, Redis, nginx, Prometheus), builds the server and the load generator, then
# runs `minigram-bench journey` (stage 1: one server on the embedded store;
# stage 2: PostgreSQL + tiered cache; stage 3: nginx over 3 servers, a primary
# with 2 replicas and a shared Redis), writing report.md, report.json and SVG
# charts into --out (default ./journey-report).
#
# Usage: scripts/journey.sh [--quick] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib/prerequisites.sh
ensure_postgresql
ensure_redis
ensure_nginx
ensure_prometheus

# Built on its own (not together with minigram-bench) so that neither build
# changes the other's feature set and forces a rebuild.
echo "==> cargo build --release -p minigram-server"
cargo build --release -p minigram-server
echo "==> minigram-bench journey $*"
cargo run --release -p minigram-bench -- journey "$@"
