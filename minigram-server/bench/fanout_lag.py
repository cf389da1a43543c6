#!/usr/bin/env python3
"""Helpers of measure_feeds.sh: fan-out lag under a steady posting rate.

  fanout_lag.py viewer URL USERS
      Reads every seeded user's profile (`minigram-bench seed` names them
      seed42u0 .. seed42u{USERS-1}, password `seed-password`), logs in as
      the one who follows the most and prints `TOKEN FOLLOWING USERNAME`.
  fanout_lag.py post URL RATE SECONDS AUTHORS...
      Logs in as each author (seeded usernames), then posts photos round
      robin over them at RATE posts/s for SECONDS (open loop: each post is
      sent at its scheduled time, whatever the latency of the others),
      waits until the fan-out queue is empty, and prints the posting
      latency and the fan-out lag p50/p99 of these posts, from the delta of
      the `minigram_fanout_lag_seconds` histogram in /metrics before and
      after, interpolated within buckets as Prometheus's histogram_quantile
      does.
  fanout_lag.py quantiles BEFORE AFTER
      The same quantiles from two saved /metrics texts (for testing).
"""
import concurrent.futures
import json
import math
import re
import struct
import sys
import threading
import time
import urllib.error
import urllib.request

PASSWORD = "seed-password"
LAG = "minigram_fanout_lag_seconds"


def call(base, method, path, body=None, token=None, content_type="application/json", timeout=30):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", content_type)
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        raw = resp.read()
        if resp.headers.get_content_type() == "application/json":
            return json.loads(raw) if raw else None
        return raw.decode()


def login(base, username):
    return call(base, "POST", "/api/login", {"username": username, "password": PASSWORD})


def png(w, h):
    """seed.py's tiny PNG (the server checks the signature, not the pixels)."""
    return (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + struct.pack(">II", w, h)
            + b"\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x0dIDATx\x9cc\xf8\x0f\x00\x00"
            b"\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def multipart(image, caption):
    boundary = "minigramlag"
    body = (f"--{boundary}\r\ncontent-disposition: form-data; name=\"caption\"\r\n\r\n{caption}\r\n"
            f"--{boundary}\r\ncontent-disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\n"
            "content-type: image/png\r\n\r\n").encode() + image + f"\r\n--{boundary}--\r\n".encode()
    return body, "multipart/form-data; boundary=" + boundary


# --- the histogram -------------------------------------------------------

def buckets(metrics_text, name=LAG):
    """{le: cumulative count} of one histogram in Prometheus text (summed
    over label sets other than `le`)."""
    out = {}
    pattern = re.compile(r"^" + re.escape(name) + r"_bucket\{(.*)\}\s+(\S+)")
    for line in metrics_text.splitlines():
        m = pattern.match(line)
        if not m:
            continue
        le = re.search(r'le="([^"]+)"', m.group(1)).group(1)
        bound = math.inf if le in ("+Inf", "Inf") else float(le)
        out[bound] = out.get(bound, 0.0) + float(m.group(2))
    return out


def sample(metrics_text, series):
    """The value of one unlabelled series (e.g. `..._count`), or 0."""
    for line in metrics_text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == series:
            return float(parts[1])
    return 0.0


def histogram_quantile(q, cumulative):
    """Prometheus's histogram_quantile over {upper bound: cumulative count}:
    the bucket holding rank q * total, linear within it (from 0 for the
    first bucket); in the +Inf bucket, the largest finite bound."""
    bounds = sorted(cumulative)
    if not bounds or cumulative[bounds[-1]] <= 0:
        return math.nan
    total = cumulative[bounds[-1]]
    rank = q * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = cumulative[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower
            if count == below:
                return bound
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return lower


def delta(before, after):
    return {b: after.get(b, 0.0) - before.get(b, 0.0) for b in after}


def lag_report(before_text, after_text):
    d = delta(buckets(before_text), buckets(after_text))
    n = sample(after_text, LAG + "_count") - sample(before_text, LAG + "_count")
    sum_ = sample(after_text, LAG + "_sum") - sample(before_text, LAG + "_sum")
    p50, p99 = histogram_quantile(0.5, d), histogram_quantile(0.99, d)
    finite = sorted(b for b in d if not math.isinf(b))
    where = ", ".join(f"<={b:g}s: {int(d[b])}" for b in finite if d[b] > 0)
    mean = f"{1000 * sum_ / n:.1f} ms" if n else "-"
    return (f"== fan-out lag (post commit -> last follower's timeline insert), {int(n)} jobs: "
            f"p50 {1000 * p50:.1f} ms, p99 {1000 * p99:.1f} ms, mean {mean}\n"
            f"   (histogram_quantile over the delta of {LAG}_bucket, linear within buckets; "
            f"cumulative counts {where})")


# --- commands --------------------------------------------------------------

def percentile(sorted_values, q):
    if not sorted_values:
        return math.nan
    return sorted_values[min(len(sorted_values) - 1, int(math.ceil(q * len(sorted_values))) - 1)]


def queue_depth(base):
    return call(base, "GET", "/health")["components"]["feed"].get("queue_depth", 0)


def wait_drained(base, limit_s=120):
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        depth = queue_depth(base)
        if depth == 0:
            return time.monotonic() - started
        time.sleep(0.05)
    raise SystemExit(f"fan-out queue still at {queue_depth(base)} jobs after {limit_s} s")


def cmd_viewer(base, users):
    token = login(base, "seed42u0")["token"]
    best = None
    for user_id in range(1, users + 1):
        try:
            p = call(base, "GET", f"/api/users/{user_id}", token=token)
        except urllib.error.HTTPError:
            continue
        if p["username"].startswith("seed42u") and (best is None or p["following"] > best["following"]):
            best = p
    viewer = login(base, best["username"])
    print(viewer["token"], best["following"], best["username"])


def cmd_post(base, rate, seconds, authors):
    sessions = [login(base, a) for a in authors]
    profiles = [call(base, "GET", f"/api/users/{s['userId']}", token=s["token"]) for s in sessions]
    print("== authors (followers): " + ", ".join(f"{p['username']} ({p['followers']})" for p in profiles))
    wait_drained(base)
    before = call(base, "GET", "/metrics")
    total = int(rate * seconds)
    latencies, failures, slips = [], [], []
    lock = threading.Lock()

    def post(i, due):
        s = sessions[i % len(sessions)]
        body, ctype = multipart(png(i % 97 + 1, i // 97 + 1), f"lag probe {i}")
        start = time.monotonic()
        try:
            call(base, "POST", "/api/photos", body, s["token"], ctype)
            with lock:
                latencies.append(time.monotonic() - start)
                slips.append(start - due)
        except Exception as e:  # noqa: BLE001 - counted and shown
            with lock:
                failures.append(repr(e))

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        for i in range(total):
            due = t0 + i / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            pool.submit(post, i, due)
    sent_s = time.monotonic() - t0
    drain_s = wait_drained(base)
    after = call(base, "GET", "/metrics")
    latencies.sort()
    print(f"== posted {len(latencies)} photos ({len(failures)} failed) in {sent_s:.1f} s: "
          f"{len(latencies) / sent_s:.1f} posts/s offered at {rate:g}/s, round robin over "
          f"{len(authors)} authors; queue empty {drain_s:.2f} s after the last post returned")
    if failures:
        print("   first failure: " + failures[0])
    print(f"== POST /api/photos latency: p50 {1000 * percentile(latencies, 0.5):.1f} ms, "
          f"p99 {1000 * percentile(latencies, 0.99):.1f} ms, max {1000 * latencies[-1]:.1f} ms "
          f"(largest send delay behind schedule {1000 * max(slips):.1f} ms)")
    print(lag_report(before, after))


def main(argv):
    if len(argv) >= 3 and argv[0] == "viewer":
        cmd_viewer(argv[1].rstrip("/"), int(argv[2]))
    elif len(argv) >= 5 and argv[0] == "post":
        cmd_post(argv[1].rstrip("/"), float(argv[2]), float(argv[3]), argv[4:])
    elif len(argv) == 3 and argv[0] == "quantiles":
        with open(argv[1]) as b, open(argv[2]) as a:
            print(lag_report(b.read(), a.read()))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
