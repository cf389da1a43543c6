#!/usr/bin/env bash
# Stage-2/3 measurements of minigram-server on PostgreSQL (--replicas):
# time to start a primary + 2 replicas (cold: fresh directory; warm: the
# directory reused), then GET /api/feed with --replicas 2 vs --replicas 0
# on the same cluster data, each beside GET /ping in the same server run.
# Needs PostgreSQL's server programs, wrk, curl and python3.
# Usage: minigram-server/bench/measure_postgres.sh [port] [seconds]
set -euo pipefail
PORT=${1:-3100}
SECS=${2:-8}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=$(mktemp -d)
chmod 755 "$DATA"   # PostgreSQL runs as `postgres` when this runs as root
URL=http://127.0.0.1:$PORT
BIN="$ROOT/target/release/minigram-server"
cargo build --release -q -p minigram-server --manifest-path "$ROOT/Cargo.toml" 2>/dev/null \
  || cargo build --release -q -p minigram-server --manifest-path "$ROOT/Cargo.toml"
PID=
# On any exit: stop the server (it stops its cluster), then remove the data.
cleanup() { if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null; wait "$PID" || true; fi; rm -rf "$DATA"; }
trap cleanup EXIT

now_ms() { date +%s%3N; }
# start N: starts the server with --replicas N (sets PID) and sets
# START_MS to the milliseconds until /health reports N healthy replicas.
start() {
  local n=$1 t0
  t0=$(now_ms)
  "$BIN" --port "$PORT" --data-dir "$DATA" --replicas "$n" --log warn >>"$DATA/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 600); do
    if curl -sf "$URL/health" 2>/dev/null | python3 -c "
import json,sys; s=json.load(sys.stdin)['components']['store']
sys.exit(0 if s.get('healthy_replicas', 0) == $n else 1)" 2>/dev/null; then
      START_MS=$(( $(now_ms) - t0 ))
      return
    fi
    sleep 0.05
  done
  echo "server did not become healthy; log:" >&2; cat "$DATA/server.log" >&2; exit 1
}
stop() { kill -TERM "$PID"; wait "$PID"; PID=; }
bench() {
  local label=$1
  wrk -t2 -c50 -d2s "$URL/ping" >/dev/null   # warm-up
  wrk -t2 -c50 -d2s -H "authorization: Bearer $VIEWER" "$URL/api/feed?limit=20" >/dev/null
  for round in 1 2; do
    echo "== $label round $round: GET /ping (reference)"
    wrk -t2 -c50 -d"${SECS}s" --latency "$URL/ping" | grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx|Socket"
    echo "== $label round $round: GET /api/feed?limit=20 (50 followed authors)"
    wrk -t2 -c50 -d"${SECS}s" --latency -H "authorization: Bearer $VIEWER" "$URL/api/feed?limit=20" \
      | grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx|Socket"
  done
  curl -s "$URL/api/metrics" | python3 -c '
import json,sys; m=json.load(sys.stdin)["store"]["metrics"]
r=m.get("minigram_router_replica_reads_total"); p=m.get("minigram_router_primary_reads_total")
print("== store reads: %s" % ("replicas %d, primary %d" % (r, p) if r is not None else "all on the primary (no router)"))'
}

echo "== machine: $(nproc) cores, $(uname -sr); wrk, the server and PostgreSQL share them"
echo "== PostgreSQL: $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)"
start 2
echo "== cold start (fresh directory: initdb, 2x pg_basebackup, migrations): $START_MS ms to 2 healthy replicas"
python3 "$HERE/seed.py" "$URL" > "$DATA/tokens"
VIEWER=$(head -1 "$DATA/tokens")
stop
for i in 1 2 3; do
  start 2
  echo "== warm start $i (directory reused): $START_MS ms to 2 healthy replicas"
  if [ $i -lt 3 ]; then stop; fi
done
echo "== feed page: $(curl -s "$URL/api/feed?limit=20" -H "authorization: Bearer $VIEWER" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)), "photos")')"
bench "--replicas 2"
stop
start 0
echo "== restart with --replicas 0 (same primary data): $START_MS ms"
bench "--replicas 0"
stop
echo "== SIGTERM: exit status 0 each time; PostgreSQL processes left under $DATA: $(pgrep -fc "postgres -D $DATA" || true)"
