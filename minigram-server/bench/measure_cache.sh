#!/usr/bin/env bash
# Issue 5 figures on PostgreSQL (a local primary, --replicas 0), each beside
# its reference from the same run:
# - GET /api/feed req/s with --cache tiered vs --cache none (and /ping);
# - store queries per feed request (PostgreSQL's committed transactions
#   divided by the requests wrk completed) with and without the cache;
# - the cache hit ratio during the origin's 9-operation session at 200 users
#   (minigram-bench scenario), from /api/metrics before and after.
# Needs PostgreSQL's server programs, redis-server, wrk, curl, psql, python3.
# Usage: minigram-server/bench/measure_cache.sh [port] [seconds]
set -euo pipefail
PORT=${1:-3100}
SECS=${2:-8}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=$(mktemp -d)
chmod 755 "$DATA"
URL=http://127.0.0.1:$PORT
BIN="$ROOT/target/release/minigram-server"
BENCH="$ROOT/target/release/minigram-bench"
cargo build --release -q -p minigram-server -p minigram-bench --manifest-path "$ROOT/Cargo.toml"
PID=
cleanup() { if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null; wait "$PID" || true; fi; rm -rf "$DATA"; }
trap cleanup EXIT

start() {
  "$BIN" --port "$PORT" --data-dir "$DATA" --replicas 0 --cache "$1" --log warn >>"$DATA/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 600); do curl -sf "$URL/health" >/dev/null 2>&1 && return; sleep 0.05; done
  echo "server did not start; log:" >&2; cat "$DATA/server.log" >&2; exit 1
}
stop() { kill -TERM "$PID"; wait "$PID"; PID=; }
pg_port() { sed -n 4p "$(find "$DATA/postgres" -name postmaster.pid | head -1)"; }
commits() { psql "postgresql://postgres@127.0.0.1:$(pg_port)/minigram" -Atc \
  "select xact_commit from pg_stat_database where datname = 'minigram'"; }
metric() { curl -s "$URL/api/metrics" | python3 -c "
import json,sys; m=json.load(sys.stdin)['store']['metrics']; print(int(m.get('$1', 0)))"; }
feed() {
  local label=$1 before after requests
  wrk -t2 -c50 -d2s -H "authorization: Bearer $VIEWER" "$URL/api/feed?limit=20" >/dev/null
  echo "== $label: GET /ping (reference)"
  wrk -t2 -c50 -d"${SECS}s" --latency "$URL/ping" | grep -E "Requests/sec|^ +99%"
  before=$(commits)
  echo "== $label: GET /api/feed?limit=20 (50 followed authors)"
  wrk -t2 -c50 -d"${SECS}s" --latency -H "authorization: Bearer $VIEWER" "$URL/api/feed?limit=20" \
    | tee "$DATA/wrk.txt" | grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx|Socket"
  after=$(commits)
  requests=$(grep -Eo "^ +[0-9]+ requests" "$DATA/wrk.txt" | grep -Eo "[0-9]+")
  python3 -c "print('== $label: %.2f PostgreSQL transactions per feed request (%d over %d requests)' % (($after-$before)/$requests, $after-$before, $requests))"
}

echo "== machine: $(nproc) cores; wrk, the server, PostgreSQL and Redis share them"
start none
python3 "$HERE/seed.py" "$URL" > "$DATA/tokens"
VIEWER=$(head -1 "$DATA/tokens")
feed "--cache none"
stop
start tiered
feed "--cache tiered"
for m in minigram_cache_l1_hits_total minigram_cache_l1_misses_total minigram_cache_l2_hits_total minigram_cache_l2_misses_total minigram_cache_store_reads_total; do
  eval "B_$m=$(metric $m)"
done
echo "== origin session (register, login, 3 x feed, 3 x like, follow) at 200 users, --cache tiered"
"$BENCH" scenario --url "$URL" --users 200 --quiet | tail -4
python3 - "$URL" <<PY
import json, sys, urllib.request
m = json.load(urllib.request.urlopen(sys.argv[1] + "/api/metrics"))["store"]["metrics"]
b = dict(l1h=$B_minigram_cache_l1_hits_total, l1m=$B_minigram_cache_l1_misses_total,
         l2h=$B_minigram_cache_l2_hits_total, l2m=$B_minigram_cache_l2_misses_total,
         reads=$B_minigram_cache_store_reads_total)
l1h = m["minigram_cache_l1_hits_total"] - b["l1h"]; l1m = m["minigram_cache_l1_misses_total"] - b["l1m"]
l2h = m["minigram_cache_l2_hits_total"] - b["l2h"]; l2m = m["minigram_cache_l2_misses_total"] - b["l2m"]
reads = m["minigram_cache_store_reads_total"] - b["reads"]
print("== session cache figures: L1 %d hits / %d misses (%.1f%%), L2 %d hits / %d misses (%.1f%%), %d store reads"
      % (l1h, l1m, 100 * l1h / max(1, l1h + l1m), l2h, l2m, 100 * l2h / max(1, l2h + l2m), reads))
PY
stop
echo "== done"
