#!/usr/bin/env bash
# Stage-1 HTTP measurements of minigram-server on this machine: feed vs the
# trivial /ping handler (same server, same run), durable likes, and RSS idle
# and with 1,000 open connections. Needs wrk and python3.
# Usage: minigram-server/bench/measure.sh [port] [seconds]
set -euo pipefail
PORT=${1:-3100}
SECS=${2:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=$(mktemp -d)
URL=http://127.0.0.1:$PORT
cargo build --release -q -p minigram-server --manifest-path "$ROOT/Cargo.toml"
"$ROOT/target/release/minigram-server" --port "$PORT" --data-dir "$DATA" --log warn &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do curl -sf "$URL/ping" >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$PID/status"; }

echo "== machine: $(nproc) cores, $(uname -sr); wrk and the server share them"
echo "== hash parameters: $(curl -s "$URL/api/instance" | python3 -c 'import json,sys; print(json.load(sys.stdin)["password_hash"])')"
python3 "$HERE/seed.py" "$URL" > "$DATA/tokens"
VIEWER=$(head -1 "$DATA/tokens")
tail -n +2 "$DATA/tokens" > /tmp/minigram-tokens.txt
echo "== seeded: 51 users, 200 photos (50 authors x 4), viewer follows all 50 authors"
echo "== feed page: $(curl -s "$URL/api/feed?limit=20" -H "authorization: Bearer $VIEWER" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)), "photos")')"
echo "== RSS idle after seeding: $(rss)"

wrk -t2 -c50 -d3s "$URL/ping" >/dev/null   # warm-up
for round in 1 2; do
  echo "== round $round: GET /ping (trivial handler, reference)"
  wrk -t2 -c50 -d"${SECS}s" --latency "$URL/ping" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket"
  echo "== round $round: GET /api/feed?limit=20 (home feed, 50 followed authors)"
  wrk -t2 -c50 -d"${SECS}s" --latency -H "authorization: Bearer $VIEWER" "$URL/api/feed?limit=20" \
    | grep -E "Requests/sec|50%|99%|Non-2xx|Socket"
done
echo "== POST/DELETE /api/photos/{id}/like (each a durable write)"
wrk -t2 -c50 -d"${SECS}s" --latency -s "$HERE/like.lua" "$URL" | grep -E "Requests/sec|50%|99%|non-2xx"
curl -s "$URL/api/metrics" | python3 -c '
import json,sys; m=json.load(sys.stdin)["store"]["metrics"]
print("== writer: %d writes in %d batches (%.1f per batch), max batch %d" % (m["minigram_writer_writes_total"], m["minigram_writer_batches_total"], m["minigram_writer_writes_total"]/max(1,m["minigram_writer_batches_total"]), m["minigram_writer_max_batch_size"]))'
echo "== RSS after load: $(rss)"
ulimit -n 4096
python3 "$HERE/open_conns.py" 127.0.0.1 "$PORT" 1000 4 &
OPENER=$!
sleep 3
echo "== RSS with 1,000 open connections: $(rss)"
wait $OPENER
kill -TERM $PID
wait $PID && echo "== SIGTERM: exit status 0"
trap - EXIT
rm -rf "$DATA"
# Note: RSS after registrations is dominated by glibc keeping argon2's 19 MiB
# buffers in per-thread arenas; compare with MALLOC_MMAP_THRESHOLD_=1048576
# (see docs/benchmarks.md).
