#!/usr/bin/env bash
# Checks deploy/prometheus/: the configuration and the alert rules with
# promtool (syntax, and the rule unit tests in deploy/prometheus/tests/),
# then a live round trip: a real Prometheus with that configuration scrapes
# a real minigram-server and its HTTP API must return the server's series
# and the recording rules' results. Bounded: about 30 seconds.
#
# Usage: scripts/check-prometheus.sh
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib/prerequisites.sh
ensure_prometheus

config_dir=deploy/prometheus
echo "==> promtool check config / check rules / test rules"
promtool check config "$config_dir/prometheus.yml"
promtool check rules "$config_dir"/rules/*.yml
(cd "$config_dir" && promtool test rules tests/*.yml)

echo "==> cargo build -p minigram-server"
cargo build -p minigram-server

work=$(mktemp -d -t minigram-prometheus-XXXXXX)
server_pid=""
prometheus_pid=""
cleanup() {
  # Only what this script started, by pid.
  [ -n "$prometheus_pid" ] && kill "$prometheus_pid" 2>/dev/null && wait "$prometheus_pid" 2>/dev/null
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
server_port=$(free_port)
prometheus_port=$(free_port)

"${CARGO_TARGET_DIR:-target}/debug/minigram-server" --port "$server_port" --data-dir "$work/data" >"$work/server.log" 2>&1 &
server_pid=$!

# The committed configuration, with the live server as its only target.
mkdir -p "$work/prometheus/targets"
cp "$config_dir/prometheus.yml" "$work/prometheus/"
cp -r "$config_dir/rules" "$work/prometheus/"
printf '[{"targets": ["127.0.0.1:%s"], "labels": {"stage": "check"}}]\n' "$server_port" \
  >"$work/prometheus/targets/check.json"
prometheus --config.file="$work/prometheus/prometheus.yml" \
  --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prometheus_port" \
  >"$work/prometheus.log" 2>&1 &
prometheus_pid=$!

# Traffic for the recording rules to see.
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$server_port/ping" >/dev/null 2>&1 || sleep 0.2
done

# Asks Prometheus for `$1` until it returns a sample greater than `$2`,
# for at most 40 s.
query_until_above() {
  local expr=$1 floor=$2 value=""
  for _ in $(seq 1 80); do
    value=$(curl -fsS --get "http://127.0.0.1:$prometheus_port/api/v1/query" \
      --data-urlencode "query=$expr" 2>/dev/null |
      python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' \
      2>/dev/null || true)
    if [ -n "$value" ] && python3 -c "import sys; sys.exit(0 if float('$value') > $floor else 1)"; then
      echo "    $expr = $value"
      return 0
    fi
    curl -fsS "http://127.0.0.1:$server_port/ping" >/dev/null 2>&1 || true
    sleep 0.5
  done
  echo "error: Prometheus never returned $expr > $floor (last: '${value}')" >&2
  echo "--- prometheus log" >&2; tail -20 "$work/prometheus.log" >&2
  echo "--- server log" >&2; tail -20 "$work/server.log" >&2
  exit 1
}

echo "==> a real Prometheus scraping a real minigram-server"
query_until_above 'up{job="minigram"}' 0
query_until_above 'sum(minigram_http_requests_total{route="/ping"})' 0
query_until_above 'sum(minigram:http_requests:rate1m{route="/ping"})' 0
echo "==> prometheus checks passed"
