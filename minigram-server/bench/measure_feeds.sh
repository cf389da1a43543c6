#!/usr/bin/env bash
# Home feeds over HTTP on PostgreSQL (--replicas 0, the server's own local
# cluster): (1) fan-out lag p50/p99 under a steady posting rate on a Zipf
# follow graph (`minigram-bench seed`), with --feed push, from the delta of
# the minigram_fanout_lag_seconds histogram in /metrics, and the posting
# latency; (2) GET /api/feed?limit=20 for the seeded user who follows the
# most, --feed push vs --feed pull on the same data (a second server on the
# same database), interleaved rounds, each beside GET /ping on the same
# server in the same run. Both servers run with --cache none, so every feed
# request reads the store: the strategies, not the cache, are compared.
# Needs PostgreSQL's server programs, wrk, curl and python3.
# Builds both binaries first (into $CARGO_TARGET_DIR when set); SKIP_BUILD=1
# uses the binaries already there.
# Usage: minigram-server/bench/measure_feeds.sh [port] [wrk seconds] [users] [max follows] [posts/s] [posting seconds]
# (defaults 3100 5 1000 50 20 20: about 3 minutes on 2 cores)
set -euo pipefail
PORT=${1:-3100}
SECS=${2:-5}
USERS=${3:-1000}
MAX_FOLLOWS=${4:-50}
RATE=${5:-20}
POST_SECS=${6:-20}
PULL_PORT=$((PORT + 1))
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (Debian/Ubuntu: apt-get install $tool)" >&2; exit 1; }
done
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=$(mktemp -d)
chmod 755 "$DATA"   # PostgreSQL runs as `postgres` when this runs as root
URL=http://127.0.0.1:$PORT
PULL_URL=http://127.0.0.1:$PULL_PORT
BIN_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/release"
# Built one at a time, so neither build changes the other's feature set.
for package in minigram-server minigram-bench; do
  [ "${SKIP_BUILD:-0}" = 1 ] && break
  cargo build --release -q -p "$package" --manifest-path "$ROOT/Cargo.toml" 2>/dev/null \
    || cargo build --release -q -p "$package" --manifest-path "$ROOT/Cargo.toml"
done
PIDS=()
# On any exit: stop the servers (the push server stops its cluster last),
# then remove the data.
cleanup() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PIDS[i]}" 2>/dev/null || true
    wait "${PIDS[i]}" 2>/dev/null || true
  done
  rm -rf "$DATA"
}
trap cleanup EXIT

# wait_healthy URL LOG: until /health answers 200.
wait_healthy() {
  for _ in $(seq 600); do
    curl -sf "$1/health" >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "server at $1 did not become healthy; log:" >&2; cat "$2" >&2; exit 1
}
# wrk_line LABEL URL [TOKEN]: one wrk round; prints "LABEL N req/s (p50 / p99)"
# and sets RPS.
wrk_line() {
  local label=$1 url=$2 out
  if [ $# -ge 3 ]; then
    out=$(wrk -t2 -c50 -d"${SECS}s" --latency -H "authorization: Bearer $3" "$url")
  else
    out=$(wrk -t2 -c50 -d"${SECS}s" --latency "$url")
  fi
  RPS=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  printf '%-34s %10s req/s (p50 %s / p99 %s)%s\n' "$label" "$RPS" \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")" \
    "$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' | sed 's/^/; /' | tr -d '\n')"
}
ratio() { python3 -c "print('%.1f %%' % (100 * $1 / $2))"; }
timeline_reads() {
  curl -s "$URL/metrics" | awk '/^minigram_timeline_reads_total\{result="(hit|miss)"\}/ {sub(/.*result="/, "", $1); sub(/"\}/, "", $1); printf "%s %d ", $1, $2}'
}

echo "== machine: $(nproc) cores, $(uname -sr), load average $(cut -d" " -f1-3 /proc/loadavg) at the start; wrk, the servers, PostgreSQL and the posting client share them"
echo "== PostgreSQL: $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)"
"$BIN_DIR/minigram-server" --port "$PORT" --data-dir "$DATA/push" --replicas 0 --feed push \
  --rate-limit off --cache none --log warn >>"$DATA/push.log" 2>&1 &
PIDS+=($!)
wait_healthy "$URL" "$DATA/push.log"
echo "== push server: $(curl -s "$URL/api/instance" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["feed_status"]))')"

t0=$(date +%s)
"$BIN_DIR/minigram-bench" seed --url "$URL" --users "$USERS" --photos-per-user 2 --max-follows "$MAX_FOLLOWS" --seed 42 \
  | sed 's/^/== /'
echo "== seeding took $(( $(date +%s) - t0 )) s (under push: every follow merges the followee's photos into the follower's timeline)"

# (1) Fan-out lag: the 5 most followed users (Zipf: user k has rank k) and
# 5 from the tail, round robin.
AUTHORS=()
for k in 0 1 2 3 4 10 50 100 300 $((USERS - 1)); do
  if [ "$k" -lt "$USERS" ]; then AUTHORS+=("seed42u$k"); fi
done
python3 "$HERE/fanout_lag.py" post "$URL" "$RATE" "$POST_SECS" "${AUTHORS[@]}"

# (2) Reads: the seeded user who follows the most.
read -r VIEWER FOLLOWING VIEWER_NAME < <(python3 "$HERE/fanout_lag.py" viewer "$URL" "$USERS")
PGPID=$(find "$DATA/push" -name postmaster.pid | head -1)
PG_URL="postgresql://postgres@127.0.0.1:$(sed -n 4p "$PGPID")/minigram"
"$BIN_DIR/minigram-server" --port "$PULL_PORT" --data-dir "$DATA/pull" --database-url "$PG_URL" \
  --feed pull --rate-limit off --cache none --log warn >>"$DATA/pull.log" 2>&1 &
PIDS+=($!)
wait_healthy "$PULL_URL" "$DATA/pull.log"
page() { curl -s "$1/api/feed?limit=20" -H "authorization: Bearer $VIEWER" | python3 -c 'import json,sys; print([p["id"] for p in json.load(sys.stdin)])'; }
if [ "$(page "$URL")" = "$(page "$PULL_URL")" ]; then same="the same 20 photos"; else same="DIFFERENT pages"; fi
echo "== viewer $VIEWER_NAME follows $FOLLOWING users; push and pull servers answer $same (second server: --feed pull --database-url $PG_URL)"
for url in "$URL" "$PULL_URL"; do   # warm-up
  wrk -t2 -c50 -d2s "$url/ping" >/dev/null
  wrk -t2 -c50 -d2s -H "authorization: Bearer $VIEWER" "$url/api/feed?limit=20" >/dev/null
done
reads_before=$(timeline_reads)
for round in 1 2; do
  for strategy in pull push; do
    if [ $strategy = pull ]; then u=$PULL_URL; else u=$URL; fi
    echo "== round $round, --feed $strategy"
    wrk_line "  GET /ping (reference)" "$u/ping"
    ping=$RPS
    wrk_line "  GET /api/feed?limit=20" "$u/api/feed?limit=20" "$VIEWER"
    echo "  feed / ping: $(ratio "$RPS" "$ping")"
  done
done
echo "== push server's timeline reads (before the rounds -> after): $reads_before-> $(timeline_reads)"
echo "== fan-out queue at the end: $(curl -s "$URL/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["components"]["feed"].get("queue_depth"))') jobs"
